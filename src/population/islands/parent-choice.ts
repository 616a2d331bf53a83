// How an island picks parents: a weighted mix of exploitation (a tournament of three over its
// elites), exploration (uniform over its occupied cells) and its best. A second parent (for
// an operator that combines two) is another elite that is neither an ancestor nor a
// descendant of the first.
import { weightedChoice } from '../../core/random.js';
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

/** A partner for `first` among `pool` (best first): a tournament over the unrelated ones, or undefined when there is none. */
export function pickPartner(first: Elite, pool: Elite[], related: (a: number, b: number) => boolean, random: () => number): Elite | undefined {
  const unrelated = pool.filter((e) => e.id !== first.id && !related(first.id, e.id));
  if (unrelated.length === 0) return undefined;
  let winner = unrelated.length;
  for (let i = 0; i < TOURNAMENT; i++) winner = Math.min(winner, Math.floor(random() * unrelated.length));
  return unrelated[winner];
}

/** Up to `n` distinct elites of `pool` other than `exclude`, drawn uniformly. */
export function sample(pool: Elite[], n: number, exclude: Set<number>, random: () => number): Elite[] {
  const rest = pool.filter((e) => !exclude.has(e.id));
  const out: Elite[] = [];
  while (out.length < n && rest.length > 0) out.push(rest.splice(Math.floor(random() * rest.length), 1)[0]);
  return out;
}
