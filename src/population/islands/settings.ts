// The islands strategy's settings with their defaults (config/search-schema.ts validates them).
import type { SearchConfig, FeatureConfig } from '../../config/search-schema.js';

export interface IslandSettings {
  islands: number;
  migration: { interval: number; rate: number };
  features: FeatureConfig[];
  /** With no features, how many elites each island keeps (its best K). */
  elites: number;
  /** Proposals to an island without improving its best, after which it is re-seeded; undefined: never. */
  restartPatience?: number;
  /** Weights of the three ways a parent is picked. */
  selection: { exploit: number; explore: number; best: number };
}

// interval 20 rather than 10 (bench/search, 20–40 seeds, 2,400 candidates): islands + merge on
// rugged 0.825 → 0.860, separable bonus 24/40 → 27/40, needle 30/40 both; islands alone on the
// needle 9/20 → 14/20. Islands that stay apart longer climb different peaks before they mix.
export const ISLAND_DEFAULTS = { islands: 4, interval: 20, rate: 1, elites: 5, selection: { exploit: 0.5, explore: 0.3, best: 0.2 } } as const;

/** How many inspirations a proposal gets, and how often one comes from another island. */
export const INSPIRATIONS = 2;
export const OTHER_ISLAND_INSPIRATION = 0.1;
/** How often a two-parent operator's second parent comes from another island. */
export const OTHER_ISLAND_PARTNER = 0.1;

export function islandSettings(search: SearchConfig): IslandSettings {
  return {
    islands: search.islands ?? ISLAND_DEFAULTS.islands,
    migration: search.migration ?? { interval: ISLAND_DEFAULTS.interval, rate: ISLAND_DEFAULTS.rate },
    features: search.features ?? [],
    elites: search.elites ?? ISLAND_DEFAULTS.elites,
    restartPatience: search.restart?.patience,
    selection: search.selection ?? { ...ISLAND_DEFAULTS.selection },
  };
}
