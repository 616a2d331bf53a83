import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import { openStore, type Store } from '../store/store.js';
import { TEST_RUN } from '../../test/support/test-run.js';
import { knobProgram } from '../../test/support/literal-problem.js';
import { BAYES_BUDGET, chooseOffline, offlineChoice } from './offline-choice.js';
import { bayes } from './bayes/bayes.js';
import { cmaes } from './cmaes/cmaes.js';
import { tune } from './tune/tune.js';

describe('chooseOffline', () => {
  it('bayes for up to 20 literals and a small budget; tune below 50 candidates per literal on a score measured once; cmaes otherwise; tune when nothing has a range', () => {
    expect(chooseOffline({ bounded: 6, unbounded: 0, candidates: 100 })).toMatchObject({
      name: 'bayes',
      why: expect.stringMatching(/6 literals with a range .*budget of 100 candidates/),
    });
    expect(chooseOffline({ bounded: 3, unbounded: 0, candidates: BAYES_BUDGET + 1 }).name).toBe('cmaes');
    expect(chooseOffline({ bounded: 6, unbounded: 0 })).toMatchObject({ name: 'cmaes', why: expect.stringMatching(/no candidate budget/) });
    expect(chooseOffline({ bounded: 21, unbounded: 0, candidates: 50, noisy: true }).name).toBe('cmaes');
    expect(chooseOffline({ bounded: 10, unbounded: 0, candidates: 300 })).toMatchObject({
      name: 'tune',
      why: expect.stringMatching(/10 literals with a range and a budget of 300 candidates \(< 50 per literal/),
    });
    expect(chooseOffline({ bounded: 10, unbounded: 0, candidates: 300, noisy: true }).name).toBe('cmaes');
    expect(chooseOffline({ bounded: 10, unbounded: 0, candidates: 500 }).name).toBe('cmaes');
    expect(chooseOffline({ bounded: 52, unbounded: 0, candidates: 500 }).name).toBe('tune');
    expect(chooseOffline({ bounded: 0, unbounded: 4, candidates: 50 }).name).toBe('tune');
    expect(chooseOffline({ bounded: 1, unbounded: 4, candidates: 50 }).name).toBe('tune');
  });
});

describe('offlineChoice', () => {
  let dir: string | undefined;
  let store: Store | undefined;
  afterEach(() => {
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const build = (name: string) => ({ tune, cmaes: cmaes(), bayes: bayes() })[name as 'tune']!;
  const program = knobProgram(Array.from({ length: 4 }, () => ({ value: '1.0', hint: '0..2' })));
  const problem = { editableFiles: ['knobs.py'], readBase: async (p: string) => (p === 'knobs.py' ? program : undefined) };
  const config = (candidates?: number) =>
    validateConfig({
      edit: ['knobs.py'],
      verifier: { stages: [{ name: 's', kind: 'score', run: 'true' }] },
      objective: { metric: 'x', goal: 'maximize' },
      budget: candidates === undefined ? {} : { candidates },
    });

  it('says its choice in the run-start text and takes the chosen name', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'offline-'));
    store = openStore(dir);
    store.createRun(TEST_RUN);
    const op = offlineChoice(config(500), store, TEST_RUN.id, build);
    const text = await op.describe!(problem);
    expect(text).toMatch(
      /^Offline operator: cmaes \(4 literals with a range and a budget of 500 candidates: CMA-ES moves them all at once\)\. Choose another with `operators:`/,
    );
    expect(text).toMatch(/\ncmaes moves 4 literals in knobs\.py/);
    expect(op.name).toBe('cmaes');
  });

  it('a resumed run keeps the operator its candidates were made with', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'offline-'));
    store = openStore(dir);
    store.createRun(TEST_RUN);
    store.insertCandidate({
      runId: TEST_RUN.id,
      parentId: null,
      status: 'rejected',
      operator: 'bayes',
      description: 'd',
      changeHash: 'x',
      patch: '',
      files: {},
    });
    const op = offlineChoice(config(), store, TEST_RUN.id, build);
    expect(await op.describe!(problem)).toMatch(/^Offline operator: bayes \(the operator this run was started with\)/);
    expect(op.name).toBe('bayes');
  });
});
