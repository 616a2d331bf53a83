import { describe, expect, it } from 'vitest';
import { mapOpenEvolveConfig } from './config-map.js';

const shape = { hasEvaluate: true, cascade: [] };
const map = (source: Record<string, unknown>) => mapOpenEvolveConfig(source, shape, 'initial_program.py', { offline: true });

describe('mapOpenEvolveConfig', () => {
  it('maps several islands to the islands strategy, and one island to greedy', () => {
    expect(map({ database: { num_islands: 5 } }).config.search).toEqual({ strategy: 'islands', islands: 5 });
    const one = map({ database: { num_islands: 1, migration_interval: 20 } });
    expect(one.config.search).toBeUndefined();
    expect(one.approximate).toEqual([]);
    const tiny = map({ database: { num_islands: 3, migration_rate: 0.01 } });
    expect(tiny.config.search).toEqual({ strategy: 'islands', islands: 3, migration: { interval: 20, rate: 1 } }); // at least one migrant; evoloop's default interval
  });

  it('tells keys OpenEvolve ignores (not in its Config) from keys evoloop has no meaning for', () => {
    const m = map({
      parallel_evaluations: 4,
      algotune: { num_trials: 3 },
      novelty: { enabled: true },
      llm: { top_p: 0.9, reasoning_effort: 'high' },
      database: { population_size: 100, feature_bins: { x: 4 } },
      evaluator: { cpu_limit: 2 },
    });
    expect(m.noEffect).toEqual([
      'parallel_evaluations: not an OpenEvolve setting (its config loader ignores it)',
      'algotune.num_trials: not an OpenEvolve setting (its config loader ignores it)',
      'novelty.enabled: not an OpenEvolve setting (its config loader ignores it)',
      'evaluator.cpu_limit',
    ]);
    expect(m.untranslated).toEqual([
      'llm.top_p: not configurable in evoloop',
      'llm.reasoning_effort: not configurable in evoloop',
      'database.population_size: evoloop keeps every candidate',
      'database.feature_bins.x: give bins per feature in search.features',
    ]);
  });
});
