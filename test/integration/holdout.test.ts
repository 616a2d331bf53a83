// Holdout stages: measured on the baseline and each new champion only, shown beside the
// training score, never shown to the proposer, and loud when a champion that improved the
// objective got worse on holdout (overfitting or gaming).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import type { EvolutionEvent } from '../../src/engine/events.js';
import { gatherPromptInput } from '../../src/operators/prompt-input.js';
import { renderPrompt } from '../../src/propose/prompt.js';
import { openStore } from '../../src/store/store.js';
import { createHostileProblem, type HostileProblem } from '../support/hostile-problem.js';

const SCORE = `import path from 'node:path';
import { pathToFileURL } from 'node:url';
const program = await import(pathToFileURL(path.resolve('program.mjs')).href);
console.error('SCORE-STDERR-VISIBLE');
console.log(JSON.stringify({ score: program.value(), feedback: 'SCORE-FEEDBACK-VISIBLE' }));
`;

/** A holdout set on which hostile mode scores `hostileScore` (the base scores 10). */
const holdout = (hostileScore: number) => `// HOLDOUT-SECRET-SOURCE: the proposer must never see this file.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
const program = await import(pathToFileURL(path.resolve('program.mjs')).href);
console.error('HOLDOUT-SECRET-STDERR');
console.log(JSON.stringify({ score: program.hostile ? ${hostileScore} : 10, feedback: 'HOLDOUT-SECRET-FEEDBACK' }));
`;

function problem(hostileHoldout: number): HostileProblem {
  return createHostileProblem({
    files: { 'verifier/score.mjs': SCORE, 'verifier/holdout.mjs': holdout(hostileHoldout) },
    config: {
      verifier: {
        stages: [
          { name: 'score', kind: 'score', run: 'node verifier/score.mjs', timeout: '20s' },
          { name: 'holdout', kind: 'holdout', run: 'node verifier/holdout.mjs', timeout: '20s' },
        ],
      },
    },
  });
}

describe('holdout', () => {
  let gamed: HostileProblem;
  let honest: HostileProblem;
  let gamedEvents: EvolutionEvent[];
  let honestEvents: EvolutionEvent[];

  beforeAll(async () => {
    gamed = problem(5); // objective 10 → 11, holdout 10 → 5
    honest = problem(12); // objective 10 → 11, holdout 10 → 12
    [{ events: gamedEvents }, { events: honestEvents }] = await Promise.all([gamed.run(1), honest.run(1)]);
  });
  afterAll(() => [gamed, honest].forEach((p) => p?.cleanup()));

  it('holdout runs on the baseline and the new champion, stored with kind holdout', () => {
    expect(gamed.candidate(2).status).toBe('accepted');
    for (const id of [1, 2]) {
      const kinds = gamed.measurements(id).map((m) => `${m.stage}:${m.kind}`);
      expect(kinds).toEqual(['score:score', 'holdout:holdout']);
    }
    expect(gamed.measurements(2).find((m) => m.kind === 'holdout')).toMatchObject({ ok: true, metrics: { score: 5 } });
    // The champion's recorded score is the training score; holdout sits beside it.
    expect(gamed.candidate(2)).toMatchObject({ score: 11, verdict: { holdout: { score: 5, samples: [5] } } });
    expect(gamed.candidate(1).verdict).toMatchObject({ holdout: { score: 10, samples: [10] } });
  });

  it('objective up, holdout down: the champion is flagged holdout-alarm and every view says so', async () => {
    expect(gamed.candidate(2).flags).toContain('holdout-alarm');
    expect(
      gamedEvents.some((e) => e.type === 'notice' && /HOLDOUT ALARM: champion 2 improved the objective but is worse on holdout \(10 → 5\)/.test(e.message)),
    ).toBe(true);

    const status = await gamed.cliJson('status');
    expect(status.integrity.holdoutAlarms).toEqual([2]);
    expect(status.champions.map((c: { id: number; score: number; holdout: number }) => [c.id, c.score, c.holdout])).toEqual([
      [1, 10, 10],
      [2, 11, 5],
    ]);
    const text = (await gamed.cli('status')).stdout;
    expect(text).toMatch(/!! HOLDOUT ALARM .*#2/);
    expect(text).toMatch(/#1 +10 +baseline · holdout 10/);
    expect(text).toMatch(/#2 +11 +gain 1 · holdout 5 +\[holdout-alarm\]/);
  });

  it('objective up, holdout up too: no alarm', async () => {
    expect(honest.candidate(2).status).toBe('accepted');
    expect(honest.candidate(2).flags).not.toContain('holdout-alarm');
    expect(honest.candidate(2).verdict).toMatchObject({ holdout: { score: 12 } });
    expect(honestEvents.some((e) => e.type === 'notice' && /HOLDOUT ALARM/.test(e.message))).toBe(false);
    expect((await honest.cli('status')).stdout).not.toMatch(/HOLDOUT ALARM/);
  });

  it("the proposer's prompt for the next child shows score-stage feedback but nothing of the holdout", async () => {
    const store = openStore(gamed.dir);
    try {
      const run = store.latestRun()!;
      const config = loadConfigFile(path.join(gamed.dir, 'evoloop.yaml'));
      const parent = store.getCandidate(run.championId!)!;
      expect(parent.id).toBe(2);
      const files = store.candidateFiles(parent);
      const readFile = async (f: string) => files[f] ?? (existsSync(path.join(gamed.dir, f)) ? readFileSync(path.join(gamed.dir, f), 'utf8') : undefined);
      const baseFiles = () =>
        gamed
          .git('ls-files', 'problem')
          .split('\n')
          .map((f) => f.replace(/^problem\//, ''));
      const input = await gatherPromptInput(
        { store, runId: run.id, config, problemDir: gamed.dir, configFile: path.join(gamed.dir, 'evoloop.yaml'), baseFiles },
        {
          runId: run.id,
          parents: [{ id: parent.id, score: parent.score, metrics: parent.metrics, files }],
          inspirations: [],
          island: null,
          readFile,
          editableFiles: ['program.mjs'],
          history: [],
          random: () => 0.5,
          signal: new AbortController().signal,
          stopping: new AbortController().signal,
        },
      );
      const { system, prompt } = renderPrompt(input, { kind: 'diff' });
      const seen = `${system}\n${prompt}`;
      expect(seen).toContain('SCORE-FEEDBACK-VISIBLE');
      expect(seen).toContain('SCORE-STDERR-VISIBLE');
      expect(seen).not.toContain('HOLDOUT-SECRET');
      expect(seen).not.toContain('verifier/holdout.mjs');
    } finally {
      store.close();
    }
  });
});
