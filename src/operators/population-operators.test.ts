// llm-crossover, llm-simplify, prompt styles and meta-lessons against the loopback model server, with a real store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeStep } from '../../test/support/fake-llm-server.js';
import { TEST_RUN } from '../../test/support/test-run.js';
import { validateConfig } from '../config/load.js';
import { Bandit } from '../core/bandit.js';
import { seededRandom } from '../core/random.js';
import { ModelGateway } from '../llm/gateway.js';
import { createModelClient } from '../llm/index.js';
import { changeHash } from '../propose/patch-hash.js';
import { Store } from '../store/store.js';
import { llmCrossover } from './llm-crossover/llm-crossover.js';
import { llmDiff } from './llm-diff/llm-diff.js';
import { llmSimplify, SIMPLIFY_ASK } from './llm-simplify/llm-simplify.js';
import { MetaLessons, META_OPERATOR } from './meta-lessons.js';
import { NothingNew, type OperatorContext, type ParentView } from './operator.js';
import { PROMPT_STYLES } from './styles.js';

const BASE = 'function f(x) {\n  return x * 3;\n}\nexport { f };\n';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(steps: FakeStep[]) {
  const server = await startFakeLlmServer({ steps, whenExhausted: 'repeat-last' });
  cleanups.push(() => server.close());
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-popops-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = new Store(path.join(dir, 'evoloop.db'));
  cleanups.push(() => store.close());
  store.createRun({ ...TEST_RUN, problemDir: dir, repoRoot: dir });
  const client = createModelClient({ provider: 'openai', name: 'm', baseUrl: server.openaiBaseUrl, timeoutMs: 5000, maxRetries: 0 }, {}, { baseDelayMs: 1 });
  const gateway = new ModelGateway({ store, runId: 'r1', clients: [client], notice: () => undefined });
  const config = validateConfig({
    edit: ['f.js'],
    verifier: { stages: [{ name: 's', kind: 'score', run: 'x' }] },
    objective: { metric: 'y', goal: 'maximize' },
  });
  const problem = { store, runId: 'r1', config, problemDir: dir, baseFiles: () => ['f.js'] };
  return { server, store, gateway, problem };
}

/** Two parents as recorded rows: each with a measured feedback line of its own. */
function parents(store: Store): ParentView[] {
  const rows = [
    { files: { 'f.js': BASE.replace('x * 3', 'x * 4') }, score: 4, feedback: 'FEEDBACK-OF-FIRST: fast but wrong on negatives' },
    { files: { 'f.js': BASE.replace('x * 3', 'Math.abs(x) * 3') }, score: 3, feedback: 'FEEDBACK-OF-SECOND: correct on negatives' },
  ];
  return rows.map((r) => {
    const c = store.insertCandidate({
      runId: 'r1',
      parentId: null,
      status: 'accepted',
      operator: 'llm-diff',
      description: '',
      files: r.files,
      changeHash: changeHash(r.files),
      patch: '',
    });
    store.updateCandidate(c.id, { score: r.score, metrics: { y: r.score } });
    store.addMeasurement(c.id, 0, {
      stage: 's',
      kind: 'score',
      repeat: 0,
      seed: 0,
      ok: true,
      metrics: { y: r.score },
      feedback: r.feedback,
      exitCode: 0,
      signal: null,
      durationMs: 1,
      stdoutTail: '',
      stderrTail: '',
    });
    return { id: c.id, score: r.score, metrics: { y: r.score }, files: r.files };
  });
}

function ctx(ps: ParentView[], seed = 1): OperatorContext {
  const never = new AbortController().signal;
  return {
    runId: 'r1',
    parents: ps,
    inspirations: [],
    island: null,
    readFile: async (p) => ps[0].files[p] ?? (p === 'f.js' ? BASE : undefined),
    readBase: async (p) => (p === 'f.js' ? BASE : undefined),
    taken: async () => false,
    editableFiles: ['f.js'],
    history: [],
    random: seededRandom(seed),
    signal: never,
    stopping: never,
  };
}

