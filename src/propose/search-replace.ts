// SEARCH/REPLACE edit blocks (the llm-diff format): parse a model reply, apply it to files.
// Tolerates the usual model slips but never applies an ambiguous match.
import type { FileSet } from '../core/types.js';
import { normalizeRelPath } from './edit-rules.js';

export interface EditBlock {
  path?: string;
  /** Whole lines, each ending in '\n'; '' means "create the file". */
  search: string;
  replace: string;
}

const SEARCH_RE = /^\s*<{5,9}\s*SEARCH\s*$/i;
const DIVIDER_RE = /^\s*={5,9}\s*$/;
const REPLACE_RE = /^\s*>{5,9}\s*REPLACE\s*$/i;
const FENCE_RE = /^\s*(`{3,}|~{3,})\s*(.*)$/;
/** Extensionless file names a path line may hold without a `/` or `.` in it. */
const BARE_FILES = /^(Makefile|GNUmakefile|Dockerfile|Containerfile|Justfile|Rakefile|Gemfile|Procfile|Vagrantfile|Jenkinsfile|LICENSE|README)$/;

/** Lines back to text, each ending in '\n'. */
function toText(lines: string[]): string {
  return lines.map((l) => l + '\n').join('');
}

/** A path if the line is a file path line: `path`, **path**, # path, File: path, path:, ./path. */
function pathFromLine(line: string): string | undefined {
  let s = line.trim();
  const labelled = /^(?:#+\s*)?(?:\*\*)?(?:file(?:name)?|path)\s*:\s*(?:\*\*)?\s*(.+)$/i.exec(s);
  if (labelled) s = labelled[1];
  s = s
    .replace(/^#+\s*/, '')
    .replace(/^\*+|\*+$/g, '')
    .replace(/:$/, '')
    .replace(/^\*+|\*+$/g, '');
  s = s.replace(/^(["'`])(.*)\1$/, '$2').trim();
  if (!/^[\w./@+~-]+$/.test(s)) {
    // prose ending in a quoted path: "Change `src/a.js`:"
    const tail = /`([^`\s]+)`\s*:?\s*$/.exec(line.trim());
    if (!tail) return undefined;
    s = tail[1];
  }
  if (/^[.~-]*$/.test(s)) return undefined;
  if (labelled || s.includes('/') || s.includes('.') || BARE_FILES.test(s)) return s.replace(/^\.\//, '');
  return undefined;
}

/** A path from a fence info string: ```js path/to/file.js, ```path/to/file.js or ```js:path/to/file.js. */
function pathFromFence(info: string): string | undefined {
  const words = info.trim().split(/\s+/).filter(Boolean);
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i].replace(/^(?:file|path|title)=|^\w+:(?!\/)/, '').replace(/^["']|["']$/g, '');
    if (w.includes('/') || (w.includes('.') && !/^\.?\w+$/.test(w))) return w.replace(/^\.\//, '');
  }
  return undefined;
}

/** The path named just above a SEARCH marker (looking back at most past one fence line). */
function pathAbove(lines: string[], searchIdx: number, floor: number): string | undefined {
  let i = searchIdx - 1;
  const prev = () => {
    while (i >= floor && lines[i].trim() === '') i--;
    return i >= floor ? lines[i--] : undefined;
  };
  const first = prev();
  if (first === undefined) return undefined;
  const fence = FENCE_RE.exec(first);
  if (!fence) return pathFromLine(first);
  const fromInfo = pathFromFence(fence[2]);
  if (fromInfo) return fromInfo;
  const second = prev();
  return second === undefined || FENCE_RE.test(second) ? undefined : pathFromLine(second);
}

export function parseSearchReplace(reply: string): { blocks: EditBlock[] } | { error: string } {
  const lines = reply.replace(/\r\n?/g, '\n').split('\n');
  const blocks: EditBlock[] = [];
  let lastPath: string | undefined;
  let floor = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!SEARCH_RE.test(lines[i])) continue;
    const start = i;
    const path = pathAbove(lines, start, floor) ?? lastPath;
    const search: string[] = [];
    const replace: string[] = [];
    let j = i + 1;
    while (j < lines.length && !DIVIDER_RE.test(lines[j])) {
      if (SEARCH_RE.test(lines[j]) || REPLACE_RE.test(lines[j])) break;
      search.push(lines[j++]);
    }
    if (j >= lines.length || !DIVIDER_RE.test(lines[j])) {
      return {
        error: `block ${blocks.length + 1} (line ${start + 1}) has no '=======' line after its SEARCH section; each block is <<<<<<< SEARCH, the old lines, =======, the new lines, >>>>>>> REPLACE`,
      };
    }
    j++;
    while (j < lines.length && !REPLACE_RE.test(lines[j])) {
      if (SEARCH_RE.test(lines[j])) break;
      replace.push(lines[j++]);
    }
    if (j >= lines.length || !REPLACE_RE.test(lines[j])) {
      return {
        error: `block ${blocks.length + 1} (line ${start + 1}) is not closed by '>>>>>>> REPLACE' (the reply may have been cut off); end each block with >>>>>>> REPLACE`,
      };
    }
    // A SEARCH of blank lines only is the "create a file" form.
    const searchText = search.every((l) => l.trim() === '') ? '' : toText(search);
    blocks.push({ ...(path !== undefined && { path }), search: searchText, replace: toText(replace) });
    lastPath = path;
    floor = j + 1;
    i = j;
  }
  if (blocks.length === 0) {
    const stray = lines.findIndex((l) => REPLACE_RE.test(l));
    const why = stray >= 0 ? ` (line ${stray + 1} has '${lines[stray].trim()}' but no '<<<<<<< SEARCH' line comes before it)` : '';
    return {
      error: `no SEARCH/REPLACE blocks found${why}; write each edit as the file path, <<<<<<< SEARCH, the old lines, =======, the new lines, >>>>>>> REPLACE`,
    };
  }
  return { blocks };
}

