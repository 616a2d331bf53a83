// Which non-editable files a prompt shows the model, and which files no prompt ever shows.
//
// Holdout files: what a holdout stage uses must stay unseen, or the holdout stops measuring
// overfitting. evoloop cannot see which files a stage opens, so it counts as holdout:
//   - every file a holdout stage's command names (`node verifier/holdout.mjs`), every file
//     under a folder it names (`--data data/holdout/`), and the folder named like a named
//     file (`verify/holdout.py` → `verify/holdout/`);
//   - when there is a holdout stage, every protected file that no gate or score stage's
//     command names (the holdout's data is usually protected and named by nobody);
//   except the files a gate or score stage names: those the search uses anyway.
// Shown (context.show unset): the files that are not editable, not protected, not hidden
// (a path segment starting with `.`), not the config or evoloop.md, not holdout. With
// context.show: exactly the non-editable files its globs match, never a holdout file.
// Pure: the caller lists the files.
import type { Config } from '../config/schema.js';
import { globMatcher, normalizeRelPath, protectedBy, type EditRules } from './edit-rules.js';

type ContextConfig = Pick<Config, 'verifier' | 'context'>;

/** Never shown, whatever context.show says: the config and the instructions (already in the prompt). */
const NEVER_SHOWN = ['evoloop.yaml', 'evoloop.yml', 'evoloop.md'];

/** The holdout files among `files`, each with why it counts as one. */
export function holdoutFiles(files: readonly string[], config: ContextConfig, rules: EditRules): Map<string, string> {
  const holdout = config.verifier.stages.filter((s) => s.kind === 'holdout');
  const out = new Map<string, string>();
  if (holdout.length === 0) return out;
  const bySearch = new Set(config.verifier.stages.filter((s) => s.kind !== 'holdout').flatMap((s) => namedFiles(files, s.run, false)));
  for (const stage of holdout) {
    for (const f of namedFiles(files, stage.run, true)) {
      if (!bySearch.has(f) && !out.has(f)) out.set(f, `named by the command of holdout stage "${stage.name}"`);
    }
  }
  for (const f of files) {
    if (!bySearch.has(f) && !out.has(f) && protectedBy(f, rules) !== undefined) {
      out.set(f, 'protected and named by no gate or score stage command, so evoloop counts it as holdout data');
    }
  }
  return out;
}

/** The non-editable files a prompt may show (before the size and binary checks). */
export function shownFiles(files: readonly string[], config: ContextConfig, rules: EditRules, editable: readonly string[]): string[] {
  const holdout = holdoutFiles(files, config, rules);
  const hidden = (f: string) => editable.includes(f) || holdout.has(f) || neverShown(f, rules);
  const show = config.context.show;
  if (show) {
    const listed = globMatcher(show);
    return files.filter((f) => listed(f) && !hidden(f));
  }
  return files.filter((f) => !hidden(f) && protectedBy(f, rules) === undefined && !f.split('/').some((s) => s.startsWith('.')));
}

/** What is wrong with context.show for these files, if anything: a glob that matches nothing, or a holdout file. */
export function contextShowProblem(files: readonly string[], config: ContextConfig, rules: EditRules): string | undefined {
  const show = config.context.show;
  if (!show) return undefined;
  const holdout = holdoutFiles(files, config, rules);
  for (const glob of show) {
    const matched = files.filter(globMatcher([glob]));
    if (matched.length === 0) {
      return `context.show: '${glob}' matches no committed file in the problem folder. Fix: give paths or globs relative to the problem folder (e.g. verifier/score.py), and commit the files.`;
    }
    const leak = matched.find((f) => holdout.has(f));
    if (leak) {
      return `context.show: '${glob}' matches ${leak}, a holdout file (${holdout.get(leak)}); holdout files never go into a prompt. Fix: narrow the glob to the files the model may read, or, if a gate or score stage really uses ${leak}, name it in that stage's run command.`;
    }
  }
  return undefined;
}

function neverShown(f: string, rules: EditRules): boolean {
  return NEVER_SHOWN.includes(f) || rules.alwaysProtected.includes(f) || f.split('/')[0] === '.git' || f.split('/')[0] === '.evoloop';
}

/** The files a stage command names: as a file, as a folder above files, and (for holdout) the folder named after a named file. */
function namedFiles(files: readonly string[], run: string | undefined, stemFolders: boolean): string[] {
  if (!run) return [];
  const words = run.split(/[\s'"=,;:|&<>()`]+/).flatMap((w) => {
    const norm = normalizeRelPath(w);
    return 'path' in norm ? [norm.path] : [];
  });
  const folders = new Set(words);
  if (stemFolders) for (const w of words) if (/\.[^/.]+$/.test(w)) folders.add(w.replace(/\.[^/.]+$/, ''));
  return files.filter((f) => words.includes(f) || [...folders].some((d) => f.startsWith(`${d}/`)));
}
