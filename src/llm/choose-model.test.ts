import { describe, expect, it } from 'vitest';
import { chooseModel, DEFAULT_TIMEOUT_MS, detectModelFromEnv, parseModelFlag } from './choose-model.js';
import type { ModelSpec } from './types.js';

describe('parseModelFlag', () => {
  it('splits provider and name at the first colon only', () => {
    expect(parseModelFlag('openai:gpt-5-mini')).toEqual({ provider: 'openai', name: 'gpt-5-mini', timeoutMs: DEFAULT_TIMEOUT_MS });
    expect(parseModelFlag('openai:qwen2.5-coder:7b', 'http://127.0.0.1:11434/v1')).toEqual({
      provider: 'openai',
      name: 'qwen2.5-coder:7b',
      baseUrl: 'http://127.0.0.1:11434/v1',
      timeoutMs: DEFAULT_TIMEOUT_MS,
    });
    expect(parseModelFlag('anthropic:claude-sonnet-4-5').provider).toBe('anthropic');
  });

  it('explains the expected form when the flag is wrong', () => {
    for (const bad of ['gpt-5', 'google:gemini', 'openai:', ':x']) {
      expect(() => parseModelFlag(bad)).toThrow(/provider:name.*openai:gpt-5-mini/);
    }
  });
});

describe('detectModelFromEnv', () => {
  it('uses the provider whose key is set, OpenAI first, and names the variable', () => {
    expect(detectModelFromEnv({})).toBeUndefined();
    expect(detectModelFromEnv({ OPENAI_API_KEY: '' })).toBeUndefined();
    expect(detectModelFromEnv({ ANTHROPIC_API_KEY: 'k' })).toMatchObject({ provider: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY' });
    expect(detectModelFromEnv({ ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: 'k' })).toMatchObject({
      provider: 'openai',
      name: 'gpt-5-mini',
      apiKeyEnv: 'OPENAI_API_KEY',
    });
  });
});

describe('chooseModel', () => {
  const spec = (name: string, weight?: number): ModelSpec => ({ provider: 'openai', name, timeoutMs: 1000, weight });

  it('picks in proportion to the weights', () => {
    const specs = [spec('a', 3), spec('b', 1), spec('off', 0), spec('c')];
    let seed = 12345; // small LCG so the test is deterministic
    const rng = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const counts: Record<string, number> = { a: 0, b: 0, c: 0, off: 0 };
    const n = 20_000;
    for (let i = 0; i < n; i++) counts[chooseModel(specs, rng).name]++;
    expect(counts.off).toBe(0);
    expect(counts.a / n).toBeCloseTo(0.6, 1);
    expect(counts.b / n).toBeCloseTo(0.2, 1);
    expect(counts.c / n).toBeCloseTo(0.2, 1);
  });

  it('never picks a zero-weight model, even at the edges of rng', () => {
    const specs = [spec('a', 1), spec('off', 0)];
    expect(chooseModel(specs, () => 0).name).toBe('a');
    expect(chooseModel(specs, () => 0.9999999999).name).toBe('a');
    expect(chooseModel([spec('off', 0), spec('b', 1)], () => 0).name).toBe('b');
  });

  it('rejects an empty list, all-zero and negative weights', () => {
    expect(() => chooseModel([])).toThrow(/at least one model/);
    expect(() => chooseModel([spec('a', 0)])).toThrow(/at least one model/);
    expect(() => chooseModel([spec('a', -1)])).toThrow(/>= 0/);
  });
});
