// Benchmark: the novelty filter's cost per decision as a run grows. N candidate signatures
// added to one island's index (programs of ~200 lines, each a few random edits away from the
// base, as an evolved population is; the index keeps the newest MEMBERS_CAP), then the time of
// one check (signature of the proposal + nearest candidate through the bands), median and p99
// over 200 proposals, and the index's memory.
//
//   npx tsx bench/novelty/main.ts [--sizes 1000,10000,100000]
import { parseArgs } from 'node:util';
import { quantile } from 'simple-statistics';
import { seededRandom } from '../../src/core/random.js';
import { MinHashIndex } from '../../src/propose/minhash-index.js';
import { signatureOf } from '../../src/propose/minhash.js';

const { values: args } = parseArgs({ options: { sizes: { type: 'string', default: '1000,10000,100000' } } });
const random = seededRandom(1);
const BASE = Array.from({ length: 200 }, (_, i) => `  const v${i} = compute(${i}, ${(i * 37) % 101}) + offset * ${i % 9};`);

/** The base with `edits` lines replaced by random new ones. */
function variant(edits: number): string {
  const lines = [...BASE];
  for (let e = 0; e < edits; e++) lines[Math.floor(random() * lines.length)] = `  const w${Math.floor(random() * 1e6)} = mix(${random().toFixed(4)}, ${e});`;
  return lines.join('\n');
}

console.log('novelty filter: one check = signature of the proposal + nearest earlier candidate');
console.log('candidates   median ms   p99 ms   heap MB');
for (const n of args.sizes.split(',').map(Number)) {
  const index = new MinHashIndex();
  const before = process.memoryUsage().heapUsed;
  for (let id = 0; id < n; id++) index.add(id, signatureOf(variant(1 + Math.floor(random() * 20))));
  const heap = (process.memoryUsage().heapUsed - before) / 2 ** 20;
  const times: number[] = [];
  for (let q = 0; q < 200; q++) {
    const code = variant(1 + Math.floor(random() * 20));
    const t = performance.now();
    index.nearest(signatureOf(code));
    times.push(performance.now() - t);
  }
  console.log(
    `${String(n).padStart(10)}   ${quantile(times, 0.5).toFixed(3).padStart(9)}   ${quantile(times, 0.99).toFixed(3).padStart(6)}   ${heap.toFixed(0).padStart(7)}`,
  );
}
