// One line per search strategy; `search.strategy` in evoloop.yaml picks one by name.
import type { Config } from '../config/schema.js';
import { BestOfNPopulation } from './best-of-n/best-of-n.js';
import { GreedyPopulation } from './greedy/greedy.js';
import { IslandsPopulation } from './islands/islands.js';
import type { Population, PopulationDeps } from './population.js';

export const strategies: Record<Config['search']['strategy'], (deps: PopulationDeps) => Population> = {
  greedy: (deps) => new GreedyPopulation(deps),
  'best-of-n': (deps) => new BestOfNPopulation(deps),
  islands: (deps) => new IslandsPopulation(deps),
};
