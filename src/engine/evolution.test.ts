// The engine with fakes: an in-memory workspace, a backend that scores a candidate by the
// number in its file, operators that write numbers, and (for scheduling) a fake population.
// The store is real (a temp folder), since resume is defined by what it holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import type { FileSet } from '../core/types.js';
import type { CandidateSpec, EvaluationBackend, MeasurePlan } from '../evaluate/backend.js';
import type { Measured } from '../evaluate/evaluator.js';
import { storeRecorder } from '../evaluate/recorder.js';
import { StopProposing, type Operator, type OperatorContext } from '../operators/operator.js';
import { GreedyPopulation } from '../population/greedy/greedy.js';
import type { Population } from '../population/population.js';
import { admission } from '../propose/admission.js';
import { openStore, type CandidateRecord, type Store } from '../store/store.js';
import type { EvolutionEvent } from './events.js';
import { Evolution } from './evolution.js';

const BASE = 'b'.repeat(40);
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** f.js holds one number; the objective (maximize y) is that number. Records each repeat, as a backend must. */
class NumberBackend implements EvaluationBackend {
  readonly protectedPaths = ['verify.sh'];
  readonly verifierDigest = 'fake-verifier';
  store!: Store;
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly opts: { fail?: (c: CandidateSpec) => boolean; delayMs?: number } = {}) {}

  async measure(candidate: CandidateSpec, plan: MeasurePlan): Promise<Measured> {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    await new Promise((r) => setTimeout(r, this.opts.delayMs ?? 0));
    this.inFlight--;
    if (this.opts.fail?.(candidate)) return { ok: false, failure: { kind: 'crash', stage: 's', message: 'exit 1' } };
    const y = Number(candidate.files['f.js'] ?? '1');
    const recorder = storeRecorder(this.store);
    const done = new Set(recorder.recorded(candidate.candidateId, plan.epoch ?? 0).map((m) => m.repeat));
    for (let repeat = 0; repeat < plan.repeats; repeat++) {
      if (done.has(repeat)) continue;
      const result = {
        stage: 's',
        kind: 'score' as const,
        repeat,
        seed: repeat + 1,
        ok: true,
        metrics: { y },
        exitCode: 0,
        signal: null,
        durationMs: 1,
        stdoutTail: '',
        stderrTail: '',
      };
      recorder.record(candidate.candidateId, plan.epoch ?? 0, result);
    }
    return { ok: true, samples: Array.from({ length: plan.repeats }, () => y), metrics: { y } };
  }
}

/** Proposes f.js = the parent's number + step (or whatever `next` says). */
function counter(
  next: (ctx: OperatorContext, n: number) => string | Error = (ctx) => String(Number(ctx.parents[0].files['f.js'] ?? '1') + 1),
): Operator & { seen: OperatorContext[] } {
  const seen: OperatorContext[] = [];
  return {
    name: 'counter',
    seen,
    async propose(ctx) {
      seen.push(ctx);
      const out = next(ctx, seen.length);
      if (out instanceof Error) throw out;
      return { operator: 'counter', description: `f.js = ${out}`, changes: { 'f.js': out } };
    },
  };
}

function setup(
  input: Partial<ConfigInput>,
  opts: { operator?: Operator; backend?: NumberBackend; population?: (p: Population) => Population; store?: Store; maxCandidates?: number } = {},
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-engine-'));
  dirs.push(dir);
  return build(dir, input, opts);
}

