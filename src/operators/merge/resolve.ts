// How a hunk both sides of a merge changed differently is resolved, by the sides' edit
// histories: the side whose lineage edited those lines more often since the common ancestor
// was working on them (the other's change was in passing). Lines both replaced one for one are
// split first where the side that edited them more often changes, so two lineages that each
// climbed their own lines and drifted on the other's combine instead of one side winning
// whole. What neither history decides goes to `tie`.
import type { Resolve } from './three-way.js';

/** How many times a side's lineage edited a file's ancestor lines [start, end) since the common ancestor. */
export type EditCount = (path: string, origin: string[], at: { start: number; end: number }) => number;

export interface EditHistories {
  mine: EditCount;
  theirs: EditCount;
}

/** Conflicting hunks resolved, and how many of them by edit history. */
export interface Tally {
  conflicts: number;
  byHistory: number;
}

/** A Resolve for `path` (ancestor lines `origin`) that counts into `tally`, if given; without histories every hunk goes to `tie`. */
export function byHistory(
  path: string,
  origin: string[],
  edits: EditHistories | undefined,
  tie: (mine: string[], theirs: string[]) => string[],
  tally: Tally = { conflicts: 0, byHistory: 0 },
): Resolve {
  /** Which side edited the lines [start, end) more often: 1 mine, -1 theirs, 0 neither. */
  const lean = (start: number, end: number) => (edits ? Math.sign(edits.mine(path, origin, { start, end }) - edits.theirs(path, origin, { start, end })) : 0);
  const take = (mine: string[], theirs: string[], side: number) => {
    tally.conflicts++;
    if (side === 0) return tie(mine, theirs);
    tally.byHistory++;
    return side > 0 ? mine : theirs;
  };
  return (mine, theirs, { start, end }) => {
    if (!edits || mine.length !== end - start || theirs.length !== mine.length) return take(mine, theirs, lean(start, end));
    const leans = mine.map((_, k) => lean(start + k, start + k + 1));
    const out: string[] = [];
    for (let k = 0; k < mine.length;) {
      let e = k + 1;
      while (e < mine.length && leans[e] === leans[k]) e++;
      // A run neither line's history decides is one hunk: the run's history as a whole may.
      const side = leans[k] === 0 ? lean(start + k, start + e) : leans[k];
      out.push(...take(mine.slice(k, e), theirs.slice(k, e), side));
      k = e;
    }
    return out;
  };
}
