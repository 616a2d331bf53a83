// Live progress of `evoloop run`: one redrawn status line on a terminal, plain lines
// otherwise (CI logs, pipes), JSON lines with --json.
import type { EvolutionEvent } from '../engine/events.js';
import { reasonHeadline } from '../evaluate/reason-headline.js';
import { fmtDuration, fmtScore } from './context.js';

export function progressPrinter(opts: { json: boolean; tty: boolean; out?: NodeJS.WriteStream }): (e: EvolutionEvent) => void {
  const out = opts.out ?? process.stdout;
  if (opts.json) return (e) => out.write(`${JSON.stringify(e)}\n`);
  let total: number | undefined;
  let done = 0; // candidates decided, earlier sessions included
  let accepted = 0;
  let best: number | undefined;
  let baseline: number | undefined;
  const started = Date.now();
  let statusShown = false;
  const championShown = new Set<number>();
  const status = () =>
    `[${done}${total ? `/${total}` : ''}] best ${fmtScore(best)} (baseline ${fmtScore(baseline)}) · accepted ${accepted} (${done ? Math.round((100 * accepted) / done) : 0}%) · ${fmtDuration(Date.now() - started)}`;
  const line = (text: string) => {
    if (opts.tty && statusShown) out.write('\r\x1b[2K');
    out.write(`${text}\n`);
    if (opts.tty) {
      out.write(status());
      statusShown = true;
    }
  };
  return (e) => {
    switch (e.type) {
      case 'run-start':
        total = e.budget.candidates;
        done = e.done;
        if (e.notice) line(e.notice);
        line(
          e.resumed
            ? `Continuing run ${e.runId}: ${e.done}${total ? ` of ${total}` : ''} candidates done, at ${e.baseCommit.slice(0, 10)} (operators: ${e.operators.join(', ')})`
            : `Starting run ${e.runId} at ${e.baseCommit.slice(0, 10)}${total ? ` for ${total} candidate${total === 1 ? '' : 's'}` : ''} (operators: ${e.operators.join(', ')})`,
        );
        break;
      case 'baseline':
        baseline = best = e.score;
        line(`baseline #${e.candidateId}: ${fmtScore(e.score)} over ${e.samples.length} repeats (noise: CV ${(100 * e.noise.cv).toFixed(2)}%)`);
        break;
      case 'decided':
        done++;
        if (e.status === 'accepted') accepted++;
        // A new champion has its own line already (the champion event comes first): one line per champion.
        if (e.status === 'accepted' && championShown.has(e.candidateId)) {
          if (opts.tty) out.write(`\r\x1b[2K${status()}`);
          statusShown = opts.tty;
        } else if (!opts.tty || e.status === 'accepted') {
          line(`#${e.candidateId} ${e.status} (${e.operator})${e.reason && e.status !== 'accepted' ? `: ${reasonHeadline(e.reason).slice(0, 200)}` : ''}`);
        } else {
          out.write(`\r\x1b[2K${status()}`);
          statusShown = true;
        }
        break;
      case 'champion':
        best = e.score;
        championShown.add(e.candidateId);
        line(`#${e.candidateId} accepted ★ new champion: ${fmtScore(e.previous)} → ${fmtScore(e.score)}`);
        break;
      case 'notice':
        line(e.message);
        break;
      case 'run-stop':
        // A failed run's reason is the error the CLI prints next; say it once.
        line(e.status === 'failed' ? `run ${e.runId} failed.` : `run ${e.runId} ${e.status}: ${e.reason}`);
        if (opts.tty) out.write('\r\x1b[2K');
        statusShown = false;
        break;
    }
  };
}
