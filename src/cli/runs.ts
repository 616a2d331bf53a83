// `evoloop runs`: every run of the problem, oldest first, one line each.
import type { Command } from 'commander';
import { headline } from '../store/summary.js';
import { fmtScore, openProblemStore, printJson } from './context.js';

export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description("list the problem's runs: id, status, base commit, best score, candidates, start time")
    .argument('[problem]', 'problem folder', '.')
    .option('--json', 'print JSON')
    .action((problem: string, opts: { json?: boolean }) => {
      const { store } = openProblemStore(problem);
      try {
        const runs = store.listRuns().map((run) => {
          const h = headline(store, run);
          return {
            id: run.id,
            status: h.status,
            stopReason: h.stopReason,
            baseCommit: run.baseCommit,
            baseline: h.baseline,
            best: h.best,
            bestCandidate: h.bestCandidate,
            candidates: h.candidates,
            accepted: h.accepted,
            startedAt: new Date(run.createdAt).toISOString(),
          };
        });
        if (opts.json) return printJson(runs);
        if (runs.length === 0) return void process.stdout.write('no run recorded yet. Start one with `evoloop run`.\n');
        process.stdout.write(`${'run'.padEnd(22)} ${'status'.padEnd(11)} ${'base'.padEnd(12)} ${'best'.padStart(10)}  candidates  started (UTC)\n`);
        for (const r of runs) {
          const best = r.best === null ? '—' : `${fmtScore(r.best)}`;
          process.stdout.write(
            `${r.id.padEnd(22)} ${r.status.padEnd(11)} ${r.baseCommit.slice(0, 12)} ${best.padStart(10)}  ${String(r.candidates).padStart(10)}  ${r.startedAt.slice(0, 19).replace('T', ' ')}\n`,
          );
        }
      } finally {
        store.close();
      }
    });
}
