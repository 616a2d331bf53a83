// `evoloop status` and `evoloop ls`: the run's headline, and its candidates.
import { InvalidArgumentError, type Command } from 'commander';
import type { CandidateStatus } from '../core/types.js';
import { operatorStats } from '../operators/stats.js';
import { islandSummaries, strategyOf } from '../store/island-summary.js';
import type { WorkerRecord } from '../store/store.js';
import { summarize } from '../store/summary.js';
import { auditLine } from '../audit/stored.js';
import { fmtDuration, fmtScore, openRun, parsePositiveInt, printJson } from './context.js';
import { verdictLines } from './verdict-lines.js';
import type { ArmStats } from '../core/bandit.js';
import { recordedBandits, type BanditStats } from '../operators/bandits.js';
import { MODEL_DEFAULT_WEIGHTS } from '../operators/select.js';
import { codeSize, recordedBase } from '../workspace/code-size.js';
import type { ReadContext } from './context.js';
import { reasonHeadline } from '../evaluate/reason-headline.js';

const LS_LIMIT = 50;

const STATUSES: CandidateStatus[] = ['baseline', 'pending', 'accepted', 'rejected', 'failed', 'invalid', 'duplicate', 'tampered'];

function statusList(v: string): CandidateStatus[] {
  const list = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = list.find((x) => !STATUSES.includes(x as CandidateStatus));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not a status; use ${STATUSES.join(', ')}`);
  return list as CandidateStatus[];
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("show a run's progress: baseline, best, candidates, acceptance, spend")
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'a run id (default: the latest)')
    .option('--json', 'print JSON')
    .action(async (problem: string, opts: { run?: string; json?: boolean }) => {
      const ctx = openRun(problem, opts.run);
      try {
        const s = summarize(ctx.store, ctx.run.id);
        const audit = await auditLine(ctx.store, ctx.run, ctx.problemDir);
        const goal = s.goal;
        const operators = operatorStats(ctx.store, ctx.run.id, goal);
        const usdPerAccepted = s.accepted > 0 ? s.spend.usd / s.accepted : null;
        const strategy = strategyOf(ctx.run);
        const islands = islandSummaries(ctx.store, ctx.run).map(({ grid: _grid, ...i }) => i);
        const workers = ctx.store.fleet.workers(ctx.run.id);
        const depth = ctx.store.fleet.queueDepth(ctx.run.id);
        const queue = depth ? { waiting: depth.waiting, active: depth.active } : null;
        const config = JSON.parse(ctx.run.configJson);
        const bandits = recordedBandits(ctx.store.listCandidates(ctx.run.id), config, { withModel: MODEL_DEFAULT_WEIGHTS }).stats();
        const codeSizes = await championSizes(ctx, s.champions, config);
        if (opts.json)
          return printJson({
            ...s,
            strategy,
            ...(strategy === 'islands' && { islands }),
            operators,
            usdPerAccepted,
            workers,
            queue,
            bandits,
            codeSizes,
            audit,
          });
        const better = s.best !== null && s.baseline !== null ? (goal === 'maximize' ? s.best - s.baseline : s.baseline - s.best) : 0;
        const pct = s.baseline ? ` ${better >= 0 ? '' : '-'}${Math.abs((100 * better) / s.baseline).toFixed(1)}% ${better >= 0 ? 'better' : 'worse'}` : '';
        const gain = s.best !== null && s.baseline !== null ? ` (${s.best >= s.baseline ? '+' : ''}${fmtScore(s.best - s.baseline)},${pct}; ${goal})` : '';
        // The champion is still the baseline: a "+0, 0.0% better" would read as a result.
        const unbeaten = s.bestCandidate === null || s.bestCandidate === ctx.run.baselineId;
        const lines = [
          `run ${s.run}: ${s.status}${s.stopReason ? ` — ${s.stopReason}` : ''}`,
          `base ${s.baseCommit.slice(0, 12)} · elapsed ${fmtDuration(s.elapsedMs)}`,
          unbeaten
            ? `baseline ${fmtScore(s.baseline)}; no candidate beat it${s.status === 'running' ? ' yet' : ''}`
            : `baseline ${fmtScore(s.baseline)} → best ${fmtScore(s.best)}${gain} (candidate ${s.bestCandidate})`,
          `candidates ${s.candidates}: ${Object.entries(s.byStatus)
            .filter(([k]) => k !== 'baseline')
            .map(([k, n]) => `${n} ${k}`)
            .join(', ')}`,
          ...verdictLines(s),
        ];
        if (strategy !== 'greedy') lines.push(`strategy ${strategy}`);
        for (const i of islands) {
          lines.push(
            `  island ${i.id}: best ${fmtScore(i.best)}${i.bestCandidate !== null ? ` (candidate ${i.bestCandidate})` : ''} · ${i.candidates} candidates · ${i.cells} cells`,
          );
        }
        if (s.spend.calls > 0) {
          const per = usdPerAccepted === null ? 'no accepted improvement yet' : `$${usdPerAccepted.toFixed(4)} per accepted improvement`;
          lines.push(`model calls ${s.spend.calls}: ${s.spend.inputTokens} in / ${s.spend.outputTokens} out tokens, $${s.spend.usd.toFixed(4)} (${per})`);
          // A call that used tokens but cost nothing was made with a model that has no price.
          const unpriced = ctx.store.queries.unpricedModels(ctx.run.id);
          if (unpriced.length > 0)
            lines.push(`  cost unknown for ${unpriced.join(', ')}: no price known; set model.price (input_per_mtok, output_per_mtok) to count it`);
        }
        lines.push(audit);
        lines.push('operators (proposals / valid / accepted / mean gain / cost):');
        for (const o of operators) {
          lines.push(
            `  ${o.operator.padEnd(12)} ${o.proposals} / ${o.valid} / ${o.accepted} / ${o.meanGain === null ? '—' : fmtScore(o.meanGain)} / $${o.usd.toFixed(4)}`,
          );
        }
        if (codeSizes.length > 0) lines.push(`code size: ${codeSizes.map((c) => c.bytes).join(' → ')} bytes (baseline → each champion)`);
        lines.push(...banditLines(bandits));
        lines.push(...workerLines(workers, queue));
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        ctx.store.close();
      }
    });

  program
    .command('ls')
    .description("list a run's candidates")
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'a run id (default: the latest)')
    .option('--status <list>', `only these statuses, comma-separated (${STATUSES.join(', ')})`, statusList)
    .option('--limit <n>', `at most this many, newest first (default ${LS_LIMIT}; with --json: all)`, parsePositiveInt)
    .option('--all', 'every candidate')
    .option('--json', 'print JSON: every candidate, unless --limit is given')
    .action((problem: string, opts: { run?: string; status?: CandidateStatus[]; limit?: number; all?: boolean; json?: boolean }) => {
      const ctx = openRun(problem, opts.run);
      try {
        const status = opts.status;
        // Scripts (--json) get every row unless they ask for fewer; a terminal gets a screenful and is told what is left.
        const limit = opts.all ? undefined : (opts.limit ?? (opts.json ? undefined : LS_LIMIT));
        const rows = ctx.store.listCandidates(ctx.run.id, { status, limit, order: 'desc' });
        const total = limit === undefined ? rows.length : countMatching(ctx.store.countByStatus(ctx.run.id), status);
        if (total > rows.length) process.stderr.write(`${total - rows.length} more (use --all or --limit)\n`);
        if (opts.json) {
          return printJson(
            rows.map((c) => ({
              id: c.id,
              parent: c.parentId,
              parents: c.parents,
              island: c.island,
              status: c.status,
              score: c.score,
              operator: c.operator,
              style: c.style,
              description: c.description,
              reason: c.reason,
            })),
          );
        }
        for (const c of rows) {
          const what =
            c.status === 'accepted' || c.status === 'rejected' || c.status === 'baseline' ? c.description : reasonHeadline(c.reason ?? c.description);
          process.stdout.write(
            `${String(c.id).padStart(5)}  ${c.status.padEnd(9)} ${fmtScore(c.score).padStart(10)}  ${c.operator.padEnd(10)} ${what.split('\n')[0].slice(0, 160)}\n`,
          );
        }
      } finally {
        ctx.store.close();
      }
    });
}

/** The code size of the baseline and of each champion after it, in bytes (of the editable files). */
async function championSizes(
  ctx: ReadContext,
  champions: { id: number }[],
  config: { edit?: string[]; protect?: string[] },
): Promise<{ id: number; bytes: number }[]> {
  if (!config.edit || champions.length === 0) return [];
  const base = await recordedBase(ctx.run);
  const rules = { edit: config.edit, protect: config.protect ?? [] };
  const out: { id: number; bytes: number }[] = [];
  for (const c of champions) {
    const row = ctx.store.getCandidate(c.id);
    if (row) out.push({ id: c.id, bytes: await codeSize(ctx.store.candidateFiles(row), base, rules) });
  }
  return out;
}

/** Each bandit's arms that were pulled or can be: pulls / wins / estimated win rate (per $ when priced). */
function banditLines(b: BanditStats): string[] {
  const lines: string[] = [];
  for (const [name, arms] of Object.entries(b) as [string, ArmStats[]][]) {
    const shown = arms.filter((a) => a.pulls > 0);
    if (shown.length === 0) continue;
    const arm = (a: ArmStats) =>
      `${a.arm} ${a.pulls}/${a.wins}/${a.value.toFixed(3)}${a.perUsd === null ? '' : ` ($${a.usd.toFixed(4)}, ${a.perUsd.toFixed(1)} per $)`}`;
    lines.push(`  ${name.padEnd(10)} ${shown.map(arm).join(', ')}`);
  }
  return lines.length ? ['bandit arms (pulls / wins / estimated win rate):', ...lines] : [];
}

/** Remote workers as the coordinator last saw them, and its queue (nothing for a run measured only here). */
function workerLines(workers: WorkerRecord[], queue: { waiting: number; active: number } | null): string[] {
  if (!queue && workers.length === 0) return [];
  const lines = [`queue: ${queue?.waiting ?? 0} waiting, ${queue?.active ?? 0} running · workers ${workers.length}:`];
  for (const w of workers) {
    const ago = fmtDuration(Math.max(0, Date.now() - w.lastSeen));
    lines.push(
      `  ${w.id}  ${w.busy > 0 ? `busy (${w.busy})` : 'idle'}  labels ${w.labels.join(',') || '—'}  ${w.jobsDone} done, ${w.failures} failed  last seen ${ago} ago`,
    );
  }
  return lines;
}

function countMatching(byStatus: Record<string, number>, status: CandidateStatus[] | undefined): number {
  return Object.entries(byStatus).reduce((n, [k, count]) => (!status?.length || status.includes(k as CandidateStatus) ? n + count : n), 0);
}
