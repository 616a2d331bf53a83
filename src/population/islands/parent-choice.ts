// How an island picks parents: a weighted mix of exploitation (a tournament of three over its
// elites), exploration (uniform over its occupied cells) and its best. A second parent (for
// an operator that combines two) is another elite that is neither an ancestor nor a
// descendant of the first, preferably one whose changes complement the first's: lines a merge
// would take from it (lines it changed since their common ancestor that the first did not
// touch, or that its lineage edited more often), instead of conflicts it loses or nothing.
import { weightedChoice } from '../../core/random.js';
import type { FileSet } from '../../core/types.js';
import { byHistory, type EditHistories } from '../../operators/merge/resolve.js';
import { hunks, mergeLines } from '../../operators/merge/three-way.js';
import type { Elite } from './archive.js';
import type { IslandSettings } from './settings.js';

const TOURNAMENT = 3;

/** `elites` best first, non-empty. */
export function pickParent(elites: Elite[], mix: IslandSettings['selection'], random: () => number): Elite {
  const how = weightedChoice(
    [
      { item: 'exploit', weight: mix.exploit },
      { item: 'explore', weight: mix.explore },
      { item: 'best', weight: mix.best },
    ],
    random,
  );
  if (how === 'best') return elites[0];
  if (how === 'explore') return elites[Math.floor(random() * elites.length)];
  let winner = elites.length;
  for (let i = 0; i < TOURNAMENT; i++) winner = Math.min(winner, Math.floor(random() * elites.length));
  return elites[winner];
}

/** How many unrelated elites a partner is chosen among by complementarity, and how many at most when none of them brings anything. */
export const PARTNER_CANDIDATES = 6;
const PARTNER_CANDIDATES_MAX = 24;

export interface PartnerLineage {
  /** Ancestor or descendant, or already combined with each other. */
  related: (a: number, b: number) => boolean;
  /** The files of the nearest common ancestor of two elites (the base's, {}, when none), and both lineages' edits since it (`mine`: `a`'s). */
  common: (a: number, b: number) => { files: FileSet; edits?: EditHistories };
  /** A file as the base has it (undefined: not known). */
  base: (path: string) => string | undefined;
}

/**
 * A partner for `first` among `pool` (best first), or undefined when no elite is unrelated:
 * of up to PARTNER_CANDIDATES unrelated elites drawn by tournament, the one that brings the most
 * (complementarity, returned with it), ties and none bringing anything by score.
 */
export function pickPartner(first: Elite, pool: Elite[], lineage: PartnerLineage, random: () => number): { elite: Elite; brings: number } | undefined {
  const unrelated = pool.filter((e) => e.id !== first.id && !lineage.related(first.id, e.id));
  if (unrelated.length === 0) return undefined;
  let best: Elite | undefined;
  let most = -1;
  for (let drawn = 0; drawn < PARTNER_CANDIDATES_MAX && unrelated.length > 0 && (drawn < PARTNER_CANDIDATES || most <= 0); drawn++) {
    let winner = unrelated.length;
    for (let i = 0; i < TOURNAMENT; i++) winner = Math.min(winner, Math.floor(random() * unrelated.length));
    const e = unrelated.splice(winner, 1)[0];
    const common = lineage.common(first.id, e.id);
    const brings = complementarity(first.files, common.files, e.files, lineage.base, common.edits);
    if (brings > most) [best, most] = [e, brings];
  }
  return best && { elite: best, brings: most };
}

/**
 * How many lines of `partner`'s (changed since the common ancestor `origin`) a merge into
 * `first` would take: those `first` left alone, and of those both changed differently the ones
 * the partner's lineage edited more often (by `edits`, as the merge resolves them; without, or
 * on a tie, they count as `first`'s). A file a side leaves at the base is absent from its set
 * (read from `base`); one whose base text is not known counts as one line when only the partner
 * changed it.
 */
export function complementarity(first: FileSet, origin: FileSet, partner: FileSet, base: (path: string) => string | undefined, edits?: EditHistories): number {
  let brings = 0;
  // A merge that comes out as the partner itself is a copy, not a combination.
  let copy = true;
  for (const p of new Set([...Object.keys(first), ...Object.keys(partner)])) {
    const [x, o, y] = [first[p] ?? base(p), origin[p] ?? base(p), partner[p] ?? base(p)];
    if (y === o || y === x) {
      copy &&= x === y;
      continue;
    }
    if (x === undefined || o === undefined || y === undefined) {
      if (x === o) brings += 1;
      else copy = false;
      continue;
    }
    const [xs, os, ys] = [x.split('\n'), o.split('\n'), y.split('\n')];
    // Conflicts the partner's history does not win count as the first's.
    const resolve = byHistory(p, os, edits, (mine) => mine);
    const merged = x === o ? ys : mergeLines(xs, os, ys, resolve).lines!;
    copy &&= merged.join('\n') === y;
    brings += changedLines(xs, merged);
  }
  return copy ? 0 : brings;
}

function changedLines(o: string[], x: string[]): number {
  return hunks(o, x).reduce((n, h) => n + Math.max(h.end - h.start, h.lines.length), 0);
}

/** Up to `n` distinct elites of `pool` other than `exclude`, drawn uniformly. */
export function sample(pool: Elite[], n: number, exclude: Set<number>, random: () => number): Elite[] {
  const rest = pool.filter((e) => !exclude.has(e.id));
  const out: Elite[] = [];
  while (out.length < n && rest.length > 0) out.push(rest.splice(Math.floor(random() * rest.length), 1)[0]);
  return out;
}
