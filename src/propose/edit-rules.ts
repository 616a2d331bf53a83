// What a proposal may change: edit/protect globs, EVOLVE-BLOCK regions, and
// paths that must stay inside the problem folder. Pure except checkInsideWorktree.
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { FileSet } from '../core/types.js';

export interface EditRules {
  edit: string[];
  protect: string[];
  /** Protected whatever the config says, e.g. the config file 'evoloop.yaml'. */
  alwaysProtected: string[];
}

/**
 * The rules a config sets for its problem: its edit and protect globs, plus the config file
 * itself and its instructions_file, which no candidate may change.
 */
export function editRulesFor(
  config: { edit: string[]; protect: string[]; instructions_file?: string },
  problemDir: string,
  configFile: string | undefined,
): EditRules {
  const always = [...(configFile ? [path.relative(problemDir, configFile)] : []), ...(config.instructions_file ? [config.instructions_file] : [])];
  return { edit: config.edit, protect: config.protect, alwaysProtected: always.map((p) => p.split(path.sep).join('/')) };
}

/** Never writable, whatever the config: git internals (hooks would run on the host) and evoloop's own store. */
const BUILTIN_PROTECTED = ['.git', '.evoloop'];

/**
 * Turns a model- or user-supplied path into the canonical form used as a FileSet key
 * (relative to the problem folder, `/`-separated, no `.`/`..`/empty segments).
 */
export function normalizeRelPath(p: string): { path: string } | { error: string } {
  if (p.includes('\0')) return { error: `path ${JSON.stringify(p)} contains a NUL byte; use a plain relative path` };
  const slashed = p.trim().replace(/\\/g, '/');
  if (slashed === '') return { error: 'empty file path; give the path relative to the problem folder, e.g. src/main.py' };
  if (/^[A-Za-z]:/.test(slashed)) {
    return { error: `path '${p}' has a drive letter; give the path relative to the problem folder` };
  }
  if (slashed.startsWith('/')) {
    return { error: `path '${p}' is absolute; give the path relative to the problem folder` };
  }
  const out: string[] = [];
  for (const seg of slashed.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return { error: `path '${p}' escapes the problem folder; only files inside it may be changed` };
      out.pop();
    } else out.push(seg);
  }
  if (out.length === 0) return { error: `path '${p}' names the problem folder itself, not a file` };
  return { path: out.join('/') };
}

/**
 * Glob semantics, like .gitignore (what users already know):
 * - a pattern without a `/` (other than a trailing one), e.g. `*.py` or `data`, matches a
 *   file or folder name at any depth;
 * - a pattern with a `/` (or `**`), e.g. `src/*.py`, matches the path from the problem
 *   folder; a leading `/` only anchors and is dropped;
 * - a pattern that matches a folder covers everything below it; a trailing `/` matches
 *   folders only (`data/` covers data/x.csv but not a file named data);
 * - dot files match like any other file (picomatch `dot: true`).
 * Protect patterns also ignore case: on macOS and Windows `Verifier.py` is the same file
 * as `verifier.py`, and wrongly protecting a file is the cheap mistake.
 */
function compile(patterns: string[], nocase: boolean): (relPath: string) => boolean {
  // The engine asks about every base file for every proposal: picomatch compiles once per pattern list.
  const key = JSON.stringify([patterns, nocase]);
  let matcher = compiled.get(key);
  if (!matcher) compiled.set(key, (matcher = compileNow(patterns, nocase)));
  return matcher;
}

/** Matchers by pattern list (a config has a handful). */
const compiled = new Map<string, (relPath: string) => boolean>();

