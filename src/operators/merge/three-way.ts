// A three-way line merge that aligns the way a reader would. A longest-common-subsequence diff
// is ambiguous where lines repeat (blank lines, closing braces, a column of equal numbers): it
// may match a changed line's neighbours to the wrong copies and report a conflict where the two
// sides changed different lines, or shift the lines around a line equal by chance. So each side
// is diffed against the ancestor after trimming the common prefix and suffix, by the alignment
// with the fewest edits (a replaced line is one edit), ties broken towards matching lines at
// the same position. Two sides' changes conflict only when they touch the same ancestor
// lines (or insert at the same place); changes to adjacent lines both apply, since the verifier
// judges the result anyway. Where both sides replaced the same lines one for one, only the lines
// both changed differently conflict, so a line one side left alone takes the other's change.
import { diffIndices } from 'node-diff3';

/** `lines` replace the ancestor's lines [start, end). */
interface Hunk {
  start: number;
  end: number;
  lines: string[];
}

/** Above this many cells the positional alignment is too costly: node-diff3's LCS diff instead. */
const MAX_CELLS = 4_000_000;

/** Chooses the lines of one conflicting hunk, the ancestor's lines [start, end), from `a`'s version and `b`'s. */
export type Resolve = (mine: string[], theirs: string[], at: { start: number; end: number }) => string[];

/** Merges `a` and `b`, both descended from `o`; without `resolve`, `lines` is undefined when `conflicts` > 0. */
export function mergeLines(a: string[], o: string[], b: string[], resolve?: Resolve): { lines: string[] | undefined; conflicts: number } {
  const left = hunks(o, a);
  const right = hunks(o, b);
  const out: string[] = [];
  let at = 0;
  let conflicts = 0;
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const x = left[i];
    const y = right[j];
    // The next hunk in ancestor order, or the pair when they collide.
    if (x && y && collide(x, y)) {
      // Every hunk of either side that overlaps the growing region joins it.
      let end = Math.max(x.end, y.end);
      let i2 = i + 1;
      let j2 = j + 1;
      for (let grown = true; grown;) {
        grown = false;
        while (i2 < left.length && left[i2].start < end) ((end = Math.max(end, left[i2++].end)), (grown = true));
        while (j2 < right.length && right[j2].start < end) ((end = Math.max(end, right[j2++].end)), (grown = true));
      }
      const start = Math.min(x.start, y.start);
      const mine = apply(o, start, end, left.slice(i, i2));
      const theirs = apply(o, start, end, right.slice(j, j2));
      out.push(...o.slice(at, start));
      const conflict = (m: string[], t: string[], at: { start: number; end: number }) => {
        conflicts++;
        out.push(...(resolve ? resolve(m, t, at) : m));
      };
      if (mine.join('\n') === theirs.join('\n')) out.push(...mine);
      else if (mine.length === end - start && theirs.length === end - start) {
        // One for one: line by line, conflicting runs of lines both changed differently.
        for (let k = 0; k < mine.length;) {
          if (mine[k] === theirs[k] || theirs[k] === o[start + k]) out.push(mine[k++]);
          else if (mine[k] === o[start + k]) out.push(theirs[k++]);
          else {
            let e = k + 1;
            while (e < mine.length && mine[e] !== theirs[e] && mine[e] !== o[start + e] && theirs[e] !== o[start + e]) e++;
            conflict(mine.slice(k, e), theirs.slice(k, e), { start: start + k, end: start + e });
            k = e;
          }
        }
      } else conflict(mine, theirs, { start, end });
      at = end;
      i = i2;
      j = j2;
      continue;
    }
    const next = !y || (x && (x.start < y.start || (x.start === y.start && x.end <= y.end))) ? left[i++] : right[j++];
    out.push(...o.slice(at, next.start), ...next.lines);
    at = next.end;
  }
  out.push(...o.slice(at));
  return { lines: conflicts > 0 && !resolve ? undefined : out, conflicts };
}

/** Two hunks touch the same ancestor lines, or insert at the same place, or one inserts inside the other. */
function collide(x: Hunk, y: Hunk): boolean {
  if (x.start === x.end && y.start === y.end) return x.start === y.start;
  if (x.start === x.end) return y.start < x.start && x.start < y.end;
  if (y.start === y.end) return x.start < y.start && y.start < x.end;
  return Math.max(x.start, y.start) < Math.min(x.end, y.end);
}

