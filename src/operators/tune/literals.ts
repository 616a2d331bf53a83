// Finding the numeric literals tune may change: inside EVOLVE-BLOCK regions when a file
// has them (else the whole file), never inside comments or strings, with an optional
// `evoloop: min..max` hint on the literal's line that bounds it.
import { evolveRegions } from '../../propose/edit-rules.js';

export interface Literal {
  /** Offset of the first character (the sign, when the literal carries one). */
  start: number;
  end: number;
  value: number;
  integer: boolean;
  /** Whether a leading '-' belongs to the literal (unary minus in a value position). */
  signed: boolean;
  range?: [number, number];
  line: number;
}

const NUMBER = /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;
const HINT = /evoloop:\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*\.\.\s*(-?[\d.]+(?:e[+-]?\d+)?)/i;
/** Characters after which a '-' is a sign rather than subtraction. */
const SIGN_CONTEXT = '=([{,:;?!&|<>*/%+-';

export function findLiterals(content: string): Literal[] {
  const regions = evolveRegions(content);
  const spans = regions.length > 0 ? regions : [{ start: 0, end: content.length }];
  const out: Literal[] = [];
  for (const span of spans) scan(content, span.start, span.end, out);
  return out;
}

function scan(src: string, from: number, to: number, out: Literal[]): void {
  let i = from;
  while (i < to) {
    const c = src[i];
    const next = src[i + 1];
    // Line comments (//, #) and block comments are skipped.
    if ((c === '/' && next === '/') || c === '#') {
      const nl = src.indexOf('\n', i);
      i = nl === -1 ? to : nl;
      continue;
    }
    if (c === '/' && next === '*') {
      const close = src.indexOf('*/', i + 2);
      i = close === -1 ? to : close + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(src, i, to);
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      // Identifiers (x1, var2) are not literals: skip the whole word.
      while (i < to && /[\w$]/.test(src[i])) i++;
      continue;
    }
    const m = /[\d.]/.test(c) ? NUMBER.exec(src.slice(i, Math.min(to, i + 64))) : null;
    if (m && m[0] !== '.') {
      out.push(literalAt(src, i, m[0]));
      i += m[0].length;
      continue;
    }
    i++;
  }
}

function skipString(src: string, i: number, to: number): number {
  const quote = src[i];
  // Python's triple-quoted strings ('''…''' and """…""") span lines.
  if (quote !== '`' && src[i + 1] === quote && src[i + 2] === quote) {
    const close = src.indexOf(quote.repeat(3), i + 3);
    return close === -1 || close + 3 > to ? to : close + 3;
  }
  for (let j = i + 1; j < to; j++) {
    if (src[j] === '\\') j++;
    else if (src[j] === quote) return j + 1;
    else if (src[j] === '\n' && quote !== '`') return j;
  }
  return to;
}

function literalAt(src: string, i: number, text: string): Literal {
  let start = i;
  let signed = false;
  let j = i - 1;
  while (j >= 0 && (src[j] === ' ' || src[j] === '\t')) j--;
  if (src[j] === '-') {
    let k = j - 1;
    while (k >= 0 && (src[k] === ' ' || src[k] === '\t')) k--;
    if (k < 0 || SIGN_CONTEXT.includes(src[k]) || src.slice(Math.max(0, k - 5), k + 1).endsWith('return')) {
      start = j;
      signed = true;
    }
  }
  const lineStart = src.lastIndexOf('\n', i - 1) + 1;
  const lineEnd = src.indexOf('\n', i);
  const lineText = src.slice(lineStart, lineEnd === -1 ? src.length : lineEnd);
  const hint = HINT.exec(lineText);
  const magnitude = text.startsWith('0x') || text.startsWith('0X') ? parseInt(text, 16) : Number(text);
  return {
    start,
    end: i + text.length,
    value: signed ? -magnitude : magnitude,
    integer: !/[.eE]/.test(text) || /^0[xX]/.test(text),
    signed,
    range: hint ? orderedRange(Number(hint[1]), Number(hint[2])) : undefined,
    line: src.slice(0, i).split('\n').length,
  };
}

function orderedRange(a: number, b: number): [number, number] | undefined {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === b) return undefined;
  return a < b ? [a, b] : [b, a];
}

/** The text to put in place of a literal, keeping integers integral. */
export function formatLiteral(lit: Literal, value: number): string {
  return lit.integer ? String(Math.round(value)) : trimFloat(value);
}

function trimFloat(v: number): string {
  const s = String(Number(v.toPrecision(6)));
  return /[.e]/.test(s) ? s : `${s}.0`;
}
