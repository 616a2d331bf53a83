// The run's lineage through every parent edge (candidates.parents): ancestry, descent and the
// nearest common ancestor, for the operators and strategies that combine two parents.
// A candidate's parents never change, so they are read once.
import type { Store } from '../store/store.js';

export class Lineage {
  private readonly known = new Map<number, number[]>();

  constructor(private readonly store: Store) {}

  parents(id: number): number[] {
    let ps = this.known.get(id);
    if (!ps) this.known.set(id, (ps = this.store.getCandidate(id)?.parents ?? []));
    return ps;
  }

  /** `id` and all its ancestors. */
  ancestry(id: number): Set<number> {
    const seen = new Set<number>();
    for (const todo = [id]; todo.length > 0;) {
      const next = todo.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...this.parents(next));
    }
    return seen;
  }

  /** Whether `a` descends from `b` (through any parent). */
  descends(a: number, b: number): boolean {
    return a !== b && this.ancestry(a).has(b);
  }

  /** The nearest of `b`'s ancestors (itself included) that is also `a` or one of `a`'s; undefined when they share none. */
  nearestCommon(a: number, b: number): number | undefined {
    const ofA = this.ancestry(a);
    const seen = new Set<number>();
    for (const queue = [b]; queue.length > 0;) {
      const next = queue.shift()!;
      if (seen.has(next)) continue;
      seen.add(next);
      if (ofA.has(next)) return next;
      queue.push(...this.parents(next));
    }
    return undefined;
  }
}
