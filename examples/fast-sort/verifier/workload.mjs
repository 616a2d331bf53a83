// Seeded test data shared by the tests and the benchmark.

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same numbers on every machine. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** EVOLOOP_SEED as an integer (evoloop gives every repeat its own seed); 1 when run by hand. */
export function seedFromEnv() {
  const raw = process.env.EVOLOOP_SEED ?? '1';
  const seed = Number.parseInt(raw, 10);
  if (!Number.isFinite(seed)) throw new Error(`EVOLOOP_SEED must be an integer, got "${raw}"`);
  return seed;
}

/**
 * The benchmark's arrays: a mix that real code sorts. Large arrays of random floats,
 * of small integers (many duplicates), and of nearly sorted numbers, plus thousands
 * of short arrays, 2 to 100 long (where per-call overhead dominates).
 */
export function benchWorkload(seed) {
  const random = rng(seed);
  const big = 40_000;
  const floats = Array.from({ length: big }, () => random() * 2e6 - 1e6);
  const dupes = Array.from({ length: big }, () => Math.floor(random() * 100));
  const nearly = Array.from({ length: big }, (_, i) => i);
  for (let s = 0; s < big / 100; s++) {
    const i = Math.floor(random() * big);
    const j = Math.floor(random() * big);
    [nearly[i], nearly[j]] = [nearly[j], nearly[i]];
  }
  const small = [];
  for (let s = 0; s < 5000; s++) {
    small.push(Array.from({ length: 2 + Math.floor(random() * 99) }, () => random() * 1000));
  }
  return [floats, dupes, nearly, ...small];
}

/** One line that changes with any element of any array, or their order (the bench's proof that a round really sorted). */
export function checksum(arrays) {
  let h = 0;
  for (const a of arrays) {
    h = (h * 31 + a.length) % 1e15;
    for (let i = 0; i < a.length; i++) h = (h * 31 + Math.round(a[i] * 1e6)) % 1e15;
  }
  return `sorted ${arrays.length} ${h}`;
}
