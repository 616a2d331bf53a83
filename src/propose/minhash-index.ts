// A banded (LSH) index over MinHash signatures: "which earlier candidate is this proposal too
// similar to?" compares it with the candidates sharing one of its bands instead of every
// candidate. The work is bounded even when every program of a run is alike (all signatures then
// share most bands): each bucket keeps its newest BUCKET_CAP members, so a check compares at most
// BANDS × BUCKET_CAP signatures, and it stops at the first one at or above the threshold.
//
// What it never misses: a candidate shares a band with every program at least ~0.9 similar to it
// (1 − (1 − 0.9⁴)³² > 0.99999 with every bin filled), and it stays in each of its buckets until
// BUCKET_CAP newer members with the same band value arrive; so a near-duplicate of any of the
// island's last BUCKET_CAP candidates is always found. Older ones are still found through the
// bands they do not share with the crowd (the rare buckets, read first).
//
// Signatures sit in one growing Uint32Array and are compared in place; the band keys of each
// member are computed once, when it is added.
import { EMPTY, HASHES, type Signature } from './minhash.js';

const BAND_ROWS = 4;
export const BANDS = HASHES / BAND_ROWS;
/** Newest members a bucket keeps: the recent candidates a near-duplicate is always found among. */
export const BUCKET_CAP = 128;

/** A bucket: its members' slots, a ring once full (`next` is the slot to overwrite, oldest first). */
interface Bucket {
  slots: number[];
  next: number;
}

export class MinHashIndex {
  private readonly bands: Map<number, Bucket>[] = Array.from({ length: BANDS }, () => new Map());
  private sigs = new Uint32Array(HASHES * 64);
  private ids = new Float64Array(64);
  /** The query that last compared each slot, so a member found in several buckets is compared once. */
  private seenBy = new Uint32Array(64);
  private query = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(id: number, sig: Signature): void {
    if (this.count === this.ids.length) this.grow();
    const slot = this.count++;
    this.sigs.set(sig, slot * HASHES);
    this.ids[slot] = id;
    for (let b = 0; b < BANDS; b++) {
      const key = bandKey(sig, b);
      if (key === undefined) continue;
      const bucket = this.bands[b].get(key);
      if (!bucket) this.bands[b].set(key, { slots: [slot], next: 0 });
      else if (bucket.slots.length < BUCKET_CAP) bucket.slots.push(slot);
      else {
        bucket.slots[bucket.next] = slot;
        bucket.next = (bucket.next + 1) % BUCKET_CAP;
      }
    }
  }

  /**
   * The most similar member among those sharing a band with `sig`, or the first found at or above
   * `stopAt` (rarest bucket first, newest first within a bucket); undefined when none shares a band.
   */
  nearest(sig: Signature, stopAt = 1): { id: number; similarity: number } | undefined {
    const buckets: Bucket[] = [];
    for (let b = 0; b < BANDS; b++) {
      const key = bandKey(sig, b);
      const bucket = key === undefined ? undefined : this.bands[b].get(key);
      if (bucket) buckets.push(bucket);
    }
    buckets.sort((x, y) => x.slots.length - y.slots.length);
    const query = ++this.query;
    let best = -1;
    let bestSlot = -1;
    for (const { slots, next } of buckets) {
      // Newest first: the slot before `next` (a full ring), else the last pushed.
      const start = slots.length < BUCKET_CAP ? slots.length - 1 : (next + BUCKET_CAP - 1) % BUCKET_CAP;
      for (let k = 0; k < slots.length; k++) {
        const slot = slots[(start - k + slots.length) % slots.length];
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
    const n = this.ids.length * 2;
    const sigs = new Uint32Array(HASHES * n);
    sigs.set(this.sigs);
    const ids = new Float64Array(n);
    ids.set(this.ids);
    const seenBy = new Uint32Array(n);
    seenBy.set(this.seenBy);
    [this.sigs, this.ids, this.seenBy] = [sigs, ids, seenBy];
  }
}

/** A band's bucket key; undefined for a band of empty bins (it says nothing about the code). */
function bandKey(sig: Signature, band: number): number | undefined {
  let h = 0x811c9dc5;
  let empty = true;
  for (let r = band * BAND_ROWS; r < (band + 1) * BAND_ROWS; r++) {
    if (sig[r] !== EMPTY) empty = false;
    h = Math.imul(h ^ sig[r], 0x01000193);
  }
  return empty ? undefined : h >>> 0;
}
