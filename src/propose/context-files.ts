// Which non-editable files a prompt shows the model, and which files no prompt ever shows.
//
// Holdout files: what a holdout stage uses must stay unseen, or the holdout stops measuring
// overfitting. evoloop cannot see which files a stage opens, so it follows names:
//   - a stage uses the files its command names (`node verifier/holdout.mjs`), the files under
//     a folder it names (`--data data/holdout/`), and the files those name in turn: any word
//     or string outside a comment that is a file's path, from the problem folder or from the
//     naming file's folder (`import './circles.mjs'`, `open("verify/test.csv")`; a module
//     path `a.b` as `a/b.py`); a holdout command also uses the folder named like a file it
//     names (`verify/holdout.py` → `verify/holdout/`);
//   - holdout files are those a holdout stage uses and, when there is one, every protected
//     file (its data, usually), minus those a gate or score stage uses: the search runs them.
// Shown (context.show unset): the files that are not editable, not protected, not hidden
// (a path segment starting with `.`), not the config or evoloop.md, not holdout. With
// context.show: exactly the non-editable files its globs match, never a holdout file.
// Pure apart from `read`, which gives a file's content in the base (editable files are never read).
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { globMatcher, isEditable, normalizeRelPath, protectedBy, type EditRules } from './edit-rules.js';

type ContextConfig = Pick<Config, 'verifier' | 'context'>;
export type ReadFile = (relPath: string) => Promise<string | undefined>;

/** Never shown, whatever context.show says: the config and the instructions (already in the prompt). */
const NEVER_SHOWN = ['evoloop.yaml', 'evoloop.yml', 'evoloop.md'];
/** Files larger than this are not scanned for the names of other files (data, not code). */
const MAX_SCANNED_BYTES = 200_000;
const MAX_SCANNED_FILES = 200;

/** The holdout files among `files`, each with why it counts as one. */
export async function holdoutFiles(files: readonly string[], config: ContextConfig, rules: EditRules, read: ReadFile): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const holdout = config.verifier.stages.filter((s) => s.kind === 'holdout');
  if (holdout.length === 0) return out;
  // The program is never holdout, and never read for names: its content is the proposer's.
  const pool = files.filter((f) => !isEditable(f, rules) && !neverShown(f, rules));
  const searchNamed = namedBy(
    pool,
    config.verifier.stages.filter((s) => s.kind !== 'holdout').map((s) => s.run ?? ''),
    false,
  );
  for (const stage of holdout) {
    for (const f of namedBy(pool, [stage.run ?? ''], true)) {
      if (!searchNamed.has(f) && !out.has(f)) out.set(f, `named by the command of holdout stage "${stage.name}"`);
    }
  }
  // What a holdout command names is never reached through the search's files (a comment naming it is not a use).
  const bySearch = await closure(pool, searchNamed, new Set(out.keys()), read);
  const byHoldout = await closure(pool, new Set(out.keys()), bySearch, read);
  for (const f of byHoldout) if (!out.has(f)) out.set(f, 'named by a file that a holdout stage uses');
  for (const f of pool) {
    if (!bySearch.has(f) && !out.has(f) && protectedBy(f, rules) !== undefined) {
      out.set(f, 'protected, and no gate or score stage uses it (neither their commands nor the files they use name it), so evoloop counts it as holdout data');
    }
  }
  return out;
}

/** The non-editable files a prompt may show (before the size and binary checks), given the holdout files. */
export function shownFiles(
  files: readonly string[],
  config: ContextConfig,
  rules: EditRules,
  editable: readonly string[],
  holdout: ReadonlyMap<string, string>,
): string[] {
  const hidden = (f: string) => editable.includes(f) || holdout.has(f) || neverShown(f, rules);
  const show = config.context.show;
  if (show) {
    const listed = globMatcher(show);
    return files.filter((f) => listed(f) && !hidden(f));
  }
  return files.filter((f) => !hidden(f) && protectedBy(f, rules) === undefined && !f.split('/').some((s) => s.startsWith('.')));
}

