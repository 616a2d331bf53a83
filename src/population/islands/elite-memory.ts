// What the islands remember so as not to repeat themselves: pairs of elites already given to a
// two-parent operator, elites already copied to a neighbour. Each is a set of keys that name
// elites, kept in the store (store.search, as a list of keys) so resume is exact, and pruned
// on every save to keys whose elites are all still in an archive: only those can be offered
// again, so the record stays small on a long run.
import type { Store } from '../../store/store.js';

export class EliteMemory {
  private readonly keys = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    private readonly name: string,
    /** The elites a key names. */
    private readonly elitesOf: (key: string) => number[],
  ) {
    for (const key of store.search.get<string[]>(runId, name) ?? []) this.keys.add(key);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.add(key);
  }

  /** Forgets the keys `drop` names (not saved until the next save). */
  forget(drop: (key: string) => boolean): void {
    for (const key of this.keys) if (drop(key)) this.keys.delete(key);
  }

  /** Saves the keys whose elites are all among `live`, and forgets the others. */
  save(live: ReadonlySet<number>): void {
    this.forget((key) => !this.elitesOf(key).every((id) => live.has(id)));
    this.store.search.set(this.runId, this.name, [...this.keys]);
  }
}

/** Pairs of elites given to a two-parent operator (`a-b`, a < b). */
export const pairKey = (a: number, b: number) => (a < b ? `${a}-${b}` : `${b}-${a}`);
export const combinedPairs = (store: Store, runId: string) => new EliteMemory(store, runId, 'islands.combined', (key) => key.split('-').map(Number));

/** Elites copied to an island (`elite>island`) since it was last re-seeded. */
export const sentKey = (elite: number, to: number) => `${elite}>${to}`;
export const sentCopies = (store: Store, runId: string) => new EliteMemory(store, runId, 'islands.sent', (key) => [Number(key.split('>')[0])]);
