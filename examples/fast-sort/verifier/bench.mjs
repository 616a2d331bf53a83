// Score stage: how long the candidate's sort takes on a fixed, seeded workload.
// Prints {"ms": <median of the timed rounds>} as its last stdout line.
// Real wall-clock timing, so it is noisy: evoloop repeats it (repeat: 3, a new
// EVOLOOP_SEED each time, so new arrays) and accepts only significant gains.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { timeBySize, timingSvg } from './plot.mjs';
import { benchWorkload, seedFromEnv } from './workload.mjs';

const WARMUP_ROUNDS = 2; // let the JIT compile the candidate before timing it
const TIMED_ROUNDS = 7;

// The candidate runs in this process: take evoloop's variables away first so it cannot
// write its own metrics file (this stage reports on stdout).
const seed = seedFromEnv();
const artifacts = process.env.EVOLOOP_ARTIFACTS;
for (const name of Object.keys(process.env)) if (name.startsWith('EVOLOOP_')) delete process.env[name];
const { sort } = await import(new URL('../sort.mjs', import.meta.url).href);
if (typeof sort !== 'function') fail('sort.mjs must export a function named `sort`');

const arrays = benchWorkload(seed);
const byNumber = (a, b) => a - b;
const expected = arrays.map((a) => a.slice().sort(byNumber));

const times = [];
for (let round = 0; round < WARMUP_ROUNDS + TIMED_ROUNDS; round++) {
  const copies = arrays.map((a) => a.slice());
  const start = performance.now();
  for (const copy of copies) sort(copy, byNumber);
  const elapsed = performance.now() - start;
  if (round >= WARMUP_ROUNDS) times.push(elapsed);
  // Checked outside the timing, every round: a fast wrong answer scores nothing.
  copies.forEach((copy, i) => {
    const want = expected[i];
    if (copy.length !== want.length || copy.some((v, k) => v !== want[k])) {
      fail(`round ${round}: array ${i} (length ${want.length}) is not sorted correctly`);
    }
  });
}

times.sort((a, b) => a - b);
const ms = times[times.length >> 1];
const spread = times[times.length - 1] - times[0];

// A plot of time against input size, the candidate beside the shipped sort, for evoloop's
// dashboard and report (only when run by evoloop; after the timing above, so it never changes ms).
if (artifacts) {
  // Fresh module instances of both, so neither carries the JIT state the benchmark left.
  const { sort: candidate } = await import(new URL('../sort.mjs?plot', import.meta.url).href);
  const { sort: baseline } = await import(new URL('./baseline-sort.mjs?plot', import.meta.url).href);
  const series = timeBySize({ candidate, baseline }, seed);
  writeFileSync(path.join(artifacts, 'time-by-size.svg'), timingSvg(series, `sort time by input size (median score ${ms.toFixed(2)} ms)`));
}
console.log(
  JSON.stringify({
    ms: Number(ms.toFixed(3)),
    feedback: `median ${ms.toFixed(2)} ms over ${TIMED_ROUNDS} rounds (fastest ${times[0].toFixed(2)}, spread ${spread.toFixed(2)} ms) sorting ${arrays.length} arrays`,
  }),
);

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}
