// A banded (LSH) index over MinHash signatures of one island's newest candidates: "which
// earlier candidate is this proposal too similar to?" compares it with the members sharing one
// of its bands instead of every member. Its memory and its work are bounded whatever the run's
// size: it keeps the newest `capacity` members (the oldest leaves when a new one comes), and
// each bucket keeps its newest BUCKET_CAP members even when every program of a run is alike (all
// signatures then share most bands), so a check compares at most BANDS × BUCKET_CAP signatures,
// and it stops at the first one at or above the threshold.
//
// What it never misses: a member shares a band with every program at least ~0.9 similar to it
// (1 − (1 − 0.9⁴)³² > 0.99999 with every bin filled), and it stays in each of its buckets until
// BUCKET_CAP newer members with the same band value arrive; so a near-duplicate of any of the
// last BUCKET_CAP members is always found. Older members are still found through the bands they
// do not share with the crowd (the rare buckets, read first).
//
// Signatures sit in one Uint32Array of `capacity` slots, a ring once full, compared in place.
import { EMPTY, HASHES, type Signature } from './minhash.js';

const BAND_ROWS = 4;
export const BANDS = HASHES / BAND_ROWS;
/** Newest members a bucket keeps: the recent candidates a near-duplicate is always found among. */
export const BUCKET_CAP = 128;
/** Newest members an index keeps (one index per island): about 1.5 KB each. */
export const MEMBERS_CAP = 2048;

export class MinHashIndex {
  /** Per band: band value → the slots of its members, oldest first. */
  private readonly bands: Map<number, number[]>[] = Array.from({ length: BANDS }, () => new Map());
  private sigs: Uint32Array;
  private ids: Float64Array;
  /** The query that last compared each slot, so a member found in several buckets is compared once. */
  private seenBy: Uint32Array;
  private query = 0;
  private count = 0;
  /** Once full: the slot of the oldest member, the next to be replaced. */
  private oldest = 0;

  constructor(private readonly capacity = MEMBERS_CAP) {
    const n = Math.min(64, capacity);
    this.sigs = new Uint32Array(HASHES * n);
    this.ids = new Float64Array(n);
    this.seenBy = new Uint32Array(n);
  }

  get size(): number {
    return this.count;
  }

  /** Adds the newest member; at capacity, the oldest leaves. */
  add(id: number, sig: Signature): void {
    let slot: number;
    if (this.count < this.capacity) {
      if (this.count === this.ids.length) this.grow();
      slot = this.count++;
    } else {
      slot = this.oldest;
      this.oldest = (this.oldest + 1) % this.capacity;
      this.evict(slot);
    }
    this.sigs.set(sig, slot * HASHES);
    this.ids[slot] = id;
    for (let b = 0; b < BANDS; b++) {
      const key = bandKey(sig, 0, b);
      if (key === undefined) continue;
      const bucket = this.bands[b].get(key);
      if (!bucket) this.bands[b].set(key, [slot]);
      else {
        bucket.push(slot);
        if (bucket.length > BUCKET_CAP) bucket.shift();
      }
    }
  }

  /**
   * The most similar member among those sharing a band with `sig`, or the first found at or above
   * `stopAt` (rarest bucket first, newest first within a bucket); undefined when none shares a band.
   */
  nearest(sig: Signature, stopAt = 1): { id: number; similarity: number } | undefined {
    const buckets: number[][] = [];
    for (let b = 0; b < BANDS; b++) {
      const key = bandKey(sig, 0, b);
      const bucket = key === undefined ? undefined : this.bands[b].get(key);
      if (bucket) buckets.push(bucket);
    }
    buckets.sort((x, y) => x.length - y.length);
    const query = ++this.query;
    let best = -1;
    let bestSlot = -1;
    for (const slots of buckets) {
      for (let k = slots.length - 1; k >= 0; k--) {
        const slot = slots[k];
        if (this.seenBy[slot] === query) continue;
        this.seenBy[slot] = query;
        const s = this.similarityAt(sig, slot);
        if (s > best) {
          best = s;
          bestSlot = slot;
          if (s >= stopAt) return { id: this.ids[slot], similarity: s };
        }
      }
    }
    return bestSlot < 0 ? undefined : { id: this.ids[bestSlot], similarity: best };
  }

  /** Takes the member in `slot` (the oldest) out of its buckets: it is first in each bucket it is still in. */
  private evict(slot: number): void {
    for (let b = 0; b < BANDS; b++) {
      const key = bandKey(this.sigs, slot * HASHES, b);
      if (key === undefined) continue;
      const bucket = this.bands[b].get(key);
      if (bucket?.[0] !== slot) continue;
      if (bucket.length === 1) this.bands[b].delete(key);
      else bucket.shift();
    }
  }

  /** similarity() of `sig` and the member in `slot`, read in place. */
  private similarityAt(sig: Signature, slot: number): number {
    const sigs = this.sigs;
    const at = slot * HASHES;
    let same = 0;
    let used = 0;
    for (let k = 0; k < HASHES; k++) {
      const a = sig[k];
      const b = sigs[at + k];
      if (a === EMPTY && b === EMPTY) continue;
      used++;
      if (a === b) same++;
    }
    return used === 0 ? 1 : same / used;
  }

  private grow(): void {
    const n = Math.min(this.capacity, this.ids.length * 2);
    const sigs = new Uint32Array(HASHES * n);
    sigs.set(this.sigs);
    const ids = new Float64Array(n);
    ids.set(this.ids);
    const seenBy = new Uint32Array(n);
    seenBy.set(this.seenBy);
    [this.sigs, this.ids, this.seenBy] = [sigs, ids, seenBy];
  }
}

/** The key of band `band` of the signature at `at` in `sigs`; undefined for a band of empty bins (it says nothing about the code). */
function bandKey(sigs: Uint32Array, at: number, band: number): number | undefined {
  let h = 0x811c9dc5;
  let empty = true;
  for (let r = at + band * BAND_ROWS; r < at + (band + 1) * BAND_ROWS; r++) {
    if (sigs[r] !== EMPTY) empty = false;
    h = Math.imul(h ^ sigs[r], 0x01000193);
  }
  return empty ? undefined : h >>> 0;
}
