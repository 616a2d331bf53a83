import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StageResult } from '../core/types.js';
import { openStore } from '../store/store.js';
import { storeRecorder } from './recorder.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-recorder-'));
  dirs.push(dir);
  const store = openStore(dir);
  store.createRun({
    id: 'r1',
    problemDir: dir,
    repoRoot: dir,
    baseCommit: 'a'.repeat(40),
    configJson: '{}',
    configHash: 'h',
    status: 'running',
    ownerPid: null,
  });
  const c = store.insertCandidate({ runId: 'r1', parentId: null, status: 'pending', operator: 't', description: 'd', changeHash: 'x', patch: '', files: {} });
  return { store, id: c.id, recorder: storeRecorder(store) };
}

const result: StageResult = {
  stage: 'score',
  kind: 'score',
  repeat: 0,
  seed: 1,
  ok: true,
  metrics: { y: 1 },
  exitCode: 0,
  signal: null,
  durationMs: 5,
  stdoutTail: '',
  stderrTail: '',
};

describe('storeRecorder', () => {
  it('recording the same result twice (a retried delivery) stores it once', () => {
    const { store, id, recorder } = setup();
    recorder.record(id, 0, result);
    recorder.record(id, 0, result);
    expect(store.measurements(id, 0)).toHaveLength(1);
    expect(recorder.recorded(id, 0)).toMatchObject([{ stage: 'score', repeat: 0, metrics: { y: 1 } }]);
  });

  it('keeps the first result of a slot; other repeats and epochs are their own slots', () => {
    const { id, recorder } = setup();
    recorder.record(id, 0, result);
    recorder.record(id, 0, { ...result, metrics: { y: 99 } });
    recorder.record(id, 0, { ...result, repeat: 1, seed: 2, metrics: { y: 2 } });
    recorder.record(id, 1, { ...result, metrics: { y: 3 } });
    expect(recorder.recorded(id, 0).map((m) => m.metrics.y)).toEqual([1, 2]);
    expect(recorder.recorded(id, 1).map((m) => m.metrics.y)).toEqual([3]);
  });

  it("records the host that made each result: the worker's, else this machine's", () => {
    const { id, recorder } = setup();
    recorder.record(id, 0, { ...result, host: 'gpu-box-7' });
    recorder.record(id, 0, { ...result, repeat: 1, seed: 2 });
    expect(recorder.recorded(id, 0).map((m) => m.host)).toEqual(['gpu-box-7', hostname()]);
  });

  it('a late duplicate from another worker does not replace the first result or its host', () => {
    const { id, recorder } = setup();
    recorder.record(id, 0, { ...result, host: 'first' });
    recorder.record(id, 0, { ...result, host: 'late', metrics: { y: 5 } });
    expect(recorder.recorded(id, 0)).toMatchObject([{ host: 'first', metrics: { y: 1 } }]);
  });
});

describe('workers and queue depth in the store', () => {
  it('keeps the latest view of each worker and of the queue, per run', () => {
    const { store } = setup();
    expect(store.fleet.workers('r1')).toEqual([]);
    expect(store.fleet.queueDepth('r1')).toBeUndefined();
    const w = { id: 'h/1', host: 'h', labels: ['gpu'], jobsDone: 1, failures: 0, busy: 1, lastSeen: 5 };
    store.fleet.saveWorkers('r1', [w]);
    store.fleet.saveWorkers('r1', [{ ...w, jobsDone: 2, busy: 0, lastSeen: 9 }]);
    expect(store.fleet.workers('r1')).toEqual([{ ...w, jobsDone: 2, busy: 0, lastSeen: 9 }]);
    store.fleet.saveQueueDepth('r1', { waiting: 3, active: 1 });
    expect(store.fleet.queueDepth('r1')).toMatchObject({ waiting: 3, active: 1 });
    expect(store.fleet.workers('other')).toEqual([]);
  });
});
