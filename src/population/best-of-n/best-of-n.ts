// Best-of-N: the honest baseline for a population run. Every child is proposed from the base
// program (no evolution); acceptance, budget and recording are greedy's, so the best of N
// independent samples is measured exactly as a greedy or islands champion is.
import { GreedyPopulation } from '../greedy/greedy.js';
import type { NoSelection, Selection } from '../population.js';

export class BestOfNPopulation extends GreedyPopulation {
  override select(_random: () => number, count: 1 | 2): Selection | NoSelection {
    if (count > 1)
      return {
        skip: 'best-of-n proposes every child from the base alone, so it has no second parent; use search.strategy: islands for an operator that combines two',
      };
    return { parents: [this.baseline()], inspirations: [], island: null };
  }
}
