// Migration and restart plans, pure. Every `interval` accepted candidates the best `rate`
// elites of each island are copied to the next island on the ring; a copy (or the baseline,
// which seeds every island) is never migrated again, and an elite already sent to that
// neighbour is not sent again (an island whose best has not changed since the last round would
// otherwise send it every round, each copy measured only to lose to the first or to what beat
// it). A stagnant island is re-seeded from the best island. The copies become candidate rows (operator `migrate`) measured on their new
// island before they land (islands.ts).
import type { Archive, Elite } from './archive.js';

export interface Move {
  elite: Elite;
  from: number;
  to: number;
  why: string;
}

/** Whether an elite may be copied: not a copy itself, not the baseline. */
export type Migratable = (e: Elite) => boolean;

/** Whether an elite was already copied to island `to` (since that island was last re-seeded). */
export type Sent = (e: Elite, to: number) => boolean;

export function migrationMoves(archives: Archive[], rate: number, round: number, migratable: Migratable, sent: Sent): Move[] {
  if (archives.length < 2) return [];
  return archives.flatMap((archive, from) => {
    const to = (from + 1) % archives.length;
    return archive
      .elites()
      .filter(migratable)
      .slice(0, rate)
      .filter((elite) => !sent(elite, to))
      .map((elite) => ({ elite, from, to, why: `migration ${round}: island ${from} → ${to}` }));
  });
}

/** The island whose best elite is best (ties: the lower id), and the moves re-seeding `stagnant` from it; none when it is the best itself. */
export function restartMoves(archives: Archive[], stagnant: number, goal: 'maximize' | 'minimize', migratable: Migratable): Move[] {
  const sign = goal === 'maximize' ? 1 : -1;
  let bestIsland = 0;
  archives.forEach((a, i) => {
    const b = a.best()?.score;
    const cur = archives[bestIsland].best()?.score;
    if (b !== undefined && (cur === undefined || sign * (b - cur) > 0)) bestIsland = i;
  });
  if (bestIsland === stagnant) return [];
  return archives[bestIsland]
    .elites()
    .filter(migratable)
    .map((elite) => ({ elite, from: bestIsland, to: stagnant, why: `restart: island ${stagnant} stagnated, re-seeded from island ${bestIsland}` }));
}
