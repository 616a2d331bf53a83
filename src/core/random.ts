// Seeded randomness, so a run's proposals are reproducible from its id and a counter.
import { createHash } from 'node:crypto';

/** mulberry32: small, fast, good enough for choosing mutations. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from any strings/numbers. */
export function seedFrom(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\0')).digest().readUInt32LE(0);
}

/** Picks an item with probability proportional to its weight; a weight of 0 is never picked. */
export function weightedChoice<T>(items: readonly { item: T; weight: number }[], random: () => number): T {
  const weights = items.map((i) => i.weight);
  if (weights.some((w) => !(w >= 0) || !Number.isFinite(w))) throw new Error(`weights must be finite numbers >= 0; got ${weights.join(', ')}`);
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) throw new Error('nothing to choose from: every weight is 0');
  let r = random() * total;
  for (const i of items) {
    r -= i.weight;
    if (r < 0 && i.weight > 0) return i.item;
  }
  return items[weights.findLastIndex((w) => w > 0)].item; // random() ≈ 1 with rounding
}