describe('llm-crossover', () => {
  it('shows the model both parents, with their scores, their fenced feedback and the second one code, and asks to combine them', async () => {
    const reply = 'Idea: abs and times four\nf.js\n<<<<<<< SEARCH\n  return x * 4;\n=======\n  return Math.abs(x) * 4;\n>>>>>>> REPLACE\n';
    const { server, store, gateway, problem } = await setup([{ reply }]);
    const ps = parents(store);
    const result = await llmCrossover({ problem, gateway }).propose(ctx(ps));
    expect(result).toMatchObject({ operator: 'llm-crossover', changes: { 'f.js': BASE.replace('x * 3', 'Math.abs(x) * 4') } });
    const prompt = server.requests[0].prompt;
    expect(prompt).toContain(`## Current program (candidate #${ps[0].id})\nscore: 4`);
    expect(prompt).toContain(`## Second parent (candidate #${ps[1].id})\nscore: 3`);
    expect(prompt).toMatch(/\| FEEDBACK-OF-FIRST/);
    expect(prompt).toMatch(/\| FEEDBACK-OF-SECOND/);
    expect(prompt).toContain('Math.abs(x) * 3'); // the second parent's code
    expect(prompt).toContain(`Combine the strengths of two parents`);
    expect(llmCrossover({ problem, gateway }).parents).toBe(2);
  });

  it('with one parent it proposes nothing (no candidate, no model call)', async () => {
    const { server, store, gateway, problem } = await setup([{ reply: 'x' }]);
    await expect(llmCrossover({ problem, gateway }).propose(ctx(parents(store).slice(0, 1)))).rejects.toBeInstanceOf(NothingNew);
    expect(server.requests).toHaveLength(0);
  });
});

describe('llm-simplify and prompt styles', () => {
  it('llm-simplify asks for shorter code with the same behaviour, as a rewrite', async () => {
    const { server, store, gateway, problem } = await setup([{ reply: 'Idea: shorter\n```js\nconst f = (x) => x * 4;\nexport { f };\n```\n' }]);
    const result = await llmSimplify({ problem, gateway }).propose(ctx(parents(store).slice(0, 1)));
    expect(result).toMatchObject({ operator: 'llm-simplify', changes: { 'f.js': 'const f = (x) => x * 4;\nexport { f };\n' } });
    expect(server.requests[0].prompt).toContain(`${SIMPLIFY_ASK} Write it as a rewrite of f.js.`);
  });

  it('llm-diff is asked in the style its bandit chooses, and the style is in the result', async () => {
    const { server, store, gateway, problem } = await setup([{ reply: 'Idea: nothing usable' }]);
    const styles = new Bandit(Object.fromEntries(Object.keys(PROMPT_STYLES).map((s) => [s, 1])));
    const ps = parents(store).slice(0, 1);
    const seen = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const result = await llmDiff({ problem, gateway, styles }).propose(ctx(ps, seed));
      const style = result.style as keyof typeof PROMPT_STYLES;
      expect(Object.keys(PROMPT_STYLES)).toContain(style);
      expect(server.requests.at(-1)!.prompt).toContain(`${PROMPT_STYLES[style]} Edit only: f.js.`);
      seen.add(style);
    }
    expect(seen.size).toBeGreaterThan(2);
    // without a style bandit the instruction is the plain one
    await llmDiff({ problem, gateway }).propose(ctx(ps));
    expect(server.requests.at(-1)!.prompt).toContain('Propose one change that improves the objective. Edit only: f.js.');
  });
});