function compileNow(patterns: string[], nocase: boolean): (relPath: string) => boolean {
  const testers = patterns.map((raw) => {
    let pat = raw.trim().replace(/\\/g, '/').replace(/^\.\//, '');
    const dirOnly = pat.endsWith('/');
    pat = pat.replace(/\/+$/, '');
    const anchored = pat.includes('/');
    pat = pat.replace(/^\/+/, '');
    const isMatch = picomatch(pat, { dot: true, nocase });
    return { dirOnly, anchored, isMatch };
  });
  return (relPath) => {
    const segs = relPath.split('/');
    for (let i = 0; i < segs.length; i++) {
      const isFile = i === segs.length - 1;
      const prefix = segs.slice(0, i + 1).join('/');
      for (const t of testers) {
        if (isFile && t.dirOnly) continue;
        if (t.isMatch(t.anchored ? prefix : segs[i])) return true;
      }
    }
    return false;
  };
}

/** A matcher for user globs (context.show) with the semantics above, case-sensitive like edit. */
export function globMatcher(patterns: string[]): (relPath: string) => boolean {
  return compile(patterns, false);
}

export function isEditable(relPath: string, rules: EditRules): boolean {
  return compile(rules.edit, false)(relPath) && protectedBy(relPath, rules) === undefined;
}

/** The pattern that protects relPath, if any. */
export function protectedBy(relPath: string, rules: EditRules): string | undefined {
  for (const pat of [...BUILTIN_PROTECTED, ...rules.alwaysProtected, ...rules.protect]) {
    if (compile([pat], true)(relPath)) return pat;
  }
  return undefined;
}

const MARKER = /^[ \t]*(?:\/\/+|#+|--+|\/\*+|<!--|;+|%+|\*+)?[ \t]*EVOLVE-BLOCK-(START|END)\b/;

/**
 * Character ranges strictly between EVOLVE-BLOCK-START and EVOLVE-BLOCK-END marker
 * lines: from just after the START line's newline to the first character of the END
 * line. A marker line is the marker after optional comment syntax (//, #, --, /*, <!--,
 * ;, %), anything may follow it. Throws when markers are unbalanced or nested.
 */
export function evolveRegions(content: string): { start: number; end: number }[] {
  const regions: { start: number; end: number }[] = [];
  let open: { start: number; line: number } | undefined;
  let pos = 0;
  let lineNo = 0;
  while (pos < content.length) {
    lineNo++;
    const nl = content.indexOf('\n', pos);
    const lineEnd = nl === -1 ? content.length : nl + 1;
    const m = MARKER.exec(content.slice(pos, lineEnd));
    if (m?.[1] === 'START') {
      if (open)
        throw new Error(`EVOLVE-BLOCK-START on line ${lineNo} comes before the EVOLVE-BLOCK-END of the block opened on line ${open.line}; blocks cannot nest`);
      open = { start: lineEnd, line: lineNo };
    } else if (m?.[1] === 'END') {
      if (!open) throw new Error(`EVOLVE-BLOCK-END on line ${lineNo} has no EVOLVE-BLOCK-START before it`);
      regions.push({ start: open.start, end: pos });
      open = undefined;
    }
    pos = lineEnd;
  }
  if (open) throw new Error(`EVOLVE-BLOCK-START on line ${open.line} has no EVOLVE-BLOCK-END after it`);
  return regions;
}

/** The text outside the regions (marker lines included), one part per gap, with its offset. */
function outsideParts(content: string, regions: { start: number; end: number }[]): { at: number; text: string }[] {
  const parts: { at: number; text: string }[] = [];
  let pos = 0;
  for (const r of regions) {
    parts.push({ at: pos, text: content.slice(pos, r.start) });
    pos = r.end;
  }
  parts.push({ at: pos, text: content.slice(pos) });
  return parts;
}

function regionsOrError(content: string): { start: number; end: number }[] | string {
  try {
    return evolveRegions(content);
  } catch (e) {
    return (e as Error).message;
  }
}

/** Why `after` changes something outside the EVOLVE-BLOCK regions of `before`, if it does. */
function evolveViolation(relPath: string, before: string | undefined, after: string): string | undefined {
  const oldRegions = before === undefined ? [] : regionsOrError(before);
  if (typeof oldRegions === 'string') return undefined; // the base's own markers are broken: config validation reports that
  const newRegions = regionsOrError(after);
  if (typeof newRegions === 'string') {
    return `${relPath}: ${newRegions}; keep the EVOLVE-BLOCK-START/END marker lines exactly as they are and change only the code between them`;
  }
  if (oldRegions.length === 0) {
    if (newRegions.length === 0) return undefined;
    return `${relPath}: adds EVOLVE-BLOCK markers, which only the user may place; remove them`;
  }
  if (newRegions.length !== oldRegions.length) {
    return `${relPath}: has ${oldRegions.length} EVOLVE-BLOCK region(s) but the change leaves ${newRegions.length}; keep every EVOLVE-BLOCK-START/END marker line and change only the code between them`;
  }
  const oldParts = outsideParts(before!, oldRegions);
  const newParts = outsideParts(after, newRegions);
  for (let i = 0; i < oldParts.length; i++) {
    if (oldParts[i].text === newParts[i].text) continue;
    const where =
      i === 0
        ? 'before the first EVOLVE-BLOCK-START'
        : i === oldParts.length - 1
          ? 'after the last EVOLVE-BLOCK-END'
          : `between EVOLVE-BLOCK regions ${i} and ${i + 1}`;
    const lineBase = after.slice(0, newParts[i].at).split('\n').length;
    return `${relPath}: changes frozen code ${where} (${describeDifference(oldParts[i].text, newParts[i].text, lineBase)}); only the code between EVOLVE-BLOCK-START and EVOLVE-BLOCK-END may change`;
  }
  return undefined;
}

function describeDifference(a: string, b: string, lineBase: number): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] === bl[i]) continue;
    const show = (l: string | undefined) => (l === undefined ? 'nothing' : JSON.stringify(l.trim().slice(0, 80)));
    return `line ${lineBase + i}: ${show(al[i])} became ${show(bl[i])}`;
  }
  return 'line endings';
}

