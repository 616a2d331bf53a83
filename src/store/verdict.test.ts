import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { StageResult } from '../core/types.js';
import { MIGRATIONS } from './migrations.js';
import { sampleScoring } from './samples.js';
import { Store } from './store.js';
import { parseVerdict, VerdictFormatError } from './verdict.js';
import { TEST_RUN } from '../../test/support/test-run.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-verdict-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const RUN = TEST_RUN;
const CANDIDATE = { runId: 'r1', parentId: null, status: 'pending' as const, operator: 'tune', description: 'd', changeHash: 'x', patch: '', files: {} };

describe('parseVerdict', () => {
  it('reads each kind, with an unbounded interval stored as null', () => {
    expect(parseVerdict('{"kind":"baseline","noise":{"n":3,"median":1,"mad":0,"cv":null}}', 1)).toEqual({
      kind: 'baseline',
      noise: { n: 3, median: 1, mad: 0, cv: null },
    });
    const decided = {
      kind: 'decided',
      decision: 'reject',
      reason: 'r',
      gain: -1,
      ci: [null, null],
      naive: false,
      against: 1,
      championSamples: 2,
      holdout: { failure: 'crash' },
    };
    expect(parseVerdict(JSON.stringify(decided), 2)).toEqual(decided);
  });

  it('names the candidate and what is wrong, instead of casting', () => {
    expect(() => parseVerdict('{"p":0.01}', 7)).toThrow(VerdictFormatError);
    expect(() => parseVerdict('{"p":0.01}', 7)).toThrow(/candidate 7: the stored verdict has kind undefined/);
    expect(() => parseVerdict('{"kind":"decided","decision":"more","reason":"r"}', 8)).toThrow(/candidate 8: .*decision "more"/);
    expect(() => parseVerdict('{"kind":"baseline","noise":{"n":1,"median":1,"mad":0,"cv":0},"holdout":{"score":"x"}}', 9)).toThrow(/holdout/);
    expect(() => parseVerdict('nope', 10)).toThrow(/not JSON/);
  });
});

describe('objective samples', () => {
  const stage = (over: Partial<StageResult>): StageResult => ({
    stage: 's',
    kind: 'score',
    repeat: 0,
    seed: 1,
    ok: true,
    metrics: {},
    exitCode: 0,
    signal: null,
    durationMs: 1,
    stdoutTail: '',
    stderrTail: '',
    ...over,
  });
  it('scores complete repeats of one epoch from the merged metrics of every score stage', () => {
    const store = new Store(path.join(tmp, 'samples', 'evoloop.db'));
    store.createRun(RUN);
    const c = store.insertCandidate(CANDIDATE);
    for (const r of [0, 1, 2]) {
      store.addMeasurement(c.id, 0, stage({ stage: 'gate', kind: 'gate', repeat: r, metrics: { a: 100 } }));
      store.addMeasurement(c.id, 0, stage({ stage: 'speed', repeat: r, metrics: { a: r + 1 } }));
      if (r < 2) store.addMeasurement(c.id, 0, stage({ stage: 'size', repeat: r, metrics: { b: 10 } })); // repeat 2 incomplete
    }
    store.addMeasurement(c.id, 1, stage({ stage: 'speed', repeat: 0, metrics: { a: 5 } }));
    store.addMeasurement(c.id, 1, stage({ stage: 'size', repeat: 0, metrics: { b: 1 } }));
    const scoring = sampleScoring({
      objective: { expr: 'a * b', goal: 'maximize' },
      verifier: {
        stages: [
          { name: 'gate', kind: 'gate' },
          { name: 'speed', kind: 'score' },
          { name: 'size', kind: 'score' },
          { name: 'hold', kind: 'holdout' },
        ],
      },
    });
    expect(store.objectiveSamples(c.id, scoring)).toEqual([10, 20]);
    expect(store.objectiveSamples(c.id, scoring, 1)).toEqual([5]);
    store.close();
  });
});

it('migration 5 tags old verdicts and drops their samples (the measurements hold them)', () => {
  const file = path.join(tmp, 'old', 'evoloop.db');
  new Store(file).close();
  rmSync(file);
  const old = new Database(file);
  MIGRATIONS.slice(0, 4).forEach((m) => old.exec(m));
  old.pragma('user_version = 4');
  old
    .prepare(
      "INSERT INTO runs(id, created_at, updated_at, problem_dir, repo_root, base_commit, config_json, config_hash, status) VALUES ('r1', 1, 1, '/p', '/p', 'c', '{}', 'h', 'finished')",
    )
    .run();
  const insert = old.prepare(
    "INSERT INTO candidates(run_id, status, operator, description, files_json, change_hash, patch, flags_json, created_at, verdict_json) VALUES ('r1', ?, 'o', 'd', '{}', ?, '', '[]', 1, ?)",
  );
  insert.run('baseline', 'h0', JSON.stringify({ samples: [1, 2], noise: { n: 2, median: 1.5, mad: 0.5, cv: 0.5 }, holdout: { score: 3, samples: [3] } }));
  insert.run('accepted', 'h1', JSON.stringify({ decision: 'accept', reason: 'r', gain: 1, naive: false, against: 1, samples: [3, 4], championSamples: 2 }));
  old.close();
  const store = new Store(file);
  expect(store.getCandidate(1)!.verdict).toEqual({ kind: 'baseline', noise: { n: 2, median: 1.5, mad: 0.5, cv: 0.5 }, holdout: { score: 3, samples: [3] } });
  expect(store.getCandidate(2)!.verdict).toEqual({ kind: 'decided', decision: 'accept', reason: 'r', gain: 1, naive: false, against: 1, championSamples: 2 });
  store.close();
});