function build(
  dir: string,
  input: Partial<ConfigInput>,
  opts: { operator?: Operator; backend?: NumberBackend; population?: (p: Population) => Population; store?: Store; maxCandidates?: number } = {},
) {
  const config = validateConfig({
    edit: ['f.js'],
    protect: ['verify.sh'],
    verifier: { stages: [{ name: 's', kind: 'score', run: 'x' }] },
    objective: { metric: 'y', goal: 'maximize' },
    accept: { rule: 'better', baseline_repeats: 1 },
    ...input,
  });
  const store = opts.store ?? openStore(dir);
  const run =
    store.getRun('r1') ??
    store.createRun({ id: 'r1', problemDir: dir, repoRoot: dir, baseCommit: BASE, configJson: '{}', configHash: 'h', status: 'running', ownerPid: null });
  const base: FileSet = { 'f.js': '1', 'verify.sh': 'exit 0' };
  let commits = 0;
  const workspace = {
    baseCommit: BASE,
    problemDir: dir,
    baseFiles: () => Object.keys(base),
    readBase: async (p: string) => base[p],
    symlinkOnPath: () => undefined,
    commit: () => `c${++commits}`.padEnd(40, '0'),
    setRef: () => undefined,
  };
  const backend = opts.backend ?? new NumberBackend();
  backend.store = store;
  const abandon = new AbortController();
  const events: EvolutionEvent[] = [];
  const emit = (e: EvolutionEvent) => events.push(e);
  const greedy = new GreedyPopulation({ config, store, run, workspace, backend, emit, signal: abandon.signal });
  const population = opts.population?.(greedy) ?? greedy;
  const operator = opts.operator ?? counter();
  const evolution = new Evolution({
    config,
    rules: { edit: config.edit, protect: config.protect, alwaysProtected: [] },
    store,
    run,
    workspace,
    operators: { pick: () => operator },
    population,
    admit: admission({
      store,
      run,
      workspace,
      rules: { edit: config.edit, protect: config.protect, alwaysProtected: [] },
      protectedPaths: backend.protectedPaths,
    }),
    emit,
    abandon,
    maxCandidates: opts.maxCandidates,
  });
  const candidates = () => store.listCandidates('r1').filter((c) => c.operator !== 'baseline');
  return { dir, store, evolution, events, backend, candidates };
}

