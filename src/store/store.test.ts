import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StageResult } from '../core/types.js';
import { MIGRATIONS } from './migrations.js';
import { Store, type NewCandidate } from './store.js';
import { summarize } from './summary.js';
import { TEST_RUN } from '../../test/support/test-run.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshFile = () => path.join(tmp, `s${n++}`, 'evoloop.db');

const RUN = TEST_RUN;
const candidate = (over: Partial<NewCandidate> = {}): NewCandidate => ({
  runId: 'r1',
  parentId: null,
  status: 'pending',
  operator: 'tune',
  description: 'd',
  changeHash: 'x',
  patch: '',
  files: { 'a.py': 'print(1)\n' },
  ...over,
});
const result = (over: Partial<StageResult> = {}): StageResult => ({
  stage: 'score',
  kind: 'score',
  repeat: 0,
  seed: 1,
  ok: true,
  metrics: { score: 1 },
  exitCode: 0,
  signal: null,
  durationMs: 12.4,
  stdoutTail: '',
  stderrTail: '',
  ...over,
});

describe('migrations', () => {
  it('a new store is at the latest schema, in WAL mode', () => {
    const store = new Store(freshFile());
    expect(store['db'].pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(store['db'].pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = store['db'].prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['runs', 'candidates', 'measurements', 'events', 'blobs', 'llm_calls']));
    store.close();
    // Opening again runs nothing twice.
    const again = new Store(store.file);
    expect(again['db'].pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    again.close();
  });

  it('upgrades a store written by an older schema, keeping its rows', () => {
    const file = freshFile();
    new Store(file).close(); // creates the folder
    rmSync(file);
    const old = new Database(file);
    old.exec(MIGRATIONS[0]);
    old.pragma('user_version = 1');
    old
      .prepare(
        "INSERT INTO runs(id, created_at, updated_at, problem_dir, repo_root, base_commit, config_json, config_hash, status) VALUES ('old', 1, 1, '/p', '/p', 'c', '{}', 'h', 'finished')",
      )
      .run();
    old.close();
    const store = new Store(file);
    expect(store['db'].pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(store.getRun('old')).toMatchObject({ id: 'old', status: 'finished', baseCommit: 'c' });
    store.close();
  });

  it('a migration that fails is rolled back whole, and the store refuses to open', () => {
    const file = freshFile();
    new Store(file).close();
    rmSync(file);
    const db = new Database(file);
    db.exec(MIGRATIONS[0]);
    // Sabotage migration 2 halfway: the index it creates after its first statement already exists as a table.
    const index = /CREATE INDEX (\w+)/.exec(MIGRATIONS[1])![1];
    db.exec(`CREATE TABLE ${index} (x)`);
    db.pragma('user_version = 1');
    db.close();
    expect(() => new Store(file)).toThrow();
    const after = new Database(file);
    expect(after.pragma('user_version', { simple: true })).toBe(1);
    // Its earlier statements did not stick either.
    const columns = after.prepare('PRAGMA table_info(runs)').all() as { name: string }[];
    expect(columns.map((c) => c.name)).not.toContain('stop_requested_at');
    after.close();
  });

  it('refuses a store from a newer evoloop, saying to upgrade', () => {
    const file = freshFile();
    new Store(file).close();
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => new Store(file)).toThrow(/written by a newer evoloop .*Fix: upgrade evoloop/);
  });
});

describe('Store', () => {
  let store: Store;
  beforeEach(() => {
    store = new Store(freshFile());
    store.createRun(RUN);
  });
  afterEach(() => store.close());

  it('stores candidate files as content-addressed blobs, shared between candidates', () => {
    const a = store.insertCandidate(candidate({ files: { 'a.py': 'x = 1\n', 'b.py': 'y = 2\n' } }));
    const b = store.insertCandidate(candidate({ parentId: a.id, files: { 'a.py': 'x = 1\n' } }));
    expect(store.candidateFiles(a)).toEqual({ 'a.py': 'x = 1\n', 'b.py': 'y = 2\n' });
    expect(store.candidateFiles(b)).toEqual({ 'a.py': 'x = 1\n' });
    expect(store['db'].prepare('SELECT COUNT(*) FROM blobs').pluck().get()).toBe(2);
    expect(() => store.getBlob('0'.repeat(64))).toThrow(/missing blob/);
  });

  it('inserting a candidate is one transaction: a failed insert leaves no blobs behind', () => {
    expect(() => store.insertCandidate(candidate({ runId: 'no-such-run', files: { 'z.py': 'orphan\n' } }))).toThrow(/FOREIGN KEY/);
    expect(store['db'].prepare('SELECT COUNT(*) FROM blobs').pluck().get()).toBe(0);
    expect(store['db'].prepare('SELECT COUNT(*) FROM candidates').pluck().get()).toBe(0);
  });

  it('updates candidates, encoding metrics, verdicts and flags as JSON', () => {
    const c = store.insertCandidate(candidate());
    const verdict = {
      kind: 'decided',
      decision: 'accept',
      reason: 'significant',
      gain: 1,
      pValue: 0.01,
      naive: false,
      against: 1,
      championSamples: 4,
    } as const;
    store.updateCandidate(c.id, { status: 'accepted', score: 2.5, metrics: { score: 2.5, ms: 3 }, verdict, flags: ['big-jump'], reason: undefined });
    expect(store.getCandidate(c.id)).toMatchObject({
      status: 'accepted',
      score: 2.5,
      metrics: { score: 2.5, ms: 3 },
      verdict: { pValue: 0.01 },
      flags: ['big-jump'],
      reason: null,
    });
    store.updateCandidate(c.id, {}); // nothing to do is fine
  });

  it('lists, counts and finds candidates by change hash (ignoring invalid and duplicate ones)', () => {
    const ids = [
      store.insertCandidate(candidate({ status: 'invalid', changeHash: 'h1' })).id,
      store.insertCandidate(candidate({ status: 'rejected', changeHash: 'h1' })).id,
      store.insertCandidate(candidate({ status: 'accepted', changeHash: 'h2' })).id,
      store.insertCandidate(candidate({ status: 'duplicate', changeHash: 'h2' })).id,
    ];
    expect(store.findByChangeHash('r1', 'h1')).toBe(ids[1]);
    expect(store.findByChangeHash('r1', 'h3')).toBeUndefined();
    expect(store.countByStatus('r1')).toEqual({ invalid: 1, rejected: 1, accepted: 1, duplicate: 1 });
    expect(store.listCandidates('r1', { order: 'desc', limit: 2 }).map((c) => c.id)).toEqual([ids[3], ids[2]]);
    expect(store.listCandidates('r1', { status: ['accepted', 'rejected'] }).map((c) => c.id)).toEqual([ids[1], ids[2]]);
    expect(store.listCandidates('r1', { offset: 3 }).map((c) => c.id)).toEqual([ids[3]]);
  });

  it("pages through a run's outcomes in id order, after a given id", () => {
    const ids = [0, 1, 2, 3, 4].map((i) => store.insertCandidate(candidate({ status: i % 2 ? 'accepted' : 'rejected', usd: i, island: i % 3 })).id);
    expect(store.outcomes('r1', 0, 2).map((o) => o.id)).toEqual(ids.slice(0, 2));
    expect(store.outcomes('r1', ids[1], 2).map((o) => o.id)).toEqual(ids.slice(2, 4));
    expect(store.outcomes('r1', ids[4], 2)).toEqual([]);
    const c = store.getCandidate(ids[3])!;
    expect(store.outcomes('r1', ids[2], 1)).toEqual([
      { id: c.id, parentId: c.parentId, operator: c.operator, model: c.model, style: c.style, status: 'accepted', score: c.score, usd: 3, island: 0 },
    ]);
  });

  it("the prompt's best so far: an island's best kept rows and the baseline, in the goal's order, read through the kept rows' index", () => {
    const row = (status: 'baseline' | 'accepted' | 'rejected', score: number | null, island?: number) => {
      const c = store.insertCandidate(candidate({ status, island, operator: status === 'baseline' ? 'baseline' : 'tune', description: `${status} ${score}` }));
      store.updateCandidate(c.id, { score });
      return c.id;
    };
    const base = row('baseline', 5);
    const [a, b, c, d] = [row('accepted', 9, 0), row('accepted', 7, 0), row('accepted', 3, 0), row('accepted', 8, 1)];
    row('rejected', 100, 0);
    row('accepted', null, 0);
    const ids = (goal: 'maximize' | 'minimize', island: number | null, limit = 3) => store.queries.bestKept('r1', goal, island, limit).map((r) => r.id);
    expect(ids('maximize', 0)).toEqual([a, b, base]);
    expect(ids('minimize', 0)).toEqual([c, base, b]);
    expect(ids('maximize', 1)).toEqual([d, base]);
    expect(ids('maximize', 2)).toEqual([base]);
    expect(ids('maximize', null)).toEqual([a, d, b]);
    expect(ids('maximize', 0, 1)).toEqual([a]);
    // Ties go to the older row, as the single query ordered them.
    const e = row('accepted', 9, 0);
    expect(ids('maximize', 0, 2)).toEqual([a, e]);
    // The island's read, as bestKept wrote it, walks the kept rows' index.
    const islandRead = [...(store.queries['prepared'] as Map<string, unknown>).keys()].find((sql) => sql.includes('island = @island'))!;
    const plan = store['db'].prepare(`EXPLAIN QUERY PLAN ${islandRead}`).all({ run: 'r1', island: 0, limit: 3 }) as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('candidates_kept');
  });

  it('records one measurement per slot: re-recording the same (candidate, epoch, stage, repeat) keeps the first', () => {
    const c = store.insertCandidate(candidate());
    store.addMeasurement(c.id, 0, result({ metrics: { score: 1 } }));
    store.addMeasurement(c.id, 0, result({ metrics: { score: 99 } }));
    store.addMeasurement(c.id, 0, result({ repeat: 1, seed: 2, metrics: { score: 2 } }));
    store.addMeasurement(c.id, 1, result({ metrics: { score: 3 } })); // a reverification epoch
    const m = store.measurements(c.id);
    expect(m.map((x) => [x.repeat, x.metrics.score])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(m[0]).toMatchObject({ stage: 'score', kind: 'score', seed: 1, ok: true, exitCode: 0, durationMs: 12, candidateId: c.id, epoch: 0 });
    expect(store.measurements(c.id, 1).map((x) => x.metrics.score)).toEqual([3]);
  });

  it('keeps a failed measurement with its failure', () => {
    const c = store.insertCandidate(candidate());
    store.addMeasurement(c.id, 0, result({ ok: false, metrics: {}, exitCode: 3, stderrTail: 'boom', failure: { kind: 'crash', message: 'exited 3' } }));
    expect(store.measurements(c.id)[0]).toMatchObject({ ok: false, failure: { kind: 'crash', message: 'exited 3' }, stderrTail: 'boom', exitCode: 3 });
  });

  it('other errors of addMeasurement are not swallowed', () => {
    expect(() => store.addMeasurement(12345, 0, result())).toThrow(/FOREIGN KEY/);
  });

  it('events come back in order, after a given id', () => {
    const first = store.addEvent('r1', 'baseline', null, { score: 1 });
    store.addEvent('r1', 'decided', 7, { status: 'rejected' });
    expect(store.events('r1').map((e) => [e.type, e.candidateId, e.data])).toEqual([
      ['baseline', null, { score: 1 }],
      ['decided', 7, { status: 'rejected' }],
    ]);
    expect(store.events('r1', first).map((e) => e.type)).toEqual(['decided']);
  });

  it('sums model spend per run', () => {
    expect(store.llmCalls.spend('r1')).toEqual({ calls: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, usd: 0 });
    const call = {
      runId: 'r1',
      candidateId: null,
      provider: 'openai',
      model: 'm',
      operator: 'llm-diff',
      prompt: 'p',
      response: 'r',
      inputTokens: 10,
      outputTokens: 5,
      cachedTokens: 2,
      usd: 0.25,
      latencyMs: 3,
      attempts: 1,
      error: null,
    };
    store.llmCalls.add(call);
    store.llmCalls.add({ ...call, usd: 0.5 });
    expect(store.llmCalls.spend('r1')).toEqual({ calls: 2, inputTokens: 20, outputTokens: 10, cachedTokens: 4, usd: 0.75 });
  });

  it('summarizes a run for status', () => {
    const base = store.insertCandidate(candidate({ operator: 'baseline', files: {} }));
    store.updateCandidate(base.id, { status: 'baseline', score: 1 });
    const best = store.insertCandidate(candidate({ parentId: base.id }));
    store.updateCandidate(best.id, { status: 'accepted', score: 3 });
    store.insertCandidate(candidate({ status: 'failed' }));
    store.updateRun('r1', { baselineId: base.id, championId: best.id });
    expect(summarize(store, 'r1')).toMatchObject({ run: 'r1', candidates: 2, accepted: 1, baseline: 1, best: 3, bestCandidate: best.id });
  });

  it('a second connection sees every committed write (WAL readers next to the writer)', () => {
    const reader = new Store(store.file);
    try {
      const c = store.insertCandidate(candidate());
      store.addMeasurement(c.id, 0, result());
      expect(reader.getCandidate(c.id)?.id).toBe(c.id);
      expect(reader.measurements(c.id)).toHaveLength(1);
    } finally {
      reader.close();
    }
  });
});

describe('durability', () => {
  it('a measurement recorded before kill -9 of the writing process is in the store afterwards', async () => {
    const file = freshFile();
    const script = path.join(tmp, 'writer.ts');
    const storeModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'store.ts');
    writeFileSync(
      script,
      `import { Store } from ${JSON.stringify(storeModule)};
const store = new Store(${JSON.stringify(file)});
store.createRun(${JSON.stringify(RUN)});
const c = store.insertCandidate(${JSON.stringify(candidate())});
for (let repeat = 0; repeat < 50; repeat++) {
  store.addMeasurement(c.id, 0, { stage: 'score', kind: 'score', repeat, seed: repeat + 1, ok: true, metrics: { score: repeat }, exitCode: 0, signal: null, durationMs: 1, stdoutTail: '', stderrTail: '' });
}
process.stdout.write('recorded\\n');
setInterval(() => {}, 1000); // stay alive, store open, until killed
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => out.includes('recorded') && resolve());
      child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await once(child, 'close');
    const store = new Store(file);
    try {
      const [c] = store.listCandidates('r1');
      const m = store.measurements(c.id);
      expect(m).toHaveLength(50);
      expect(m.map((x) => x.metrics.score)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    } finally {
      store.close();
    }
  });
});
