// The run's lineage through every parent edge (candidates.parents): ancestry, descent, the
// nearest common ancestor and a lineage's edit history, for the operators and strategies that
// combine two parents. A candidate's parents and files never change: parents are read once,
// files (for edit histories) kept in a bounded cache.
import { remember } from '../core/bounded-cache.js';
import type { EditCount } from '../operators/merge/resolve.js';
import type { Store } from '../store/store.js';

/** How many of a candidate's ancestors are read for its edit history. */
const HISTORY_STEPS = 200;
/** How many candidates' versions (path -> content hash) and files' lines are kept for edit histories. */
const VERSIONS_KEPT = 10_000;
const LINES_KEPT = 2_000;

export class Lineage {
  private readonly known = new Map<number, number[]>();
  /** A candidate's files as content hashes; null for the baseline (where a lineage's history ends). */
  private readonly versions = new Map<number, Record<string, string> | null>();
  private readonly lines = new Map<string, string[]>();

  constructor(private readonly store: Store) {}

  parents(id: number): number[] {
    let ps = this.known.get(id);
    if (!ps) this.known.set(id, (ps = this.store.getCandidate(id)?.parents ?? []));
    return ps;
  }

  /**
   * How often `id`'s lineage edited a file's ancestor lines since `common`, read along its first
   * parents back to `common` (at most HISTORY_STEPS): the distinct contents the lines took, in
   * the versions that kept the ancestor's line count (where line positions still match; others
   * say nothing). Read only when first asked (when a hunk conflicts).
   */
  edits(id: number, common: number | undefined): EditCount {
    let chain: Record<string, string>[] | undefined;
    const versions = () => {
      if (chain) return chain;
      chain = [];
      for (let at: number | undefined = id; at !== undefined && at !== common && chain.length < HISTORY_STEPS; at = this.parents(at)[0]) {
        const files = this.version(at);
        if (!files) break;
        chain.push(files);
      }
      return chain;
    };
    return (p, origin, { start, end }) => {
      const seen = new Set<string>();
      for (const files of versions()) {
        const lines = p in files ? this.linesOf(files[p]) : undefined;
        if (lines?.length === origin.length) seen.add(lines.slice(start, end).join('\n'));
      }
      seen.delete(origin.slice(start, end).join('\n'));
      return seen.size;
    };
  }

  private version(id: number): Record<string, string> | null {
    let files = this.versions.get(id);
    if (files === undefined) {
      const row = this.store.getCandidate(id);
      files = !row || row.operator === 'baseline' ? null : row.files;
      remember(this.versions, id, files, VERSIONS_KEPT);
    }
    return files;
  }

  private linesOf(hash: string): string[] {
    return this.lines.get(hash) ?? remember(this.lines, hash, this.store.getBlob(hash).split('\n'), LINES_KEPT);
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