describe('Evolution', () => {
  it('stops at the candidates budget, each child built on the champion', async () => {
    const { evolution, candidates, store } = setup({ budget: { candidates: 3 } });
    expect(await evolution.run()).toEqual({ status: 'finished', reason: 'budget: candidates' });
    expect(candidates().map((c) => [c.status, c.score, c.parentId])).toEqual([
      ['accepted', 2, 1],
      ['accepted', 3, 2],
      ['accepted', 4, 3],
    ]);
    expect(store.getRun('r1')!.championId).toBe(4);
    store.close();
  });

  it('stops when the target is reached', async () => {
    const { evolution, candidates, store } = setup({ budget: { candidates: 10, target: 3 } });
    expect(await evolution.run()).toEqual({ status: 'finished', reason: 'target 3 reached' });
    expect(candidates()).toHaveLength(2);
    store.close();
  });

  it('stops on patience, and a proposal equal to its parent is a duplicate', async () => {
    const { evolution, candidates, store } = setup({ budget: { candidates: 10, patience: 2 } }, { operator: counter(() => '1') });
    expect(await evolution.run()).toEqual({ status: 'finished', reason: 'patience: 2 candidates without improvement' });
    expect(candidates().map((c) => c.status)).toEqual(['duplicate', 'duplicate']);
    store.close();
  });

  it('an operator that says stop spends no budget; one that throws makes an invalid candidate', async () => {
    const stop = setup({ budget: { candidates: 5 } }, { operator: counter(() => new StopProposing('budget: usd')) });
    expect(await stop.evolution.run()).toEqual({ status: 'finished', reason: 'budget: usd' });
    expect(stop.candidates()).toEqual([]);
    stop.store.close();
    const broken = setup({ budget: { candidates: 2 } }, { operator: counter(() => new Error('boom')) });
    await broken.evolution.run();
    expect(broken.candidates().map((c) => [c.status, c.reason])).toEqual([
      ['invalid', 'operator counter failed: boom'],
      ['invalid', 'operator counter failed: boom'],
    ]);
    broken.store.close();
  });

  it('the same invalid reason ten times in a row stops the run as stuck', async () => {
    const { evolution, candidates, store } = setup({ budget: { candidates: 50 } }, { operator: counter(() => new Error('no numbers')) });
    expect((await evolution.run()).reason).toMatch(/^stuck: the last 10 proposals were all invalid/);
    expect(candidates()).toHaveLength(10);
    store.close();
  });

  it('keeps `parallel` children in flight, never more', async () => {
    const backend = new NumberBackend({ delayMs: 20 });
    const { evolution, candidates, store } = setup(
      { budget: { candidates: 8 }, search: { parallel: 3 } },
      { backend, operator: counter((_ctx, n) => String(100 + n)) },
    );
    await evolution.run();
    expect(candidates()).toHaveLength(8);
    expect(backend.maxInFlight).toBe(3);
    store.close();
  });

  it('a strategy that selects two parents reaches the operator and the record with no engine change', async () => {
    const operator = counter();
    const pair = (p: Population): Population => ({
      start: () => p.start(),
      best: () => p.best(),
      consider: (c) => p.consider(c),
      select: (r) => [...p.select(r), { ...p.select(r)[0], id: 1 }],
    });
    const { evolution, candidates, store } = setup({ budget: { candidates: 1 } }, { operator, population: pair });
    await evolution.run();
    expect(operator.seen[0].parents.map((p) => p.id)).toEqual([1, 1]);
    expect(candidates().map((c) => [c.parentId, c.parent2Id])).toEqual([[1, 1]]);
    store.close();
  });

  it('a failing backend fails the candidate, not the run; a failing baseline fails the run', async () => {
    const failing = setup(
      { budget: { candidates: 2 } },
      { backend: new NumberBackend({ fail: (c) => c.files['f.js'] !== undefined }), operator: counter((_ctx, n) => String(10 + n)) },
    );
    expect(await failing.evolution.run()).toEqual({ status: 'finished', reason: 'budget: candidates' });
    expect(failing.candidates().map((c) => [c.status, c.reason])).toEqual([
      ['failed', 'crash in stage s: exit 1'],
      ['failed', 'crash in stage s: exit 1'],
    ]);
    failing.store.close();
    const broken = setup({ budget: { candidates: 2 } }, { backend: new NumberBackend({ fail: () => true }) });
    await expect(broken.evolution.run()).rejects.toThrow(/the base commit fails its own verifier/);
    broken.store.close();
  });

  it('resumes: a pending candidate is considered before anything new is proposed, and counts against the budget', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-engine-'));
    dirs.push(dir);
    // First session: abandoned while the second child is being measured.
    let first!: ReturnType<typeof build>;
    const backend = new NumberBackend();
    const hold = (p: Population): Population => ({
      ...p,
      start: () => p.start(),
      select: (r) => p.select(r),
      best: () => p.best(),
      consider: async (c: CandidateRecord) => {
        if (c.id === 3) {
          first.evolution.stop({ abandon: true });
          return undefined;
        }
        return p.consider(c);
      },
    });
    first = build(dir, { budget: { candidates: 3 } }, { backend, population: hold });
    expect(await first.evolution.run()).toEqual({ status: 'interrupted', reason: 'stopped by the user' });
    expect(first.candidates().map((c) => c.status)).toEqual(['accepted', 'pending']);
    first.store.close();
    // Second session: the pending child first, then one new child.
    const operator = counter();
    const second = build(dir, { budget: { candidates: 3 } }, { operator });
    expect(await second.evolution.run()).toEqual({ status: 'finished', reason: 'budget: candidates' });
    expect(second.candidates().map((c) => [c.id, c.status])).toEqual([
      [2, 'accepted'],
      [3, 'accepted'],
      [4, 'accepted'],
    ]);
    expect(operator.seen).toHaveLength(1);
    expect(operator.seen[0].parents.map((p) => p.id)).toEqual([3]);
    second.store.close();
  });
});