/** What is wrong with context.show for these files, if anything: a glob that matches nothing, or a holdout file. */
export async function contextShowProblem(files: readonly string[], config: ContextConfig, rules: EditRules, read: ReadFile): Promise<string | undefined> {
  const show = config.context.show;
  if (!show) return undefined;
  const holdout = await holdoutFiles(files, config, rules, read);
  for (const glob of show) {
    const matched = files.filter(globMatcher([glob]));
    if (matched.length === 0) {
      return `context.show: '${glob}' matches no committed file in the problem folder. Fix: give paths or globs relative to the problem folder (e.g. verifier/score.py), and commit the files.`;
    }
    const leak = matched.find((f) => holdout.has(f));
    if (leak) {
      return `context.show: '${glob}' matches ${leak}, a holdout file (${holdout.get(leak)}); holdout files never go into a prompt. Fix: narrow the glob to the files the model may read; if a gate or score stage really uses ${leak}, name it in that stage's command or in a file it runs.`;
    }
  }
  return undefined;
}

function neverShown(f: string, rules: EditRules): boolean {
  const top = f.split('/')[0];
  return NEVER_SHOWN.includes(f) || rules.alwaysProtected.includes(f) || top === '.git' || top === '.evoloop';
}

/** The files that commands name: as a file, as a folder above files, and (stemFolders) the folder named like a named file. */
function namedBy(files: readonly string[], commands: string[], stemFolders: boolean): Set<string> {
  const words = commands.flatMap((c) => pathWords(c, ''));
  const folders = new Set(words);
  if (stemFolders) for (const w of words) if (/\.[^/.]+$/.test(w)) folders.add(w.replace(/\.[^/.]+$/, ''));
  return new Set(files.filter((f) => words.includes(f) || [...folders].some((d) => f.startsWith(`${d}/`))));
}

/**
 * `roots` and, transitively, the files that each of them names (text files; exact paths
 * only, a folder named in code is too loose a hint), never entering `exclude`.
 */
async function closure(files: readonly string[], roots: Set<string>, exclude: Set<string>, read: ReadFile): Promise<Set<string>> {
  const known = new Set(files);
  const used = new Set(roots);
  const queue = [...roots];
  for (let scanned = 0; queue.length > 0 && scanned < MAX_SCANNED_FILES; scanned++) {
    const file = queue.shift()!;
    const content = await read(file);
    if (content === undefined || content.length > MAX_SCANNED_BYTES || content.includes('\0')) continue;
    const dir = path.posix.dirname(file);
    const code = withoutComments(content);
    for (const named of [...pathWords(code, dir === '.' ? '' : dir), ...pathWords(code, '')]) {
      for (const f of [named, `${named}.py`]) {
        if (known.has(f) && !used.has(f) && !exclude.has(f)) {
          used.add(f);
          queue.push(f);
        }
      }
    }
  }
  return used;
}

/** `/* … *\/` blocks and `//` or `#` comments (after a space or at a line start: not in `http://`) removed. */
function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|\s)(?:\/\/|#).*$/gm, '$1');
}

/** The words of a command or file that are relative paths, from `dir`; a Python module path (`a.b`, `.b`) also as `a/b`. */
function pathWords(text: string, dir: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/[\s'"=,;:|&<>()`{}[\]]+/)) {
    if (!word || word.length > 300) continue;
    const moduleLike = word.includes('.') && /^\.*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/.test(word) && !/\.(py|js|mjs|cjs|ts|json|csv|txt|sh)$/.test(word);
    for (const form of moduleLike ? [word, word.replace(/^\.+/, '').replaceAll('.', '/')] : [word]) {
      const norm = normalizeRelPath(dir ? `${dir}/${form}` : form);
      if ('path' in norm) out.push(norm.path);
    }
  }
  return out;
}
