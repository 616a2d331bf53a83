// Prompt isolation on islands: a child on island i is shown the lessons and the "best so far"
// of island i and the baseline only; another island's attempts reach it only as a labelled
// inspiration the strategy chose.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import { gatherPromptInput } from '../operators/prompt-input.js';
import { openStore, type Store } from '../store/store.js';
import { readLessons } from './lessons.js';
import { changeHash } from './patch-hash.js';
import { renderPrompt } from './prompt.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const PROGRAM = 'export const a = 1;\n';
const config = validateConfig({
  edit: ['f.js'],
  verifier: { stages: [{ name: 's', kind: 'score', run: 'x' }] },
  objective: { metric: 'y', goal: 'maximize' },
  search: { strategy: 'islands', islands: 2, seed: 1 },
});

/** A baseline, then candidates alternating between islands 0 and 1, each island's with its own marker word. */
function seeded(): { store: Store; runId: string; baselineId: number; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-lessons-'));
  dirs.push(dir);
  const store = openStore(dir);
  const run = store.createRun({
    id: 'r',
    problemDir: dir,
    repoRoot: dir,
    baseCommit: 'b'.repeat(40),
    configJson: JSON.stringify(config),
    configHash: 'h',
    status: 'running',
    ownerPid: null,
  });
  const row = (island: number | null, status: 'baseline' | 'accepted' | 'rejected' | 'failed', description: string, score: number | null) => {
    const files = island === null ? {} : { 'f.js': `export const a = ${description.length};\n// ${description}\n` };
    const c = store.insertCandidate({
      runId: run.id,
      parentId: null,
      status,
      operator: island === null ? 'baseline' : 'llm-diff',
      description,
      files,
      changeHash: changeHash(files),
      patch: '',
      island,
      reason: status === 'failed' ? `crash while trying ${description}` : null,
    });
    store.updateCandidate(c.id, { score, finishedAt: Date.now() });
    return c.id;
  };
  const baselineId = row(null, 'baseline', 'base', 1);
  store.updateRun(run.id, { baselineId, championId: baselineId });
  for (let k = 0; k < 30; k++) {
    const island = k % 2;
    const word = island === 0 ? 'ZEBRA' : 'otter';
    // Island 0's accepted rows score highest: a run-wide "best so far" would show them first.
    const status = k % 6 < 2 ? 'accepted' : k % 6 < 4 ? 'rejected' : 'failed';
    row(island, status, `${word} idea ${k}`, status === 'failed' ? null : island === 0 ? 100 + k : 2 + k / 100);
  }
  return { store, runId: run.id, baselineId, dir };
}

describe('lessons on islands', () => {
  it('a child on island 1 gets lessons and best-so-far from island 1 and the baseline only', async () => {
    const { store, runId, baselineId, dir } = seeded();
    const lessons = readLessons(store, runId, 'maximize', { island: 1 });
    expect(lessons.length).toBe(15);
    expect(lessons.every((l) => l.text.includes('otter'))).toBe(true);
    // Without an island (greedy, or the run as a whole) every attempt is a lesson.
    expect(readLessons(store, runId, 'maximize').some((l) => l.text.includes('ZEBRA'))).toBe(true);

    const base = { id: baselineId, score: 1, metrics: { y: 1 }, files: {} };
    const ctx = {
      runId,
      parents: [base],
      inspirations: [],
      island: 1,
      readFile: async () => PROGRAM,
      readBase: async () => PROGRAM,
      taken: async () => false,
      editableFiles: ['f.js'],
      history: [],
      goal: 'maximize' as const,
      noiseSd: 0,
      random: () => 0.5,
      signal: new AbortController().signal,
      stopping: new AbortController().signal,
    };
    const problem = { store, runId, config, problemDir: dir, baseFiles: () => ['f.js'] };
    const input = await gatherPromptInput(problem, ctx);
    expect(input.best.map((b) => b.description)).toEqual(['otter idea 25', 'otter idea 19', 'otter idea 13']);
    const text = renderPrompt(input, { kind: 'diff' }).prompt;
    expect(text).toContain('otter idea 29');
    expect(text).not.toContain('ZEBRA');

    // The one way across: an inspiration the strategy picked, labelled with its island.
    const inspired = await gatherPromptInput(problem, {
      ...ctx,
      inspirations: [{ id: 2, score: 100, metrics: null, files: { 'f.js': 'export const a = 2;\n' }, island: 0, description: 'ZEBRA idea 0' }],
    });
    const withInspiration = renderPrompt(inspired, { kind: 'diff' }).prompt;
    expect(withInspiration.match(/ZEBRA/g)).toHaveLength(1);
    expect(withInspiration).toMatch(/#2 on island 0/);
    store.close();
  });
});