describe('meta-lessons', () => {
  it('every summarize_every decided candidates one recorded call condenses the lessons; later prompts show the scratchpad', async () => {
    const diff = 'Idea: nothing usable';
    const { server, store, gateway, problem } = await setup([{ reply: diff }, { reply: '- SCRATCH: abs() helped, bigger factors failed' }, { reply: diff }]);
    const metaLessons = new MetaLessons({ store, runId: 'r1', gateway, every: 2, goal: 'maximize', objective: 'y' });
    const op = llmDiff({ problem, gateway, metaLessons });
    const ps = parents(store); // two decided candidates: the first summary is due
    store.insertCandidate({ runId: 'r1', parentId: null, status: 'baseline', operator: 'baseline', description: '', files: {}, changeHash: 'b', patch: '' });
    // only one of two is decided yet: no summary
    store.updateCandidate(ps[1].id, { status: 'pending' });
    await op.propose(ctx(ps.slice(0, 1)));
    expect(server.requests.map((r) => r.prompt.includes('research notes'))).toEqual([false]);
    store.updateCandidate(ps[1].id, { status: 'rejected' });
    await op.propose(ctx(ps.slice(0, 1)));
    expect(server.requests).toHaveLength(3);
    expect(server.requests[1].prompt).toMatch(/research notes[\s\S]*Condense them into at most 8 short bullet points/);
    expect(server.requests[1].prompt).toMatch(/\| - #\d+ \(llm-diff\)/); // the lessons, fenced
    expect(server.requests[2].prompt).toMatch(/## Scratchpad: what this run has learned so far\n[^\n]*\n\| - SCRATCH: abs\(\) helped/);
    const calls = [...store.queries.exportRows('r1', 'llm_calls')].map((r) => r.operator);
    expect(calls).toEqual(['llm-diff', META_OPERATOR, 'llm-diff']);
    // not due again until two more are decided (a new MetaLessons, as after a resume, counts the same)
    await llmDiff({ problem, gateway, metaLessons: new MetaLessons({ store, runId: 'r1', gateway, every: 2, goal: 'maximize', objective: 'y' }) }).propose(
      ctx(ps.slice(0, 1)),
    );
    expect(server.requests).toHaveLength(4);
    expect(server.requests[3].prompt).toContain('SCRATCH');
  });

  it('on islands each island has its own scratchpad, made from its own lessons: nothing crosses to another island', async () => {
    const diff = 'Idea: nothing usable';
    const { server, store, gateway, problem } = await setup([
      { reply: '- SCRATCH-ZERO: ZEBRA moves helped' },
      { reply: diff },
      { reply: diff },
      { reply: '- SCRATCH-ONE' },
      { reply: diff },
    ]);
    const [parent] = parents(store);
    const tried = (island: number, word: string) =>
      store.insertCandidate({
        runId: 'r1',
        parentId: null,
        status: 'rejected',
        operator: 'llm-diff',
        description: `${word} move`,
        files: {},
        changeHash: `${word}-${Math.random()}`,
        patch: '',
        island,
      });
    tried(0, 'ZEBRA');
    tried(0, 'ZEBRA');
    tried(1, 'otter');
    const op = llmDiff({ problem, gateway, metaLessons: new MetaLessons({ store, runId: 'r1', gateway, every: 2, goal: 'maximize', objective: 'y' }) });
    const on = (island: number) => ({ ...ctx([parent]), island });
    await op.propose(on(0)); // island 0 has 2 decided: its summary is due
    expect(server.requests[0].prompt).toMatch(/research notes[\s\S]*ZEBRA move/);
    expect(server.requests[1].prompt).toContain('SCRATCH-ZERO');
    await op.propose(on(1)); // island 1 has 1 decided: no summary yet, and island 0's is not shown
    expect(server.requests).toHaveLength(3);
    expect(server.requests[2].prompt).not.toMatch(/SCRATCH-ZERO|ZEBRA/);
    tried(1, 'otter');
    await op.propose(on(1));
    expect(server.requests[3].prompt).toMatch(/research notes[\s\S]*otter move/);
    expect(server.requests[3].prompt).not.toMatch(/SCRATCH-ZERO|ZEBRA/);
    expect(server.requests[4].prompt).toContain('SCRATCH-ONE');
    expect(server.requests[4].prompt).not.toMatch(/SCRATCH-ZERO|ZEBRA/);
    const calls = [...store.queries.exportRows('r1', 'llm_calls')].map((r) => r.operator);
    expect(calls).toEqual([`${META_OPERATOR} island 0`, 'llm-diff', 'llm-diff', `${META_OPERATOR} island 1`, 'llm-diff']);
  });
});
