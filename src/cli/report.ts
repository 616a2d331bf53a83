// `evoloop report [problem]`: write a run's report (Markdown + SVG chart, and HTML).
import path from 'node:path';
import type { Command } from 'commander';
import { writeReport } from '../report/report.js';
import { openRun, printJson } from './context.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      "write a run's report: headline, score chart (SVG), champion diff, accepted changes, failures, integrity, and a best-of-n run of the same problem side by side",
    )
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'a run id (default: the latest)')
    .option('--out <dir>', 'output folder (default: <problem>/.evoloop/reports/<run>)')
    .option('--json', 'print the written paths as JSON')
    .action(async (problem: string, opts: { run?: string; out?: string; json?: boolean }) => {
      const ctx = openRun(problem, opts.run);
      try {
        const out = path.resolve(opts.out ?? path.join(ctx.problemDir, '.evoloop', 'reports', ctx.run.id));
        const written = await writeReport(ctx.store, ctx.run.id, out);
        if (opts.json) return printJson(written);
        process.stdout.write(
          `report of run ${ctx.run.id}:\n  ${written.markdown}\n  ${written.html}\n  ${written.svg}\n${written.comparison ? `  ${written.comparison}\n` : ''}`,
        );
      } finally {
        ctx.store.close();
      }
    });
}