interface Line {
  text: string;
  eol: string;
}

function splitLines(content: string): Line[] {
  const out: Line[] = [];
  const re = /([^\n]*?)(\r?\n|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(content)) && m[0] !== '') {
    out.push({ text: m[1], eol: m[2] });
    if (m[2] === '') break;
  }
  return out;
}

function textLines(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** Matching tiers, strictest first; a tier with matches decides (one = apply, several = ambiguous). */
const TIERS: { name: string; norm: (s: string) => string }[] = [
  { name: 'exact', norm: (s) => s },
  { name: 'trailing-whitespace', norm: (s) => s.trimEnd() },
  { name: 'indentation', norm: (s) => s.trim() },
];

function findAll(file: Line[], search: string[], norm: (s: string) => string): number[] {
  const want = search.map(norm);
  const have = file.map((l) => norm(l.text));
  const hits: number[] = [];
  for (let i = 0; i + want.length <= have.length; i++) {
    let k = 0;
    while (k < want.length && have[i + k] === want[k]) k++;
    if (k === want.length) hits.push(i);
  }
  return hits;
}

const indentOf = (s: string) => /^[ \t]*/.exec(s)![0];

/**
 * Shift the replacement by the indentation difference between the file and the SEARCH
 * text. Only a uniform difference can be carried over: when the SEARCH lines are off by
 * different amounts (the model re-indented the block), moving REPLACE by any one of them
 * could silently change nesting (Python), so the edit is refused (undefined).
 */
function reindent(replace: string[], search: string[], matched: Line[]): string[] | undefined {
  const k = search.findIndex((s) => s.trim() !== '');
  if (k < 0) return replace;
  const want = indentOf(matched[k].text);
  const had = indentOf(search[k]);
  const shift = (line: string): string => {
    if (line.trim() === '' || want === had) return line;
    if (want.startsWith(had)) return want.slice(had.length) + line;
    if (line.startsWith(had)) return want + line.slice(had.length);
    if (had.startsWith(want)) return line.slice(Math.min(had.length - want.length, indentOf(line).length));
    return line;
  };
  const uniform = search.every((line, j) => line.trim() === '' || indentOf(shift(line)) === indentOf(matched[j].text));
  return uniform ? replace.map(shift) : undefined;
}

function bigrams(s: string): Set<string> {
  const t = s.trim();
  const out = new Set<string>();
  for (let i = 0; i + 1 < t.length; i++) out.add(t.slice(i, i + 2));
  return out;
}

function similarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let common = 0;
  for (const g of a) if (b.has(g)) common++;
  return (2 * common) / (a.size + b.size);
}

/** The window of file lines most similar to the SEARCH lines, for the error message. */
function closestLines(file: Line[], search: string[]): { line: number; text: string[] } | undefined {
  if (file.length === 0) return undefined;
  const n = Math.min(search.length, file.length);
  const sg = search.map(bigrams);
  const fg = file.map((l) => bigrams(l.text));
  let best = -1;
  let at = 0;
  for (let i = 0; i + n <= file.length; i++) {
    let score = 0;
    for (let k = 0; k < n; k++) score += similarity(sg[k], fg[i + k]);
    if (score > best) {
      best = score;
      at = i;
    }
  }
  if (best <= 0) return undefined;
  return { line: at + 1, text: file.slice(at, at + n).map((l) => l.text) };
}

function quoteLines(lines: string[], max: number): string {
  const shown = lines.slice(0, max).map((l) => `    ${l}`);
  if (lines.length > max) shown.push(`    ... (${lines.length - max} more lines)`);
  return shown.join('\n');
}

function firstNonBlank(lines: string[]): string {
  return (lines.find((l) => l.trim() !== '') ?? '').trim();
}

function trimBlankEnds(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a].trim() === '') a++;
  while (b > a && lines[b - 1].trim() === '') b--;
  return lines.slice(a, b);
}

