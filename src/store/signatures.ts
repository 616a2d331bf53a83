// The novelty filter's signatures (propose/novelty.ts): one MinHash per admitted candidate,
// kept by run and island so a resumed run reads back only each island's newest. Reached as
// `store.signatures`.
import type Database from 'better-sqlite3';

export interface Signature {
  candidateId: number;
  minhash: Uint32Array;
}

export class NoveltySignatures {
  private readonly stmts;

  constructor(
    db: Database.Database,
    private readonly willWrite: () => void,
  ) {
    this.stmts = {
      put: db.prepare('INSERT OR REPLACE INTO signatures(candidate_id, run_id, island, minhash) VALUES (?, ?, ?, ?)'),
      // One index step per island, not a scan.
      islands: db
        .prepare(
          `WITH RECURSIVE next(island) AS (
             SELECT MIN(island) FROM signatures WHERE run_id = @run
             UNION ALL SELECT (SELECT MIN(island) FROM signatures WHERE run_id = @run AND island > next.island) FROM next WHERE next.island IS NOT NULL)
           SELECT island FROM next WHERE island IS NOT NULL`,
        )
        .pluck(),
      anyWithoutIsland: db.prepare('SELECT EXISTS(SELECT 1 FROM signatures WHERE run_id = ? AND island IS NULL)').pluck(),
      newest: db.prepare('SELECT candidate_id, minhash FROM signatures WHERE run_id = ? AND island IS ? ORDER BY candidate_id DESC LIMIT ?'),
    };
  }

  /** The signature of an admitted candidate. */
  put(runId: string, candidateId: number, island: number | null, minhash: Uint32Array): void {
    this.willWrite();
    this.stmts.put.run(candidateId, runId, island, Buffer.from(minhash.buffer, minhash.byteOffset, minhash.byteLength));
  }

  /** The islands (null: none) that have signatures in the run. */
  islands(runId: string): (number | null)[] {
    const islands = this.stmts.islands.all({ run: runId }) as number[];
    return this.stmts.anyWithoutIsland.get(runId) === 1 ? [null, ...islands] : islands;
  }

  /** The newest `limit` signatures of one island (null: a run without islands), oldest first. */
  newest(runId: string, island: number | null, limit: number): Signature[] {
    const rows = this.stmts.newest.all(runId, island, limit) as { candidate_id: number; minhash: Buffer }[];
    return rows.reverse().map((r) => ({ candidateId: r.candidate_id, minhash: new Uint32Array(new Uint8Array(r.minhash).buffer) }));
  }
}
