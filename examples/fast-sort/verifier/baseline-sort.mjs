// The program as shipped (sort.mjs at the start), kept read-only so the benchmark's plot
// can show how a candidate's timing compares with where the run started. Not scored.

// A stable hybrid merge sort: top-down merge sort, with insertion sort for
// short ranges. Same contract as Array.prototype.sort with a
// comparator: sorts `array` in place, stably, and returns it.
//
// The verifier's tests (verifier/test.mjs) must keep passing; the benchmark
// (verifier/bench.mjs) measures how long sorting takes. Make it faster.

// EVOLVE-BLOCK-START
// Ranges shorter than this are insertion-sorted instead of split further.
// 1 means "never": plain merge sort down to single elements.
const INSERTION_THRESHOLD = 1; // evoloop: 1..256
// EVOLVE-BLOCK-END

const ascending = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sort `array` in place, stably, and return it.
 * @template T
 * @param {T[]} array
 * @param {(a: T, b: T) => number} [compare] negative if a comes first, positive if b does, 0 if equal
 * @returns {T[]}
 */
export function sort(array, compare = ascending) {
  if (array.length < 2) return array;
  sortRange(array, 0, array.length, compare);
  return array;
}

// Sorts array[lo, hi).
function sortRange(array, lo, hi, compare) {
  if (hi - lo <= INSERTION_THRESHOLD) {
    insertionSort(array, lo, hi, compare);
    return;
  }
  const mid = lo + ((hi - lo) >>> 1);
  sortRange(array, lo, mid, compare);
  sortRange(array, mid, hi, compare);
  // Already in order across the split: nothing to merge.
  if (compare(array[mid - 1], array[mid]) <= 0) return;
  merge(array, lo, mid, hi, compare);
}

// Merges the sorted runs array[lo, mid) and array[mid, hi); ties take the left run first (stability).
function merge(array, lo, mid, hi, compare) {
  const left = array.slice(lo, mid);
  let i = 0;
  let j = mid;
  let k = lo;
  while (i < left.length && j < hi) {
    if (compare(array[j], left[i]) < 0) array[k++] = array[j++];
    else array[k++] = left[i++];
  }
  while (i < left.length) array[k++] = left[i++];
}

function insertionSort(array, lo, hi, compare) {
  for (let i = lo + 1; i < hi; i++) {
    const item = array[i];
    let j = i - 1;
    while (j >= lo && compare(array[j], item) > 0) {
      array[j + 1] = array[j];
      j--;
    }
    array[j + 1] = item;
  }
}