/** The ancestor's lines [start, end) with `hs` (inside that range, in order) applied. */
function apply(o: string[], start: number, end: number, hs: Hunk[]): string[] {
  const out: string[] = [];
  let at = start;
  for (const h of hs) {
    out.push(...o.slice(at, h.start), ...h.lines);
    at = h.end;
  }
  out.push(...o.slice(at, end));
  return out;
}

/** How `x` differs from `o`, as hunks in ancestor order. */
export function hunks(o: string[], x: string[]): Hunk[] {
  let pre = 0;
  while (pre < o.length && pre < x.length && o[pre] === x[pre]) pre++;
  let suf = 0;
  while (suf < o.length - pre && suf < x.length - pre && o[o.length - 1 - suf] === x[x.length - 1 - suf]) suf++;
  const om = o.slice(pre, o.length - suf);
  const xm = x.slice(pre, x.length - suf);
  if (om.length === 0 && xm.length === 0) return [];
  const pairs = om.length * xm.length > MAX_CELLS ? lcsPairs(om, xm) : alignedPairs(om, xm);
  const out: Hunk[] = [];
  let oi = 0;
  let xi = 0;
  for (const [po, px] of [...pairs, [om.length, xm.length] as const]) {
    if (po > oi || px > xi) out.push({ start: pre + oi, end: pre + po, lines: xm.slice(xi, px) });
    oi = po + 1;
    xi = px + 1;
  }
  return out;
}

/**
 * Matched line pairs [o index, x index] of an alignment with the fewest edits, where replacing a
 * line is one edit like inserting or deleting one (a longest common subsequence alone would
 * trade two replaced lines for an insertion and a deletion around a line equal by chance, and
 * a merge then applies the insertion next to the other side's replacement: a duplicated line).
 * Among the fewest edits, the one with the most matches, then the one whose matches stay
 * closest to the same position (weights: an edit outweighs any number of matches, a match any
 * sum of position offsets).
 */
function alignedPairs(o: string[], x: string[]): [number, number][] {
  const n = o.length;
  const m = x.length;
  const match = n * m + 1;
  const edit = (Math.min(n, m) + 1) * match;
  const score = new Float64Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = 1; i <= n; i++) score[at(i, 0)] = -i * edit;
  for (let j = 1; j <= m; j++) score[at(0, j)] = -j * edit;
  const diagonal = (i: number, j: number) => score[at(i - 1, j - 1)] + (o[i - 1] === x[j - 1] ? match - Math.abs(i - j) : -edit);
  for (let i = 1; i <= n; i++) {
    const oi = o[i - 1];
    // The merge's hot path, inline: `here` is at(i, j), `up` at(i - 1, j).
    for (let j = 1, up = at(i - 1, 1), here = at(i, 1); j <= m; j++, up++, here++) {
      const diag = score[up - 1] + (oi === x[j - 1] ? match - Math.abs(i - j) : -edit);
      const gap = Math.max(score[up], score[here - 1]) - edit;
      score[here] = diag > gap ? diag : gap;
    }
  }
  const pairs: [number, number][] = [];
  for (let i = n, j = m; i > 0 && j > 0;) {
    if (score[at(i, j)] === diagonal(i, j)) {
      if (o[i - 1] === x[j - 1]) pairs.push([i - 1, j - 1]);
      i--;
      j--;
    } else if (score[at(i, j)] === score[at(i - 1, j)] - edit) i--;
    else j--;
  }
  return pairs.reverse();
}

/** Matched line pairs of node-diff3's LCS diff (for large files). */
function lcsPairs(o: string[], x: string[]): [number, number][] {
  const pairs: [number, number][] = [];
  let oi = 0;
  let xi = 0;
  for (const d of diffIndices(o, x)) {
    while (oi < d.buffer1[0]) pairs.push([oi++, xi++]);
    oi = d.buffer1[0] + d.buffer1[1];
    xi = d.buffer2[0] + d.buffer2[1];
  }
  while (oi < o.length) pairs.push([oi++, xi++]);
  return pairs;
}
