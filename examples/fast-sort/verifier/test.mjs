// Gate stage: the candidate's sort must be correct, stable and in place.
// Every case is compared with Array.prototype.sort (stable in Node), element by
// element with Object.is. On the first failure it prints the case to stderr and
// exits 1; otherwise it prints {"cases": N}.
import { rng, seedFromEnv } from './workload.mjs';

const { sort } = await import(new URL('../sort.mjs', import.meta.url).href);
if (typeof sort !== 'function') fail('sort.mjs must export a function named `sort`');

const ascending = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const byNumber = (a, b) => a - b;
const descending = (a, b) => b - a;
let cases = 0;

// Fixed edge cases.
check('empty', [], byNumber);
check('one element', [7], byNumber);
check('two, in order', [1, 2], byNumber);
check('two, reversed', [2, 1], byNumber);
check('all equal', Array(50).fill(3), byNumber);
check('negatives and floats', [-1.5, 3, -0.25, 0, 2.75, -100, 1e-9, -1e9, 42], byNumber);
check('zero and minus zero keep their order', [0, -0, 0, -0, -0, 0], byNumber);
check('infinities', [Infinity, 1, -Infinity, 0, Infinity, -Infinity], byNumber);
check('default comparator, numbers', [5, 3, 10, 1, 2], undefined);
check('default comparator, strings', ['pear', 'apple', 'fig', 'banana', 'apple'], undefined);
check('descending comparator', [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], descending);

// Patterns at every length around any threshold a candidate may pick (1..600).
const random = rng(seedFromEnv());
for (let n = 0; n <= 600; n++) {
  check(`random floats, n=${n}`, Array.from({ length: n }, () => random() * 200 - 100), byNumber);
  if (n % 7 === 0) {
    check(`sorted, n=${n}`, Array.from({ length: n }, (_, i) => i), byNumber);
    check(`reversed, n=${n}`, Array.from({ length: n }, (_, i) => n - i), byNumber);
    check(`few distinct, n=${n}`, Array.from({ length: n }, () => Math.floor(random() * 4)), byNumber);
    check(`organ pipe, n=${n}`, Array.from({ length: n }, (_, i) => Math.min(i, n - i)), byNumber);
    check(`sawtooth, n=${n}`, Array.from({ length: n }, (_, i) => i % 17), byNumber);
  }
}

// Large arrays.
check('large random', Array.from({ length: 50_000 }, () => random()), byNumber);
check('large duplicates', Array.from({ length: 50_000 }, () => Math.floor(random() * 10)), byNumber);
check('large reversed', Array.from({ length: 50_000 }, (_, i) => -i), byNumber);

// Stability: records with few distinct keys must keep their input order within a key.
for (const n of [2, 10, 33, 100, 257, 1000, 20_000]) {
  const records = Array.from({ length: n }, (_, id) => ({ key: Math.floor(random() * 5), id }));
  check(`stability, n=${n}`, records, (a, b) => a.key - b.key);
}

console.log(JSON.stringify({ cases }));

function check(name, input, compare) {
  cases++;
  const expected = input.slice().sort(compare ?? ascending);
  const actual = input.slice();
  let returned;
  try {
    returned = compare === undefined ? sort(actual) : sort(actual, compare);
  } catch (error) {
    fail(`${name}: sort threw ${error?.stack ?? error}\n  input: ${show(input)}`);
  }
  if (returned !== actual) fail(`${name}: sort must sort in place and return the same array it was given`);
  if (actual.length !== expected.length) {
    fail(`${name}: length changed from ${expected.length} to ${actual.length}\n  input: ${show(input)}`);
  }
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      fail(
        `${name}: wrong element at index ${i}: got ${show([actual[i]])}, expected ${show([expected[i]])}\n` +
          `  input:    ${show(input)}\n  got:      ${show(actual)}\n  expected: ${show(expected)}`,
      );
    }
  }
}

// The start of an array, readable (-0 and records included).
function show(array) {
  const item = (v) => (Object.is(v, -0) ? '-0' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const head = array.slice(0, 20).map(item).join(', ');
  return `[${head}${array.length > 20 ? `, ... (${array.length} items)` : ''}]`;
}

function fail(message) {
  console.error(`test: ${message}`);
  process.exit(1);
}
