// The audits table: every `evoloop audit` of the problem, its report as JSON; the last one
// is what report, the dashboard and status show.
import type Database from 'better-sqlite3';

export interface AuditRecord<R = unknown> {
  id: number;
  createdAt: number;
  baseCommit: string;
  verifierDigest: string;
  probes: string;
  letThrough: number;
  report: R;
}

type Row = { id: number; created_at: number; base_commit: string; verifier_digest: string; probes: string; let_through: number; report_json: string };

export class AuditRecords {
  constructor(
    private readonly db: Database.Database,
    private readonly willWrite: () => void,
  ) {}

  save(a: Omit<AuditRecord, 'id' | 'createdAt'>): number {
    this.willWrite();
    const info = this.db
      .prepare('INSERT INTO audits(created_at, base_commit, verifier_digest, probes, let_through, report_json) VALUES (?, ?, ?, ?, ?, ?)')
      .run(Date.now(), a.baseCommit, a.verifierDigest, a.probes, a.letThrough, JSON.stringify(a.report));
    return Number(info.lastInsertRowid);
  }

  last<R>(): AuditRecord<R> | undefined {
    return this.one<R>('SELECT * FROM audits ORDER BY id DESC LIMIT 1');
  }

  /** The last audit of a verifier with this digest. */
  lastFor<R>(verifierDigest: string): AuditRecord<R> | undefined {
    return this.one<R>('SELECT * FROM audits WHERE verifier_digest = ? ORDER BY id DESC LIMIT 1', verifierDigest);
  }

  private one<R>(sql: string, ...args: string[]): AuditRecord<R> | undefined {
    // A read-only store of an older evoloop has no audits table (its migrations never ran): no audit.
    const hasTable = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audits'").get();
    const row = hasTable ? (this.db.prepare(sql).get(...args) as Row | undefined) : undefined;
    return row && toRecord<R>(row);
  }
}

function toRecord<R>(row: Row): AuditRecord<R> {
  return {
    id: row.id,
    createdAt: row.created_at,
    baseCommit: row.base_commit,
    verifierDigest: row.verifier_digest,
    probes: row.probes,
    letThrough: row.let_through,
    report: JSON.parse(row.report_json) as R,
  };
}
