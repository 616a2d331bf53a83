// The timed half of the score stage, run by bench.mjs as a child process: the candidate's
// sort is imported here, never into the process that reports the score. Sorts a fresh
// seeded workload per round and prints one checksum line per round; bench.mjs times this
// whole process from outside and checks every checksum, so nothing printed here can claim
// a time or skip the work. Arguments: seed, rounds, [artifacts folder for the plot].
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { timeBySize, timingSvg } from './plot.mjs';
import { benchWorkload, checksum } from './workload.mjs';

const [seed, rounds, artifacts] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const { sort } = await import(new URL('../sort.mjs', import.meta.url).href);
if (typeof sort !== 'function') {
  console.error('sort.mjs must export a function named `sort`');
  process.exit(1);
}
const byNumber = (a, b) => a - b;
for (let round = 0; round < rounds; round++) {
  const arrays = benchWorkload(seed * 1000 + round);
  for (const a of arrays) sort(a, byNumber);
  console.log(checksum(arrays));
}
// A plot of time against input size, the candidate beside the shipped sort, for evoloop's
// dashboard and report (after the timed rounds; bench.mjs stops its clock before reading it).
if (artifacts) {
  // Fresh module instances of both, so neither carries the JIT state the benchmark left.
  const { sort: candidate } = await import(new URL('../sort.mjs?plot', import.meta.url).href);
  const { sort: baseline } = await import(new URL('./baseline-sort.mjs?plot', import.meta.url).href);
  writeFileSync(path.join(artifacts, 'time-by-size.svg'), timingSvg(timeBySize({ candidate, baseline }, seed), 'sort time by input size'));
}
