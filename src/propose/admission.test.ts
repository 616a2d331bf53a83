import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../store/store.js';
import { TEST_RUN } from '../../test/support/test-run.js';
import { admission } from './admission.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-admission-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BASE = 'rate = 0.3\n';

/** A run whose baseline's verifier feedback showed 0.053275; the workspace is the base file and a commit counter. */
function setup(name: string) {
  const store = new Store(path.join(tmp, name, 'evoloop.db'));
  const run = store.createRun(TEST_RUN);
  const baseline = store.insertCandidate({
    runId: run.id,
    parentId: null,
    status: 'baseline',
    operator: 'baseline',
    description: '',
    changeHash: '',
    patch: '',
    files: {},
  });
  store.addMeasurement(baseline.id, 0, {
    stage: 'score',
    kind: 'score',
    repeat: 0,
    seed: 1,
    ok: true,
    metrics: { score: 1 },
    feedback: 'worst case at rate 0.053275',
    exitCode: 0,
    signal: null,
    durationMs: 1,
    stdoutTail: '',
    stderrTail: '',
  });
  let commits = 0;
  const admit = admission({
    store,
    run,
    rules: { edit: ['solver.py'], protect: [], alwaysProtected: [] },
    protectedPaths: [],
    workspace: {
      readBase: async (p) => (p === 'solver.py' ? BASE : undefined),
      symlinkOnPath: () => undefined,
      commit: () => `${++commits}`.padStart(40, '0'),
    },
  });
  const parent = { id: baseline.id, commitSha: 'a'.repeat(40), files: {} };
  return { store, admit, parent };
}

describe('admission: special-cases-feedback flag', () => {
  it('flags a model operator that copies a number its prompt showed', async () => {
    const { store, admit, parent } = setup('model');
    const c = await admit({ parents: [parent], island: null }, 'llm-diff', {
      operator: 'llm-diff',
      description: 'd',
      changes: { 'solver.py': 'rate = 0.053275\n' },
    });
    expect(c.flags).toContain('suspicious:special-cases-feedback');
    store.close();
  });

  it('never flags an operator that does not see feedback (tune), even for the same number', async () => {
    const { store, admit, parent } = setup('tune');
    const c = await admit({ parents: [parent], island: null }, 'tune', {
      operator: 'tune',
      description: 'd',
      changes: { 'solver.py': 'rate = 0.053275\n' },
      blind: true,
    });
    expect(c.flags).not.toContain('suspicious:special-cases-feedback');
    store.close();
  });
});
