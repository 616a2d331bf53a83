// `evoloop artifacts <candidate> [--out DIR]`: copies out the files a candidate's stages
// wrote to $EVOLOOP_ARTIFACTS, one folder per stage run (<stage>-<repeat>), with their names.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { fmtBytes } from '../core/artifact-types.js';
import { UsageError } from '../core/errors.js';
import { openRun, printJson, resolveCandidate } from './context.js';

export function registerArtifacts(program: Command): void {
  program
    .command('artifacts')
    .description("copy a candidate's artifacts (files its stages wrote to $EVOLOOP_ARTIFACTS) into a folder")
    .argument('<candidate>', 'a candidate id, `best` or `baseline`')
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'a run id (default: the latest)')
    .option('--out <dir>', 'where to copy them (default: ./artifacts-<id>)')
    .option('--json', 'print JSON: the files written')
    .action((ref: string, problem: string, opts: { run?: string; out?: string; json?: boolean }) => {
      const ctx = openRun(problem, opts.run);
      try {
        const c = resolveCandidate(ctx, ref);
        const out = path.resolve(opts.out ?? `artifacts-${c.id}`);
        const written: { stage: string; repeat: number; name: string; size: number; file: string }[] = [];
        const missing: string[] = [];
        for (const a of ctx.store.artifacts.list(c.id)) {
          const bytes = ctx.store.artifacts.read(a);
          if (!bytes) {
            missing.push(`${a.stage}#${a.repeat} ${a.name}: ${a.note ?? 'its content is gone (removed by evoloop gc?)'}`);
            continue;
          }
          const folder = path.join(out, `${a.stage}-${a.repeat}${a.epoch ? `-epoch${a.epoch}` : ''}`);
          const file = path.resolve(folder, a.name);
          // Names were read from a folder listing (no `..`); checked all the same, as the store is data.
          if (!file.startsWith(folder + path.sep)) throw new UsageError(`artifact name ${JSON.stringify(a.name)} leaves its folder; not written`);
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, bytes);
          written.push({ stage: a.stage, repeat: a.repeat, name: a.name, size: bytes.length, file });
        }
        if (opts.json) return printJson({ id: c.id, out, written, notKept: missing });
        if (written.length === 0 && missing.length === 0) {
          process.stderr.write(`candidate ${c.id} has no artifacts: its stages wrote nothing to $EVOLOOP_ARTIFACTS.\n`);
          return;
        }
        for (const w of written) process.stdout.write(`${w.file} (${fmtBytes(w.size)})\n`);
        for (const m of missing) process.stdout.write(`not copied: ${m}\n`);
        process.stderr.write(`copied ${written.length} file(s) of candidate ${c.id} to ${out}\n`);
      } finally {
        ctx.store.close();
      }
    });
}
