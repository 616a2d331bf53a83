// `evoloop import openevolve DIR --out DIR`: run problems written for another tool.
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { importOpenEvolve } from '../interop/openevolve/import.js';
import { printJson } from './context.js';

const FORMATS = ['openevolve'];

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('turn a problem written for another tool into an evoloop problem (openevolve: initial_program.*, evaluator.py, config.yaml)')
    .argument('<format>', `the source's format: ${FORMATS.join(', ')}`)
    .argument('<dir>', "the source problem's folder")
    .requiredOption('--out <dir>', 'where to write the evoloop problem (a new or empty folder)')
    .option('--config <file>', "the source's config file (default: DIR/config.yaml)")
    .option('--offline', 'propose with tune (no model); the translated models are written as a comment')
    .option('--json', 'print what was written as JSON')
    .action((format: string, dir: string, opts: { out: string; config?: string; offline?: boolean; json?: boolean }) => {
      if (!FORMATS.includes(format)) throw new UsageError(`unknown format "${format}"; evoloop imports: ${FORMATS.join(', ')}.`);
      const r = importOpenEvolve(dir, opts.out, { config: opts.config, offline: opts.offline });
      if (opts.json) return printJson(r);
      const out = path.relative(process.cwd(), r.outDir) || '.';
      const lines = [
        `wrote ${out}/: ${r.program} (edit), verifier/ (protected: evaluator.py, its files, the OpenEvolve shim), evoloop.yaml`,
        `stages: ${r.stages.join(' → ')}; objective: combined_score (maximize)`,
      ];
      const skipped = r.untranslated.length + r.noEffect.length;
      if (skipped > 0) lines.push(`${skipped} config key(s) not translated; each is listed, with why, at the top of ${out}/evoloop.yaml`);
      lines.push(
        r.committed ? `made ${out} a git repository and committed the import` : `commit ${out} (evoloop runs from commits): git add ${out} && git commit`,
      );
      lines.push(
        r.models > 0
          ? `next: npx evoloop run ${out}   (proposes with the ${r.models} translated model(s); --offline at import for tune)`
          : `next: npx evoloop run ${out}   (offline: tune moves the program's numbers)`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
