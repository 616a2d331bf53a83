// `evoloop reverify`: re-measure recorded improvements with the current verifier and fresh seeds.
import type { Command } from 'commander';
import { reverify } from '../engine/reverify.js';
import { fmtScore, openRun, parsePositiveInt, printJson } from './context.js';

export function registerReverify(program: Command): void {
  program
    .command('reverify')
    .description(
      "re-evaluate recorded candidates with the current verifier and fresh seeds (no proposals: only the verifier's own judge and model_run stages call models); report which improvements survive",
    )
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'a run id (default: the latest)')
    .option('--top <n>', 'the N best-scoring candidates instead of the accepted ones', parsePositiveInt)
    .option('--json', 'print JSON')
    .action(async (problem: string, opts: { run?: string; top?: number; json?: boolean }) => {
      const ctx = openRun(problem, opts.run);
      try {
        const report = await reverify({
          problemDir: ctx.problemDir,
          store: ctx.store,
          runId: ctx.run.id,
          select: { top: opts.top },
          onProgress: opts.json ? undefined : (line) => process.stderr.write(`${line}\n`),
          // Re-measuring runs candidate code: once the verifier's own model clients (judge, model_run) hold their keys, no secret stays in this process's environment.
          scrubEnvironment: true,
        });
        if (opts.json) return printJson(report);
        const out = [
          `run ${report.run}, reverification ${report.epoch}: baseline recorded ${fmtScore(report.baseline.recordedScore)}, now ${fmtScore(report.baseline.newScore)}`,
          `${'id'.padStart(6)}  ${'recorded'.padStart(10)}  ${'now'.padStart(10)}  verdict`,
          ...report.rows.map(
            (r) =>
              `${String(r.id).padStart(6)}  ${fmtScore(r.recordedScore).padStart(10)}  ${fmtScore(r.newScore).padStart(10)}  ${r.survives ? 'SURVIVES' : 'does not survive'}: ${r.reason}`,
          ),
          `${report.rows.filter((r) => r.survives).length} of ${report.rows.length} survive.`,
        ];
        process.stdout.write(`${out.join('\n')}\n`);
      } finally {
        ctx.store.close();
      }
    });
}
