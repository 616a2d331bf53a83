// Files in a language tune has no parser for: the numbers outside comments and strings
// of every common syntax, found by scanning the text. Nothing here knows an index from a
// constant, so every number found may move (what tune did before it had parsers).
import { lineIndex, type ParsedFile, type Site } from '../site.js';

const NUMBER = /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;
/** Characters after which a '-' is a sign rather than subtraction. */
const SIGN_CONTEXT = '=([{,:;?!&|<>*/%+-';

export function scanText(content: string): ParsedFile {
  const sites: Site[] = [];
  const lineOf = lineIndex(content);
  let i = 0;
  while (i < content.length) {
    const c = content[i];
    const next = content[i + 1];
    if ((c === '/' && next === '/') || c === '#') {
      const nl = content.indexOf('\n', i);
      i = nl === -1 ? content.length : nl;
      continue;
    }
    if (c === '/' && next === '*') {
      const close = content.indexOf('*/', i + 2);
      i = close === -1 ? content.length : close + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(content, i);
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      // Identifiers (x1, var2) are not literals: skip the whole word.
      while (i < content.length && /[\w$]/.test(content[i])) i++;
      continue;
    }
    const m = /[\d.]/.test(c) ? NUMBER.exec(content.slice(i, i + 64)) : null;
    if (m && m[0] !== '.') {
      sites.push(siteAt(content, i, m[0], lineOf));
      i += m[0].length;
      continue;
    }
    i++;
  }
  // Without a parser, a hint is anywhere on the literal's line.
  const comments = content.split('\n').map((text, k) => ({ line: k + 1, text }));
  return { parser: 'text scan', sites, comments };
}

function skipString(src: string, i: number): number {
  const quote = src[i];
  // Python's triple-quoted strings ('''…''' and """…""") span lines.
  if (quote !== '`' && src[i + 1] === quote && src[i + 2] === quote) {
    const close = src.indexOf(quote.repeat(3), i + 3);
    return close === -1 ? src.length : close + 3;
  }
  for (let j = i + 1; j < src.length; j++) {
    if (src[j] === '\\') j++;
    else if (src[j] === quote) return j + 1;
    else if (src[j] === '\n' && quote !== '`') return j;
  }
  return src.length;
}

function siteAt(src: string, i: number, text: string, lineOf: (offset: number) => number): Site {
  let start = i;
  let j = i - 1;
  while (j >= 0 && (src[j] === ' ' || src[j] === '\t')) j--;
  if (src[j] === '-') {
    let k = j - 1;
    while (k >= 0 && (src[k] === ' ' || src[k] === '\t')) k--;
    if (k < 0 || SIGN_CONTEXT.includes(src[k]) || src.slice(Math.max(0, k - 5), k + 1).endsWith('return')) start = j;
  }
  // Where no sign stands (`sleep 3`, `a - 3`), a new value stays non-negative.
  return { start, end: i + text.length, text: src.slice(start, i + text.length), line: lineOf(i), signable: start !== i };
}
