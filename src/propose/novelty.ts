// The novelty filter (`novelty: {threshold}`), run by admission before anything is evaluated:
// a proposal whose program is at least `threshold` similar (MinHash estimate of token-shingle
// Jaccard over normalized code, minhash.ts) to a candidate of its island — the whole run when
// there are no islands — becomes a `duplicate` row naming that candidate, and no stage runs.
// The row's reason reaches later prompts through the lessons. Signatures are kept in the store,
// one per admitted candidate; in memory, each island's newest MEMBERS_CAP are indexed by bands
// (minhash-index.ts), so a decision compares a bounded few signatures, not every candidate's
// text, and the coordinator's memory stays the same at 100,000 candidates. The proposal's parents
// and the baseline are compared too, however old: a child is most often near its parent.
import { remember } from '../core/bounded-cache.js';
import type { FileSet } from '../core/types.js';
import type { RunRecord, Store } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';
import { isEditable, type EditRules } from './edit-rules.js';
import { MEMBERS_CAP, MinHashIndex } from './minhash-index.js';
import { signatureOf, similarity, unionOf, type Signature } from './minhash.js';

/** Parents whose signatures are kept (the islands' elites, a few per cell). */
const PARENTS_KEPT = 256;

export interface NoveltyDeps {
  store: Store;
  runId: string;
  threshold: number;
  /** The editable files of the base commit: a program is these with the candidate's changes laid over. */
  baseFiles: string[];
  readBase(path: string): Promise<string | undefined>;
  /** The run's baseline row (compared with every island), once it exists. */
  baselineId(): number | null;
}

export interface NoveltyCheck {
  signature: Signature;
  /** Set when the proposal is too similar to an earlier candidate. */
  duplicateOf?: { id: number; similarity: number; reason: string };
}

export class NoveltyFilter {
  private readonly byIsland = new Map<number | null, MinHashIndex>();
  private readonly baseSigs = new Map<string, Signature | null>();
  /** The signatures of recent parents (elites are parents again and again). */
  private readonly parentSigs = new Map<number, Signature>();
  private baseline?: { id: number; signature: Signature };

  constructor(private readonly d: NoveltyDeps) {}

  /** Compares a proposal's program (base + `files`, its full change) with its island's newest members, its parents and the baseline. */
  async check(files: FileSet, island: number | null, parents: { id: number; files: FileSet }[]): Promise<NoveltyCheck> {
    const signature = await this.programSignature(files);
    const found = [
      this.index(island).nearest(signature, this.d.threshold),
      await this.baselineMatch(signature),
      ...(await this.parentMatches(signature, parents)),
    ]
      .filter((n) => n !== undefined)
      .sort((a, b) => b.similarity - a.similarity)[0];
    if (!found || found.similarity < this.d.threshold) return { signature };
    const pct = (found.similarity * 100).toFixed(0);
    return {
      signature,
      duplicateOf: {
        ...found,
        reason: `near-duplicate of candidate ${found.id}: ${pct}% similar code (novelty.threshold ${this.d.threshold}); not evaluated — try something different from #${found.id}`,
      },
    };
  }

  /** Records an admitted candidate's signature (store and index). */
  add(candidateId: number, island: number | null, signature: Signature): void {
    this.d.store.signatures.put(this.d.runId, candidateId, island, signature);
    this.index(island).add(candidateId, signature);
  }

  /** Reads every island's newest members from the store (a resumed run), so no decision waits for it. */
  restore(): void {
    for (const island of this.d.store.signatures.islands(this.d.runId)) this.index(island);
  }

  /** The island's index, its newest members read from the store the first time. */
  private index(island: number | null): MinHashIndex {
    let idx = this.byIsland.get(island);
    if (!idx) {
      this.byIsland.set(island, (idx = new MinHashIndex()));
      for (const s of this.d.store.signatures.newest(this.d.runId, island, MEMBERS_CAP)) idx.add(s.candidateId, s.minhash);
    }
    return idx;
  }

  private async parentMatches(signature: Signature, parents: { id: number; files: FileSet }[]): Promise<{ id: number; similarity: number }[]> {
    const out = [];
    for (const p of parents) {
      const sig = this.parentSigs.get(p.id) ?? remember(this.parentSigs, p.id, await this.programSignature(p.files), PARENTS_KEPT);
      out.push({ id: p.id, similarity: similarity(signature, sig) });
    }
    return out;
  }

  private async baselineMatch(signature: Signature): Promise<{ id: number; similarity: number } | undefined> {
    const id = this.d.baselineId();
    if (id === null) return undefined;
    if (!this.baseline) this.baseline = { id, signature: await this.programSignature({}) };
    return { id, similarity: similarity(signature, this.baseline.signature) };
  }

  private async programSignature(files: FileSet): Promise<Signature> {
    const sigs: Signature[] = [];
    for (const p of new Set([...this.d.baseFiles, ...Object.keys(files)])) {
      if (p in files) sigs.push(signatureOf(files[p]));
      else {
        const base = await this.baseSignature(p);
        if (base) sigs.push(base);
      }
    }
    return unionOf(sigs);
  }

  private async baseSignature(p: string): Promise<Signature | null> {
    if (!this.baseSigs.has(p)) {
      const content = await this.d.readBase(p);
      this.baseSigs.set(p, content === undefined ? null : signatureOf(content));
    }
    return this.baseSigs.get(p)!;
  }
}

/** The run's filter, restored from the store: programs are the base's editable files with a candidate's changes laid over. */
export function noveltyFilter(
  threshold: number,
  d: { store: Store; run: RunRecord; workspace: Pick<Workspace, 'baseFiles' | 'readBase'>; rules: EditRules },
): NoveltyFilter {
  const filter = new NoveltyFilter({
    store: d.store,
    runId: d.run.id,
    threshold,
    baseFiles: d.workspace.baseFiles().filter((p) => isEditable(p, d.rules)),
    readBase: (p) => d.workspace.readBase(p),
    baselineId: () => d.store.getRun(d.run.id)?.baselineId ?? null,
  });
  filter.restore();
  return filter;
}
