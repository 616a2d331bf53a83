// The files stages wrote to $EVOLOOP_ARTIFACTS: a row per file (candidate, epoch, stage,
// repeat, name) in SQLite, the content in a content-addressed folder beside the database
// (.evoloop/artifacts/objects/<2 hex>/<sha256>), so identical outputs, from one candidate's
// repeats or from a thousand children that did not change the picture, are kept once.
// The run cap counts each distinct content once; a file over it is recorded as a note.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { artifactType, fmtBytes, type ArtifactInfo } from '../core/artifact-types.js';
import type { StageKind } from '../core/types.js';

/** What a stage run left in its artifacts folder, after the per-stage cap (evaluate/artifacts.ts). */
export interface StageArtifacts {
  kept: { name: string; bytes: Buffer }[];
  dropped: { name: string; size: number; note: string }[];
}

export interface ArtifactRecord extends ArtifactInfo {
  runId: string;
  /** The content's file, when kept. */
  path: string | null;
}

type Row = Record<string, unknown>;

export class ArtifactStore {
  /** Distinct bytes each run has stored, computed once per run and kept up to date by add(). */
  private readonly runBytes = new Map<string, number>();

  constructor(
    private readonly db: Database.Database,
    /** The objects folder (.evoloop/artifacts/objects). */
    readonly dir: string,
  ) {}

  private objectPath(hash: string): string {
    return path.join(this.dir, hash.slice(0, 2), hash);
  }

  private toRecord = (r: Row): ArtifactRecord => ({
    id: r.id as number,
    runId: r.run_id as string,
    candidateId: r.candidate_id as number,
    epoch: r.epoch as number,
    stage: r.stage as string,
    kind: r.kind as StageKind,
    repeat: r.repeat as number,
    name: r.name as string,
    type: r.type as ArtifactInfo['type'],
    mediaType: r.media_type as string,
    size: r.size as number,
    hash: r.hash as string | null,
    note: r.note as string | null,
    path: r.hash ? this.objectPath(r.hash as string) : null,
  });

  /** Bytes of distinct content a run keeps. */
  storedBytes(runId: string): number {
    let n = this.runBytes.get(runId);
    if (n === undefined) {
      n = this.db
        .prepare('SELECT COALESCE(SUM(size), 0) FROM (SELECT DISTINCT hash, size FROM artifacts WHERE run_id = ? AND hash IS NOT NULL)')
        .pluck()
        .get(runId) as number;
      this.runBytes.set(runId, n);
    }
    return n;
  }

  /**
   * Records one stage run's artifacts (call inside the transaction that records its
   * measurement). A file whose new content would take the run past `maxRunBytes` is
   * dropped with a note. The same slot again is a no-op. Returns the notes of what was dropped here.
   */
  add(candidateId: number, epoch: number, stage: { stage: string; kind: StageKind; repeat: number }, files: StageArtifacts, maxRunBytes: number): string[] {
    const runId = this.db.prepare('SELECT run_id FROM candidates WHERE id = ?').pluck().get(candidateId) as string | undefined;
    if (runId === undefined) throw new Error(`no candidate ${candidateId} to record artifacts for`);
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO artifacts(run_id, candidate_id, epoch, stage, kind, repeat, name, type, media_type, size, hash, note, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const inRun = this.db.prepare('SELECT 1 FROM artifacts WHERE run_id = ? AND hash = ? LIMIT 1').pluck();
    const row = (name: string, size: number, hash: string | null, note: string | null) => {
      const t = artifactType(name);
      return insert.run(runId, candidateId, epoch, stage.stage, stage.kind, stage.repeat, name, t.type, t.mediaType, size, hash, note, Date.now()).changes > 0;
    };
    const notes: string[] = [];
    const drop = (name: string, size: number, note: string) => row(name, size, null, note) && notes.push(`${name}: ${note}`);
    const entries = [...files.kept, ...files.dropped].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const f of entries) {
      if (!('bytes' in f)) {
        drop(f.name, f.size, f.note);
        continue;
      }
      const hash = createHash('sha256').update(f.bytes).digest('hex');
      const fresh = inRun.get(runId, hash) === undefined;
      const total = this.storedBytes(runId);
      if (fresh && total + f.bytes.length > maxRunBytes) {
        drop(
          f.name,
          f.bytes.length,
          `not kept: the run's artifacts would pass artifacts.run_mb (${fmtBytes(maxRunBytes)}; ${fmtBytes(total)} kept so far). Raise artifacts.run_mb to keep more.`,
        );
        continue;
      }
      this.writeObject(hash, f.bytes);
      if (row(f.name, f.bytes.length, hash, null) && fresh) this.runBytes.set(runId, total + f.bytes.length);
    }
    return notes;
  }

  /** Written once per content, through a temporary file: a reader never sees half an object. */
  private writeObject(hash: string, bytes: Buffer): void {
    const file = this.objectPath(hash);
    if (existsSync(file)) return;
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  }

  /** A candidate's artifacts in the order they were recorded (stage runs in order, each by name), every epoch. */
  list(candidateId: number): ArtifactRecord[] {
    return (this.db.prepare('SELECT * FROM artifacts WHERE candidate_id = ? ORDER BY id').all(candidateId) as Row[]).map(this.toRecord);
  }

  get(id: number): ArtifactRecord | undefined {
    const r = this.db.prepare('SELECT * FROM artifacts WHERE id = ?').get(id) as Row | undefined;
    return r && this.toRecord(r);
  }

  /** The content of a kept artifact; undefined when dropped or its object is gone. */
  read(a: Pick<ArtifactRecord, 'hash'>): Buffer | undefined {
    if (!a.hash) return undefined;
    try {
      return readFileSync(this.objectPath(a.hash));
    } catch {
      return undefined;
    }
  }

  /**
   * Deletes a run's artifacts (`evoloop gc`): its rows, then every object no row refers to any
   * more (shared contents of other runs stay; leftovers of an interrupted write go too).
   */
  deleteRun(runId: string): { artifacts: number; files: number; bytes: number } {
    const artifacts = this.db.prepare('DELETE FROM artifacts WHERE run_id = ?').run(runId).changes;
    this.runBytes.delete(runId);
    const used = this.db.prepare('SELECT 1 FROM artifacts WHERE hash = ? LIMIT 1').pluck();
    let files = 0;
    let bytes = 0;
    for (const sub of existsSync(this.dir) ? readdirSync(this.dir) : []) {
      const folder = path.join(this.dir, sub);
      for (const name of readdirSync(folder)) {
        if (/^[0-9a-f]{64}$/.test(name) && used.get(name) !== undefined) continue;
        const file = path.join(folder, name);
        bytes += statSync(file).size;
        rmSync(file, { force: true });
        files++;
      }
      if (readdirSync(folder).length === 0) rmSync(folder, { recursive: true, force: true });
    }
    return { artifacts, files, bytes };
  }
}
