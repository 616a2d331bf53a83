import { describe, expect, it } from 'vitest';
import { costUsd, priceFor } from './pricing.js';

describe('priceFor', () => {
  it('knows well-known models, their dated snapshots and OpenRouter-style names', () => {
    expect(priceFor({ name: 'gpt-4o' })?.inputPerMtok).toBe(2.5);
    expect(priceFor({ name: 'gpt-4o-mini' })?.inputPerMtok).toBe(0.15);
    expect(priceFor({ name: 'gpt-4o-2024-08-06' })?.inputPerMtok).toBe(2.5);
    expect(priceFor({ name: 'claude-sonnet-4-5-20250929' })?.outputPerMtok).toBe(15);
    expect(priceFor({ name: 'openai/gpt-5-mini' })?.outputPerMtok).toBe(2);
  });

  it('does not guess: a different model of the same family is unknown', () => {
    expect(priceFor({ name: 'gpt-5-pro' })).toBeUndefined();
    expect(priceFor({ name: 'qwen2.5-coder:7b' })).toBeUndefined();
  });

  it('lets the configured price win', () => {
    const price = { inputPerMtok: 1, outputPerMtok: 2 };
    expect(priceFor({ name: 'gpt-4o', price })).toBe(price);
    expect(priceFor({ name: 'my-local-model', price })).toBe(price);
  });
});

describe('costUsd', () => {
  it('bills uncached input, cached input and output at their rates', () => {
    const price = { inputPerMtok: 2, outputPerMtok: 8, cachedInputPerMtok: 0.5 };
    // 600k uncached × $2 + 400k cached × $0.5 + 100k out × $8 = 1.2 + 0.2 + 0.8
    expect(costUsd({ inputTokens: 1_000_000, cachedTokens: 400_000, outputTokens: 100_000 }, price)).toBeCloseTo(2.2, 10);
  });

  it('bills cached input at the input rate when no cached rate is given', () => {
    expect(costUsd({ inputTokens: 1_000_000, cachedTokens: 500_000, outputTokens: 0 }, { inputPerMtok: 3, outputPerMtok: 15 })).toBeCloseTo(3, 10);
  });

  it('is 0 without a price (the caller marks the cost unknown)', () => {
    expect(costUsd({ inputTokens: 1000, cachedTokens: 0, outputTokens: 1000 }, undefined)).toBe(0);
  });
});
