// The llm-rewrite reply: a whole file, or only the EVOLVE-BLOCK region(s) spliced back
// between the markers so that the frozen code stays byte-identical.
import { evolveRegions } from './edit-rules.js';

interface Fenced {
  info: string;
  body: string;
  closed: boolean;
}

/** Fenced code blocks (``` or ~~~, closed by a fence of the same kind at least as long). */
function fencedBlocks(reply: string): Fenced[] {
  const lines = reply.replace(/\r\n?/g, '\n').split('\n');
  const out: Fenced[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^([ \t]*)(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open || (open[2][0] === '`' && open[3].includes('`'))) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    const isClose = (l: string) => l.trim().startsWith(fence) && /^[`~]+$/.test(l.trim()) && l.trim()[0] === fence[0];
    while (j < lines.length && !isClose(lines[j])) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
      j++;
    }
    out.push({ info: info.trim(), body: body.map((l) => l + '\n').join(''), closed: j < lines.length });
    i = j;
  }
  return out;
}

function labelledFor(info: string, targetPath: string): boolean {
  const base = targetPath.split('/').pop()!;
  return info.split(/\s+/).some((w) => {
    const p = w
      .replace(/^(?:file|path|title)=/, '')
      .replace(/^["']|["']$/g, '')
      .replace(/^\.\//, '');
    return p === targetPath || p === base;
  });
}

const COMMENT = /^\s*(?:\/\/+|#+|--+|\/\*+|<!--|;+|%+|\*+)\s*/;
/** Phrases with which models skip code they were asked to write out. */
const PLACEHOLDER =
  /rest of (?:the )?(?:code|file|function|class|module|implementation|program|block)|for brevity|(?:remains?|stays?|is|are) (?:the same|unchanged)|same as (?:before|above|original)|existing code|unchanged (?:code|part|lines|functions?)|(?:\.\.\.|…)\s*(?:unchanged|etc)|\b(?:rest|remainder)\b.*\b(?:unchanged|omitted|as (?:before|is))\b/i;

/** Why `text` (replacing `old`) looks cut short, if it does. */
function truncation(text: string, old: string, what: string): string | undefined {
  if (text.trim() === '') return `the rewrite of ${what} is empty; reply with the complete new code in one fenced code block`;
  const oldLines = new Set(old.split('\n').map((l) => l.trim()));
  const lines = text.split('\n');
  const short = text.length < 0.2 * old.length;
  for (const [n, line] of lines.entries()) {
    if (oldLines.has(line.trim())) continue;
    const comment = COMMENT.test(line);
    const rest = line.replace(COMMENT, '').trim();
    if ((comment && PLACEHOLDER.test(rest)) || (short && /^(?:\.\.\.|…)$/.test(rest))) {
      return `the rewrite of ${what} looks truncated: line ${n + 1} (${JSON.stringify(line.trim())}) stands for code that was left out; write out every line of the new code, nothing elided`;
    }
  }
  return undefined;
}

/** Give `text` the line endings of `like`. */
function matchEol(text: string, like: string): string {
  return like.includes('\r\n') ? text.replace(/\r?\n/g, '\r\n') : text;
}

const indentOf = (s: string) => /^[ \t]*/.exec(s)![0];
function minIndent(text: string): string | undefined {
  const ind = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(indentOf);
  return ind.length === 0 ? undefined : ind.reduce((a, b) => (b.length < a.length ? b : a));
}

/** A region's replacement: ends with a newline, indented like the old region when the model dedented it. */
function fitRegion(text: string, old: string): string {
  let t = text.replace(/\n+$/, '') + '\n';
  const want = minIndent(old);
  if (want && minIndent(t) === '')
    t = t
      .split('\n')
      .map((l) => (l.trim() === '' ? l : want + l))
      .join('\n');
  return matchEol(t, old);
}

const MARKER_LINE = /EVOLVE-BLOCK-(?:START|END)/;

/** The code outside the regions, without marker lines, as trimmed lines. */
function frozenLines(content: string, regions: { start: number; end: number }[]): string[] {
  let outside = '';
  let pos = 0;
  for (const r of regions) {
    outside += content.slice(pos, r.start);
    pos = r.end;
  }
  outside += content.slice(pos);
  return outside
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !MARKER_LINE.test(l));
}

function splice(content: string, regions: { start: number; end: number }[], parts: string[]): string {
  let out = '';
  let pos = 0;
  regions.forEach((r, k) => {
    out += content.slice(pos, r.start) + fitRegion(parts[k], content.slice(r.start, r.end));
    pos = r.end;
  });
  return out + content.slice(pos);
}

function safeRegions(content: string): { start: number; end: number }[] | string {
  try {
    return evolveRegions(content);
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Parse an llm-rewrite reply for `targetPath`. With `evolveBlocks` and markers in the
 * current content, the reply may hold only the new region code (one fenced block per
 * region, in order, or one block with the markers kept) or the whole file.
 */
export function parseRewrite(reply: string, targetPath: string, currentContent: string, evolveBlocks: boolean): { content: string } | { error: string } {
  const blocks = fencedBlocks(reply).filter((b) => b.body.trim() !== '');
  if (blocks.length === 0) {
    return { error: `no fenced code block found in the reply; reply with the complete new ${targetPath} inside one \`\`\` code block` };
  }
  const labelled = blocks.filter((b) => labelledFor(b.info, targetPath));
  const pool = labelled.length > 0 ? labelled : blocks;
  const chosen = pool.reduce((a, b) => (b.body.length > a.body.length ? b : a));
  if (!chosen.closed) {
    return { error: `the code block for ${targetPath} is not closed by \`\`\`: the reply was cut off; reply with shorter but complete code` };
  }
  if (/^\s*<{5,9}\s*SEARCH\s*$/m.test(chosen.body)) {
    return { error: `the reply holds SEARCH/REPLACE blocks, but this operator needs the complete new ${targetPath} in one code block` };
  }

  const regions = evolveBlocks ? safeRegions(currentContent) : [];
  if (typeof regions === 'string') return { error: `${targetPath}: ${regions}` };
  if (regions.length === 0) return wholeFile(chosen.body, targetPath, currentContent);

  const oldParts = regions.map((r) => currentContent.slice(r.start, r.end));
  const what = (k: number) => (regions.length === 1 ? `the EVOLVE-BLOCK of ${targetPath}` : `EVOLVE-BLOCK ${k + 1} of ${targetPath}`);
  let parts: string[];
  const inner = safeRegions(chosen.body);
  if (typeof inner === 'string') return { error: `${targetPath}: the reply's ${inner}; keep each marker line exactly once` };
  if (inner.length > 0) {
    if (inner.length !== regions.length) {
      return { error: `${targetPath} has ${regions.length} EVOLVE-BLOCK region(s) but the reply has ${inner.length}; keep every EVOLVE-BLOCK-START/END pair` };
    }
    const frozenNew = frozenLines(chosen.body, inner);
    const frozenOld = frozenLines(currentContent, regions);
    // Anything but the frozen code (or nothing) around the markers is a real change outside
    // the regions: hand over the whole file so that the edit rules reject it with a reason.
    if (frozenNew.length > 0 && frozenNew.join('\n') !== frozenOld.join('\n')) {
      return wholeFile(chosen.body, targetPath, currentContent);
    }
    parts = inner.map((r) => chosen.body.slice(r.start, r.end));
  } else if (regions.length === 1) {
    const regionLines = new Set(oldParts[0].split('\n').map((l) => l.trim()));
    const frozen = [...new Set(frozenLines(currentContent, regions))].filter((l) => l.length >= 8 && !regionLines.has(l));
    const bodyLines = new Set(chosen.body.split('\n').map((l) => l.trim()));
    const echoed = frozen.filter((l) => bodyLines.has(l)).length;
    if (frozen.length > 0 && echoed >= Math.max(1, frozen.length / 2)) {
      return {
        error: `the reply looks like the whole ${targetPath} with the EVOLVE-BLOCK markers removed; reply with only the code between EVOLVE-BLOCK-START and EVOLVE-BLOCK-END, or the whole file with the marker lines kept`,
      };
    }
    parts = [chosen.body];
  } else {
    const closed = blocks.filter((b) => b.closed);
    if (closed.length !== regions.length) {
      return {
        error: `${targetPath} has ${regions.length} EVOLVE-BLOCK regions but the reply has ${closed.length} code block(s); reply with one code block per region, in order, or one code block with the EVOLVE-BLOCK-START/END marker lines kept`,
      };
    }
    parts = closed.map((b) => b.body);
  }
  for (const [k, part] of parts.entries()) {
    const why = truncation(part, oldParts[k], what(k));
    if (why) return { error: why };
  }
  return { content: splice(currentContent, regions, parts) };
}

function wholeFile(body: string, targetPath: string, current: string): { content: string } | { error: string } {
  const why = truncation(body, current, targetPath);
  if (why) return { error: why };
  let content = body.replace(/\n+$/, '');
  if (current === '' || /\n$/.test(current)) content += '\n';
  return { content: matchEol(content, current) };
}