/** Apply one block to content; returns the new content or the reason it cannot be applied. */
function applyBlock(content: string, block: EditBlock, path: string, label: string): { content: string } | { error: string } {
  const file = splitLines(content);
  const eol = file.find((l) => l.eol !== '')?.eol ?? '\n';
  const attempts: { search: string[]; replace: string[] }[] = [{ search: textLines(block.search), replace: textLines(block.replace) }];
  const trimmed = trimBlankEnds(attempts[0].search);
  if (trimmed.length > 0 && trimmed.length !== attempts[0].search.length) {
    attempts.push({ search: trimmed, replace: trimBlankEnds(attempts[0].replace) });
  }
  for (const { search, replace } of attempts) {
    for (const tier of TIERS) {
      const hits = findAll(file, search, tier.norm);
      if (hits.length > 1) {
        return {
          error: `${label} for ${path} is ambiguous: its SEARCH text (first line: ${JSON.stringify(firstNonBlank(search))}) matches ${hits.length} places (lines ${hits.map((h) => h + 1).join(', ')}); include more surrounding lines in SEARCH so that it matches exactly one place`,
        };
      }
      if (hits.length === 0) continue;
      const at = hits[0];
      const matched = file.slice(at, at + search.length);
      const lines = tier.name === 'indentation' ? reindent(replace, search, matched) : replace;
      if (!lines) {
        return {
          error: `${label} for ${path} matches only if its lines are re-indented by different amounts, which could change the code's nesting:\n${quoteLines(search, 5)}\nCopy the SEARCH lines with their exact indentation from the current file.`,
        };
      }
      const lastEol = matched[matched.length - 1].eol;
      const middle = lines.map((t, k) => ({ text: t, eol: k === lines.length - 1 ? lastEol : eol }));
      if (lines.length === 0 && at > 0 && lastEol === '') file[at - 1].eol = ''; // deleted the last lines: keep "no newline at end"
      const out = [...file.slice(0, at), ...middle, ...file.slice(at + search.length)];
      return { content: out.map((l) => l.text + l.eol).join('') };
    }
  }
  const search = attempts[0].search;
  const close = closestLines(file, trimmed.length > 0 ? trimmed : search);
  const hint = close ? `the closest lines in ${path} (from line ${close.line}) are:\n${quoteLines(close.text, 8)}\n` : `${path} has nothing similar. `;
  return {
    error: `${label} for ${path} does not match: no lines in the file equal its SEARCH text (even ignoring indentation):\n${quoteLines(search, 5)}\n${hint}Copy the SEARCH lines exactly from the current file.`,
  };
}

/**
 * Apply blocks in order (later blocks see earlier edits). `read` gives the current
 * content of a file or undefined when it does not exist; `defaultPath` is used for
 * blocks that name no file. Returns only files whose content really changed.
 */
export function applyEdits(
  read: (path: string) => string | undefined,
  blocks: EditBlock[],
  defaultPath: string | undefined,
): { changes: FileSet } | { error: string } {
  if (blocks.length === 0) return { error: 'no SEARCH/REPLACE blocks found' };
  const working = new Map<string, string | undefined>();
  const current = (p: string) => (working.has(p) ? working.get(p) : read(p));
  for (const [n, block] of blocks.entries()) {
    const label = blocks.length === 1 ? 'the SEARCH/REPLACE block' : `block ${n + 1} of ${blocks.length}`;
    const named = block.path ?? defaultPath;
    if (named === undefined) {
      return { error: `${label} names no file; put the file path on its own line just before <<<<<<< SEARCH` };
    }
    const norm = normalizeRelPath(named);
    if ('error' in norm) return { error: `${label}: ${norm.error}` };
    let path = norm.path;
    let content = current(path);
    if (content === undefined && block.search !== '' && defaultPath !== undefined && block.path !== undefined) {
      // The model dropped the folder ("solver.py" for "src/solver.py"): same file name as the target.
      const def = normalizeRelPath(defaultPath);
      if ('path' in def && def.path.split('/').pop() === path.split('/').pop() && current(def.path) !== undefined) {
        path = def.path;
        content = current(path);
      }
    }
    if (content === undefined) {
      if (block.search.trim() !== '') {
        return { error: `${label}: file ${path} does not exist; to create a new file use an empty SEARCH section, to edit a file use its exact path` };
      }
      working.set(path, block.replace);
      continue;
    }
    if (block.search.trim() === '') {
      if (content.trim() !== '') {
        return {
          error: `${label} has an empty SEARCH section but ${path} already exists and is not empty; an empty SEARCH only creates a new file, so copy the lines to change into SEARCH`,
        };
      }
      working.set(path, block.replace);
      continue;
    }
    const result = applyBlock(content, block, path, label);
    if ('error' in result) return result;
    working.set(path, result.content);
  }
  const changes: FileSet = {};
  for (const [p, c] of working) if (c !== undefined && c !== read(p)) changes[p] = c;
  return { changes };
}
