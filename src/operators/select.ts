// Which operators a run uses, and how often each is picked.
import type { Config } from '../config/schema.js';
import { weightedChoice } from '../core/random.js';
import type { Operator } from './operator.js';
import { tune } from './tune/tune.js';

export interface OperatorSet {
  names: string[];
  /** One line for the user about how proposals are made (e.g. no model configured). */
  notice?: string;
  pick(random: () => number): Operator;
}

export function selectOperators(config: Config): OperatorSet {
  void config;
  return {
    names: ['tune'],
    notice: 'No model configured: using the offline `tune` operator (numeric literals). To use a language model, set `model:` in evoloop.yaml or OPENAI_API_KEY / ANTHROPIC_API_KEY.',
    pick: (random) => weightedChoice([{ item: tune, weight: 1 }], random),
  };
}
