// Settings a user changes per invocation without editing evoloop.yaml (`run --parallel 4
// --time 2h`). None of them is a verdict setting, so a run resumes with them unchanged.
import type { Config } from '../config/schema.js';

export interface RunOverrides {
  /** search.parallel */
  parallel?: number;
  /** search.seed */
  seed?: number;
  /** budget.time in ms: the run's total, earlier sessions included. */
  timeMs?: number;
  /** budget.usd: the run's total spend. */
  usd?: number;
  /** budget.patience */
  patience?: number;
}

export function applyOverrides(config: Config, o: RunOverrides = {}): Config {
  const pick = <T>(over: T | undefined, current: T) => (over === undefined ? current : over);
  return {
    ...config,
    search: { ...config.search, parallel: pick(o.parallel, config.search.parallel), seed: pick(o.seed, config.search.seed) },
    budget: {
      ...config.budget,
      time: pick(o.timeMs, config.budget.time),
      usd: pick(o.usd, config.budget.usd),
      patience: pick(o.patience, config.budget.patience),
    },
  };
}
