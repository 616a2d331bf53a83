// The engine with fakes, for strategy and scheduling tests: an in-memory workspace, a backend
// that scores a candidate by the number in its f.js (optionally with seeded noise per repeat),
// operators that write numbers. The store is real (a temp folder), since resume is defined by
// what it holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { seededRandom, seedFrom } from '../../src/core/random.js';
import type { FileSet } from '../../src/core/types.js';
import type { CandidateSpec, EvaluationBackend, MeasurePlan } from '../../src/evaluate/backend.js';
import type { Measured } from '../../src/evaluate/evaluator.js';
import { storeRecorder } from '../../src/evaluate/recorder.js';
import { Evolution } from '../../src/engine/evolution.js';
import type { EvolutionEvent } from '../../src/engine/events.js';
import type { Operator, OperatorContext } from '../../src/operators/operator.js';
import type { Population, PopulationDeps } from '../../src/population/population.js';
import { strategies } from '../../src/population/registry.js';
import { admission } from '../../src/propose/admission.js';
import { openStore, type Store } from '../../src/store/store.js';

export const BASE = 'b'.repeat(40);

export interface NumberBackendOptions {
  fail?: (c: CandidateSpec) => boolean;
  delayMs?: number;
  /** Noise added to repeat r of a candidate: a function of its number and the repeat (deterministic). */
  noise?: (y: number, repeat: number, candidateId: number) => number;
  /** Extra metrics reported beside y. */
  metrics?: (y: number) => Record<string, number>;
}

/** f.js holds one number; the objective (maximize y) is that number. Records each repeat, as a backend must. */
export class NumberBackend implements EvaluationBackend {
  readonly protectedPaths = ['verify.sh'];
  readonly verifierDigest = 'fake-verifier';
  store!: Store;
  /** The base program's f.js, for a candidate that does not change it. */
  base = '1';
  inFlight = 0;
  maxInFlight = 0;
  /** Every measure call: candidate id and repeats asked for. */
  readonly calls: { candidateId: number; repeats: number }[] = [];
  constructor(private readonly opts: NumberBackendOptions = {}) {}

  async measure(candidate: CandidateSpec, plan: MeasurePlan): Promise<Measured> {
    this.calls.push({ candidateId: candidate.candidateId, repeats: plan.repeats });
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    await new Promise((r) => setTimeout(r, this.opts.delayMs ?? 0));
    this.inFlight--;
    if (this.opts.fail?.(candidate)) return { ok: false, failure: { kind: 'crash', stage: 's', message: 'exit 1' } };
    const y = Number(candidate.files['f.js'] ?? this.base);
    const recorder = storeRecorder(this.store);
    const epoch = plan.epoch ?? 0;
    const done = new Map(recorder.recorded(candidate.candidateId, epoch).map((m) => [m.repeat, m.metrics.y]));
    const samples: number[] = [];
    for (let repeat = 0; repeat < plan.repeats; repeat++) {
      if (done.has(repeat)) {
        samples.push(done.get(repeat)!);
        continue;
      }
      const value = y + (this.opts.noise?.(y, repeat, candidate.candidateId) ?? 0);
      samples.push(value);
      recorder.record(candidate.candidateId, epoch, {
        stage: 's',
        kind: 'score',
        repeat,
        seed: repeat + 1,
        ok: true,
        metrics: { y: value, ...this.opts.metrics?.(y) },
        exitCode: 0,
        signal: null,
        durationMs: 1,
        stdoutTail: '',
        stderrTail: '',
      });
    }
    return { ok: true, samples, metrics: { y: samples[0], ...this.opts.metrics?.(y) } };
  }
}

/** Proposes f.js = the parent's number + 1 (or whatever `next` says). */
export function counter(
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

/** Proposes f.js = the parent's number + a seeded random step in [-2, 3) (ctx.random). */
export function randomStep(): Operator & { seen: OperatorContext[] } {
  return counter((ctx) => String(Number(ctx.parents[0].files['f.js'] ?? '1') + Math.floor(ctx.random() * 5) - 2));
}

export interface HarnessOptions {
  operator?: Operator;
  /** Instead of `operator`: how each proposal's operator is picked (`except`: the one that just found nothing new). */
  pick?: (random: () => number, except?: string) => Operator;
  backend?: NumberBackend;
  /** Wraps the strategy's population (scheduling tests). */
  population?: (p: Population, deps: PopulationDeps) => Population;
  store?: Store;
  maxCandidates?: number;
  /** The base program's f.js (default '1'). */
  base?: string;
}

const dirs: string[] = [];
/** A fresh problem folder, removed by cleanup(). */
export function tempProblem(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-engine-'));
  dirs.push(dir);
  return dir;
}
export function cleanup(): void {
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
}

export function setup(input: Partial<ConfigInput>, opts: HarnessOptions = {}) {
  return build(tempProblem(), input, opts);
}

/** The engine on `dir` (a second build on the same folder resumes its run). */
export function build(dir: string, input: Partial<ConfigInput>, opts: HarnessOptions = {}) {
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
    store.createRun({
      id: 'r1',
      problemDir: dir,
      repoRoot: dir,
      baseCommit: BASE,
      configJson: JSON.stringify(config),
      configHash: 'h',
      status: 'running',
      ownerPid: null,
    });
  const base: FileSet = { 'f.js': opts.base ?? '1', 'verify.sh': 'exit 0' };
  // Commits are named by their content and parent, so two runs of the same search get the same shas.
  const workspace = {
    baseCommit: BASE,
    problemDir: dir,
    baseFiles: () => Object.keys(base),
    readBase: async (p: string) => base[p],
    symlinkOnPath: () => undefined,
    commit: (files: FileSet, parent: string) => seedFrom(JSON.stringify(files), parent).toString(16).padStart(40, '0'),
    setRef: () => undefined,
  };
  const backend = opts.backend ?? new NumberBackend();
  backend.store = store;
  backend.base = base['f.js'];
  const abandon = new AbortController();
  const events: EvolutionEvent[] = [];
  const emit = (e: EvolutionEvent) => events.push(e);
  const deps: PopulationDeps = { config, store, run, workspace, backend, emit, signal: abandon.signal };
  const strategy = strategies[config.search.strategy](deps);
  const population = opts.population?.(strategy, deps) ?? strategy;
  const operator = opts.operator ?? counter();
  const rules = { edit: config.edit, protect: config.protect, alwaysProtected: [] };
  const evolution = new Evolution({
    config,
    rules,
    store,
    run,
    workspace,
    operators: { pick: opts.pick ?? (() => operator), readsHistory: (name) => name === operator.name && operator.readsHistory === true },
    population,
    admit: admission({ store, run, workspace, rules, protectedPaths: backend.protectedPaths }),
    emit,
    abandon,
    maxCandidates: opts.maxCandidates,
  });
  const candidates = () => store.listCandidates('r1').filter((c) => c.operator !== 'baseline');
  return { dir, store, evolution, events, backend, candidates, population, config };
}

/** A seeded noise source for NumberBackend: Gaussian-ish with this spread, fixed per (candidate, repeat). */
export function seededNoise(spread: number): NonNullable<NumberBackendOptions['noise']> {
  return (_y, repeat, candidateId) => {
    const r = seededRandom(seedFrom('noise', candidateId, repeat));
    return spread * (r() + r() + r() - 1.5);
  };
}
