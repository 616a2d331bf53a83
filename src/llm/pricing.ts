// Dollars per call. Built-in list prices for a few well-known models (USD per million tokens,
// as published by the providers); prices change, so a model's `price` in the config wins.
import type { Price } from './types.js';

const PRICES: Record<string, Price> = {
  'gpt-5': { inputPerMtok: 1.25, outputPerMtok: 10, cachedInputPerMtok: 0.125 },
  'gpt-5-mini': { inputPerMtok: 0.25, outputPerMtok: 2, cachedInputPerMtok: 0.025 },
  'gpt-5-nano': { inputPerMtok: 0.05, outputPerMtok: 0.4, cachedInputPerMtok: 0.005 },
  'gpt-4.1': { inputPerMtok: 2, outputPerMtok: 8, cachedInputPerMtok: 0.5 },
  'gpt-4.1-mini': { inputPerMtok: 0.4, outputPerMtok: 1.6, cachedInputPerMtok: 0.1 },
  'gpt-4.1-nano': { inputPerMtok: 0.1, outputPerMtok: 0.4, cachedInputPerMtok: 0.025 },
  'gpt-4o': { inputPerMtok: 2.5, outputPerMtok: 10, cachedInputPerMtok: 1.25 },
  'gpt-4o-mini': { inputPerMtok: 0.15, outputPerMtok: 0.6, cachedInputPerMtok: 0.075 },
  'claude-opus-4-5': { inputPerMtok: 5, outputPerMtok: 25, cachedInputPerMtok: 0.5 },
  'claude-opus-4-1': { inputPerMtok: 15, outputPerMtok: 75, cachedInputPerMtok: 1.5 },
  'claude-sonnet-4-5': { inputPerMtok: 3, outputPerMtok: 15, cachedInputPerMtok: 0.3 },
  'claude-sonnet-4': { inputPerMtok: 3, outputPerMtok: 15, cachedInputPerMtok: 0.3 },
  'claude-haiku-4-5': { inputPerMtok: 1, outputPerMtok: 5, cachedInputPerMtok: 0.1 },
};

/** Only a dated snapshot or "-latest" shares its family's price; "gpt-5-pro" must not pass for "gpt-5". */
const SNAPSHOT_SUFFIX = /^-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$/;

/** The price for a model: the configured one, else the built-in one, else undefined (cost unknown). */
export function priceFor(spec: { name: string; price?: Price }): Price | undefined {
  if (spec.price) return spec.price;
  const name = spec.name.toLowerCase().replace(/^[^/]+\//, ''); // "openai/gpt-4o" on OpenRouter
  if (PRICES[name]) return PRICES[name];
  const family = Object.keys(PRICES).find((key) => name.startsWith(key) && SNAPSHOT_SUFFIX.test(name.slice(key.length)));
  return family ? PRICES[family] : undefined;
}

/** Cost of one call; `inputTokens` includes the cached ones, which are billed at the cached rate. */
export function costUsd(usage: { inputTokens: number; outputTokens: number; cachedTokens: number }, price: Price | undefined): number {
  if (!price) return 0;
  const cached = Math.min(usage.cachedTokens, usage.inputTokens);
  const dollars =
    (usage.inputTokens - cached) * price.inputPerMtok + cached * (price.cachedInputPerMtok ?? price.inputPerMtok) + usage.outputTokens * price.outputPerMtok;
  return dollars / 1_000_000;
}
