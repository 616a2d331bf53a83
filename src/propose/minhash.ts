// MinHash (one permutation, binned) over token shingles of normalized code: a program's
// fingerprint, indexed by bands in minhash-index.ts. A program's signature is the element-wise
// minimum of its files' signatures (the MinHash of the union of their shingles), so only changed
// files are hashed.

/** 128 hashes (in 32 bands of 4, minhash-index.ts: a pair with Jaccard 0.5 shares a band with probability 0.87, at 0.7 with 0.9997). */
export const HASHES = 128;
/** Tokens per shingle. */
const SHINGLE = 5;

export type Signature = Uint32Array;

/** 128 bins = the top 7 bits of a shingle's hash; the rest is its value in the bin. */
const BIN_SHIFT = 25;
const VALUE_MASK = (1 << BIN_SHIFT) - 1;
/** A bin no shingle fell in. */
export const EMPTY = 0xffffffff;

function stripComments(code: string): string {
  return code
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(^|[^:])\/\/.*$/gm, '$1')
    .replace(/(^|\s)#\s.*$/gm, '$1'); // "# comment" (Python, shell), not #include or #!
}

/**
 * One-permutation MinHash: each shingle is hashed once, its top bits pick one of HASHES bins and
 * the bin keeps its smallest value, so a signature costs one hash per shingle, not HASHES.
 * A bin no shingle fell in stays EMPTY (small programs), and the estimate skips bins empty in both.
 */
export function signatureOf(code: string): Signature {
  const tokens = tokenHashes(stripComments(code));
  const sig = new Uint32Array(HASHES).fill(EMPTY);
  const last = Math.max(1, tokens.length - SHINGLE + 1);
  for (let i = 0; i < last; i++) {
    let h = 0x9e3779b9;
    for (let j = i; j < Math.min(tokens.length, i + SHINGLE); j++) h = mix(h ^ tokens[j]);
    const bin = h >>> BIN_SHIFT;
    const value = h & VALUE_MASK;
    if (value < sig[bin]) sig[bin] = value;
  }
  return sig;
}

/**
 * The code's tokens (words, numbers with their decimals, each other non-space character; layout
 * dropped) as FNV hashes, in one pass without building strings: the hot path of a check.
 */
function tokenHashes(code: string): Uint32Array {
  const out = new Uint32Array(code.length);
  let n = 0;
  let h = 0;
  let inWord = false;
  for (let i = 0; i < code.length; i++) {
    const ch = code.charCodeAt(i);
    if (isWord(ch) || (inWord && ch === 46 /* . inside a number */ && isDigit(code.charCodeAt(i + 1)) && isDigit(code.charCodeAt(i - 1)))) {
      h = inWord ? Math.imul(h ^ ch, 0x01000193) : Math.imul(0x811c9dc5 ^ ch, 0x01000193);
      inWord = true;
      continue;
    }
    if (inWord) out[n++] = h >>> 0;
    inWord = false;
    if (ch > 32) out[n++] = Math.imul(0x811c9dc5 ^ ch, 0x01000193) >>> 0;
  }
  if (inWord) out[n++] = h >>> 0;
  return out.subarray(0, n);
}

function isWord(ch: number): boolean {
  return (ch >= 48 && ch <= 57) || (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122) || ch === 95 || ch === 36;
}

function isDigit(ch: number): boolean {
  return ch >= 48 && ch <= 57;
}

/** The signature of several files together. */
export function unionOf(sigs: Iterable<Signature>): Signature {
  const out = new Uint32Array(HASHES).fill(EMPTY);
  for (const s of sigs) for (let k = 0; k < HASHES; k++) if (s[k] < out[k]) out[k] = s[k];
  return out;
}

/** Estimated Jaccard similarity of the two shingle sets (standard error about 0.02 near 0.95 with every bin filled). */
export function similarity(a: Signature, b: Signature): number {
  let same = 0;
  let used = 0;
  for (let k = 0; k < HASHES; k++) {
    if (a[k] === EMPTY && b[k] === EMPTY) continue;
    used++;
    if (a[k] === b[k]) same++;
  }
  return used === 0 ? 1 : same / used;
}

/** murmur3's finalizer: a good 32-bit mix. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