/**
 * Whether a change set may be evaluated. `original` gives the parent's content
 * (undefined for a new file); `changes` keys must already be normalized paths.
 */
export function checkChanges(changes: FileSet, original: (path: string) => string | undefined, rules: EditRules): { ok: true } | { ok: false; reason: string } {
  const editable = compile(rules.edit, false);
  for (const [p, content] of Object.entries(changes)) {
    const norm = normalizeRelPath(p);
    if ('error' in norm) return { ok: false, reason: norm.error };
    if (norm.path !== p) return { ok: false, reason: `path '${p}' is not in normal form; write it as '${norm.path}'` };
    const guard = protectedBy(p, rules);
    if (guard !== undefined) {
      return { ok: false, reason: `${p} is protected (matches '${guard}') and must not be changed; change only files matching edit: ${rules.edit.join(', ')}` };
    }
    if (!editable(p)) {
      return {
        ok: false,
        reason: `${p} is not editable (matches no edit glob: ${rules.edit.join(', ') || 'none configured'}); change only files matching them`,
      };
    }
    const violation = evolveViolation(p, original(p), content);
    if (violation !== undefined) return { ok: false, reason: violation };
  }
  return { ok: true };
}

/**
 * Filesystem check before writing relPath under root: every existing component of the
 * path must be a plain directory/file, not a symlink. A symlink leading out of root is an
 * escape; one leading elsewhere inside root would dodge the protect rules checked on relPath.
 * Returns the reason to reject, or undefined when the path is safe.
 */
export async function checkInsideWorktree(root: string, relPath: string): Promise<string | undefined> {
  const norm = normalizeRelPath(relPath);
  if ('error' in norm) return norm.error;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (e) {
    return `worktree ${root} cannot be resolved (${(e as Error).message}); it must exist before files are written`;
  }
  const segs = norm.path.split('/');
  for (let i = 1; i <= segs.length; i++) {
    const sub = segs.slice(0, i).join('/');
    const full = path.join(realRoot, ...segs.slice(0, i));
    let isLink: boolean;
    try {
      isLink = (await lstat(full)).isSymbolicLink();
    } catch {
      return undefined; // does not exist yet: the rest will be created as plain files and folders
    }
    if (!isLink) continue;
    let target: string;
    try {
      target = await realpath(full);
    } catch {
      return `${sub} is a dangling symlink; ${norm.path} cannot be written through it`;
    }
    const rel = path.relative(realRoot, target);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      return `${sub} is a symlink to ${target}, outside the problem folder; ${norm.path} must not be written through it`;
    }
    const inside = [rel.split(path.sep).join('/'), ...segs.slice(i)].join('/');
    return `${sub} is a symlink inside the problem folder; edit ${inside} instead of ${norm.path}`;
  }
  return undefined;
}
