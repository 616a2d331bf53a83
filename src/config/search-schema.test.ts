// Bad `search:` input gets an error naming the key and the fix; good input validates.
import { describe, expect, it } from 'vitest';
import { validateConfig } from './load.js';
import type { ConfigInput } from './schema.js';

const base = {
  edit: ['f.js'],
  verifier: { stages: [{ name: 's', kind: 'score' as const, run: 'x' }] },
  objective: { metric: 'y', goal: 'maximize' as const },
};
const withSearch = (search: unknown) => () => validateConfig({ ...base, search } as ConfigInput);

describe('search config', () => {
  it('accepts the islands keys as the issue names them', () => {
    const c = validateConfig({
      ...base,
      search: {
        strategy: 'islands',
        islands: 8,
        migration: { interval: 5, rate: 2 },
        features: [
          { name: 'size', builtin: 'code_size', range: [0, 1000], bins: 10 },
          { name: 'ms', metric: 'ms', range: [0, 5], bins: 4 },
        ],
        seed: 3,
        restart: { patience: 20 },
        selection: { exploit: 1, explore: 0, best: 0 },
      },
    });
    expect(c.search).toMatchObject({ strategy: 'islands', islands: 8, migration: { interval: 5, rate: 2 }, seed: 3 });
    expect(validateConfig({ ...base, search: { strategy: 'best-of-n' } }).search.strategy).toBe('best-of-n');
  });

  it('refuses island keys under another strategy, naming the fix', () => {
    expect(withSearch({ islands: 4 })).toThrow(
      /search\.islands applies to the islands strategy only, but search\.strategy is greedy\. Fix: set search\.strategy: islands/,
    );
    expect(withSearch({ strategy: 'best-of-n', migration: { interval: 3 } })).toThrow(/search\.migration applies to the islands strategy only/);
  });

  it('refuses a feature with both or neither source, a bad range, duplicate names, and elites beside features', () => {
    const f = (over: object) => ({ name: 'a', metric: 'a', range: [0, 1], bins: 2, ...over });
    expect(withSearch({ strategy: 'islands', features: [f({ builtin: 'code_size' })] })).toThrow(/set exactly one of `metric`.*or `builtin`/);
    expect(withSearch({ strategy: 'islands', features: [f({ range: [3, 3] })] })).toThrow(/range must be \[lo, hi\] with lo < hi/);
    expect(withSearch({ strategy: 'islands', features: [f({ builtin: 'size', metric: undefined })] })).toThrow(/builtin/);
    expect(withSearch({ strategy: 'islands', features: [f({}), f({})] })).toThrow(/"a" names an earlier feature/);
    expect(withSearch({ strategy: 'islands', features: [f({})], elites: 3 })).toThrow(/search\.elites is the archive size when there are no features/);
    expect(withSearch({ strategy: 'islands', features: [f({ bins: 200 }), f({ name: 'b', bins: 200 })] })).toThrow(/40000 cells per island; at most 10000/);
  });

  it('refuses unknown keys and bad values inside the islands settings', () => {
    expect(withSearch({ strategy: 'islands', migration: { every: 3 } })).toThrow(/every/);
    expect(withSearch({ strategy: 'islands', islands: 0 })).toThrow(/search\.islands/);
    expect(withSearch({ strategy: 'islands', selection: { exploit: 0, explore: 0, best: 0 } })).toThrow(/at least one of exploit, explore, best/);
    expect(withSearch({ strategy: 'evolve' })).toThrow(/search\.strategy/);
  });
});
