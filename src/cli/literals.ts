// `evoloop literals [problem|file] [--json]`: what the offline operators would move in the
// editable files, with the range each may take (a hint to copy), and what they leave alone
// and why; so a user can check before a run. Exit 2 when a file does not parse.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { findConfigFile, loadConfigFile } from '../config/load.js';
import { UsageError } from '../core/errors.js';
import { describeRange } from '../operators/tune/domain.js';
import { findLiterals, type FileLiterals } from '../operators/tune/literals.js';
import { literalTable } from '../operators/tune/table.js';
import { editRulesFor, isEditable } from '../propose/edit-rules.js';
import { git } from '../workspace/git.js';
import { printJson } from './context.js';

export function registerLiterals(program: Command): void {
  program
    .command('literals')
    .description('list the numeric literals the offline tune operator would move, with their ranges, and those it leaves alone (and why)')
    .argument('[problem]', 'folder holding evoloop.yaml (its `edit` files are read), or one file', '.')
    .option('--json', 'print JSON')
    .action(async (target: string, opts: { json?: boolean }) => {
      const single = statSync(target, { throwIfNoEntry: false })?.isFile();
      const files = single ? [target] : await editableFiles(target);
      const found: FileLiterals[] = [];
      const errors: string[] = [];
      for (const file of files) {
        const content = readFileSync(single ? file : path.join(target, file), 'utf8');
        try {
          found.push(await findLiterals(file, content));
        } catch (err) {
          const message = (err as Error).message;
          errors.push(message.startsWith(file) ? message : `${file}: ${message}`);
        }
      }
      if (opts.json) printJson({ files: found.map(toJson), errors });
      else if (found.length > 0) process.stdout.write(`${literalTable(found, { listSkipped: true })}\n`);
      if (errors.length > 0) throw new UsageError(errors.join('\n'));
    });
}

/** The problem's editable files as the working tree has them (git's view when it is a repository: ignored files left out). */
async function editableFiles(problemDir: string): Promise<string[]> {
  const configFile = findConfigFile(problemDir);
  const config = loadConfigFile(configFile);
  const rules = editRulesFor(config, problemDir, configFile);
  const listed = await git(problemDir, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { allowFail: true }).catch(() => undefined);
  const all =
    listed && listed.code === 0
      ? listed.stdout.split('\0').filter(Boolean)
      : (readdirSync(problemDir, { recursive: true, encoding: 'utf8' }) as string[]).filter(
          (p) => !/(^|[\\/])(\.git|\.evoloop|node_modules)([\\/]|$)/.test(p) && statSync(path.join(problemDir, p)).isFile(),
        );
  const editable = [...new Set(all)].filter((p) => isEditable(p, rules)).sort();
  if (editable.length === 0) {
    throw new UsageError(
      `no file in ${problemDir} matches edit: ${JSON.stringify(config.edit)}. Fix: list the files to tune under \`edit\` in ${configFile}, or pass one file: \`evoloop literals path/to/file.py\`.`,
    );
  }
  return editable;
}

function toJson(f: FileLiterals) {
  return {
    path: f.path,
    language: f.language ?? null,
    parser: f.parser,
    movable: f.movable.map((l) => ({
      line: l.line,
      text: l.text,
      name: l.name ?? null,
      value: l.value,
      ...(l.domain.kind === 'range'
        ? {
            source: l.domain.source,
            hint: describeRange(l.domain),
            range: { min: l.domain.min, max: l.domain.max, log: l.domain.log, integer: l.domain.integer, step: l.domain.step ?? null },
          }
        : { source: 'relative', hint: null, range: null }),
    })),
    skipped: f.skipped,
  };
}
