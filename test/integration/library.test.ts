// The library: `runEvolution({ problemDir, config: defineConfig({...}), onEvent })` with a
// score stage that is an async function, observed through events and stopped with stop().
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, defineConfig, runEvolution, UsageError, type ConfigInput, type EvolutionEvent, type Metrics } from '../../src/index.js';
import { openStore } from '../../src/store/store.js';
import { createProblem, PROJECT_ROOT, type Problem } from '../support/problem.js';

let p: Problem | undefined;
afterEach(() => p?.cleanup());

/** Evaluates the EVOLVE-BLOCK of program.mjs in `cwd` (the candidate's worktree). */
function paramsIn(cwd: string): { a: number; b: number; n: number } {
  const text = readFileSync(path.join(cwd, 'program.mjs'), 'utf8');
  const block = text.slice(text.indexOf('EVOLVE-BLOCK-START'), text.indexOf('// EVOLVE-BLOCK-END')).split('\n').slice(1).join('\n');
  return new Function(`${block}\nreturn { a, b, n };`)();
}

function config(score: (ctx: { cwd: string; seed: number; candidate: string; signal: AbortSignal }) => Promise<Metrics>, budget?: number): ConfigInput {
  return defineConfig({
    edit: ['program.mjs'],
    verifier: { stages: [{ name: 'score', kind: 'score', fn: score, timeout: '10s' }] },
    objective: { metric: 'score', goal: 'maximize' },
    budget: budget === undefined ? {} : { candidates: budget },
    accept: { rule: 'better', baseline_repeats: 1 },
    sandbox: 'off',
  });
}

const quadratic = async ({ cwd }: { cwd: string }) => {
  const { a, b, n } = paramsIn(cwd);
  return { score: 100 - (a - 4) ** 2 - (b - 1) ** 2 - (n - 8) ** 2 };
};

const offline = { llm: { env: {} } }; // no API keys: always the offline operator

describe('runEvolution', () => {
  it('improves the problem with an async score function and reports every step as events', async () => {
    p = createProblem({ config: { operators: undefined } }); // the default offline choice
    const events: EvolutionEvent[] = [];
    const seeds: number[] = [];
    const handle = runEvolution({
      problemDir: p.dir,
      config: config(async (ctx) => {
        seeds.push(ctx.seed);
        return quadratic(ctx);
      }, 12),
      onEvent: (e) => events.push(e),
      ...offline,
    });
    const summary = await handle.done;
    expect(summary.status).toBe('finished');
    expect(summary.candidates).toBe(12);
    expect(summary.best!).toBeGreaterThan(summary.baseline!);
    expect(summary.baseline).toBe(59.75); // a=1.5, b=-2, n=3
    expect(seeds.every((s) => Number.isInteger(s))).toBe(true);

    const types = events.map((e) => e.type);
    // Notices (e.g. about the sandbox) may come first; then the run starts, and run-stop ends it.
    expect(types.filter((t) => t !== 'notice')[0]).toBe('run-start');
    expect(types.at(-1)).toBe('run-stop');
    expect(types.indexOf('baseline')).toBeGreaterThan(types.indexOf('run-start'));
    expect(types).toContain('champion');
    const start = events.find((e) => e.type === 'run-start') as Extract<EvolutionEvent, { type: 'run-start' }>;
    // Three bounded literals and 12 candidates: the default offline operator is bayes.
    expect(start).toMatchObject({ resumed: false, operators: ['bayes'] });
    expect(start.notice).toMatch(/No model configured: using an offline optimizer[^\n]*\nOffline operator: bayes \(3 literals with a range/);
    const decided = events.filter((e): e is Extract<EvolutionEvent, { type: 'decided' }> => e.type === 'decided');
    expect(decided).toHaveLength(12);
    const champions = events.filter((e): e is Extract<EvolutionEvent, { type: 'champion' }> => e.type === 'champion');
    expect(champions.at(-1)!.score).toBe(summary.best);
    for (const c of champions) expect(c.gain).toBeGreaterThan(0);
    // A proposal is announced before its decision.
    for (const d of decided.filter((d) => d.status === 'accepted' || d.status === 'rejected')) {
      expect(types.indexOf('proposed')).toBeLessThan(events.indexOf(d));
      expect(events.some((e) => e.type === 'proposed' && e.candidateId === d.candidateId)).toBe(true);
    }
    // The store keeps the same events, for a dashboard opened later.
    const store = openStore(p.dir);
    try {
      const stored = store.events(summary.run).map((e) => e.type);
      expect(stored).toEqual(types.filter((t) => t !== 'measured'));
    } finally {
      store.close();
    }
  });

  it('stop() ends the run after the candidates in flight; a later call resumes it', async () => {
    p = createProblem();
    const cfg = config(quadratic); // no budget: runs until stopped
    let decided = 0;
    const handle = runEvolution({
      problemDir: p.dir,
      config: cfg,
      onEvent: (e) => {
        if (e.type === 'decided' && ++decided === 3) handle.stop();
      },
      ...offline,
    });
    const summary = await handle.done;
    expect(summary.status).toBe('interrupted');
    expect(summary.candidates).toBe(3);

    const events: EvolutionEvent[] = [];
    const again = runEvolution({ problemDir: p.dir, config: cfg, maxCandidates: 6, onEvent: (e) => events.push(e), ...offline });
    const resumed = await again.done;
    expect(events.find((e) => e.type === 'run-start')).toMatchObject({ resumed: true, runId: summary.run });
    expect(resumed).toMatchObject({ run: summary.run, status: 'finished', candidates: 6 });
  });

  it('stop({ abandon: true }) aborts a running stage function; the candidate stays pending for resume', async () => {
    p = createProblem();
    let calls = 0;
    let aborted = 0;
    const slow = async (ctx: { cwd: string; signal: AbortSignal }) => {
      if (++calls === 1) return quadratic(ctx); // the baseline
      return new Promise<Metrics>((_, reject) =>
        ctx.signal.addEventListener('abort', () => {
          aborted++;
          reject(new Error('aborted'));
        }),
      );
    };
    const handle = runEvolution({
      problemDir: p.dir,
      config: config(slow, 5),
      onEvent: (e) => {
        if (e.type === 'proposed') setTimeout(() => handle.stop({ abandon: true }), 50);
      },
      ...offline,
    });
    const summary = await handle.done;
    expect(summary.status).toBe('interrupted');
    expect(aborted).toBe(1);
    const store = openStore(p.dir);
    try {
      const pending = store.listCandidates(summary.run, { status: ['pending'] });
      expect(pending).toHaveLength(1);
      expect(store.measurements(pending[0].id)).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('a stage function that throws fails the candidate with the error as the reason', async () => {
    p = createProblem();
    let calls = 0;
    const handle = runEvolution({
      problemDir: p.dir,
      config: config(async (ctx) => {
        if (++calls > 1) throw new Error('simulator diverged at step 12');
        return quadratic(ctx);
      }, 2),
      ...offline,
    });
    const summary = await handle.done;
    expect(summary.byStatus.failed).toBeGreaterThan(0);
    const store = openStore(p.dir);
    try {
      for (const c of store.listCandidates(summary.run, { status: ['failed'] })) {
        expect(c.reason).toMatch(/^crash in stage score: stage function threw: (Error: )?simulator diverged at step 12/);
      }
    } finally {
      store.close();
    }
  });

  it('rejects a bad config with a ConfigError naming the key, writing nothing', async () => {
    p = createProblem();
    const bad = { ...config(quadratic), objective: { metric: 'score', goal: 'upwards' } } as unknown as ConfigInput;
    const handle = runEvolution({ problemDir: p.dir, config: bad, ...offline });
    const err = await handle.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/objective\.goal/);
    expect(existsSync(path.join(p.dir, '.evoloop'))).toBe(false);
  });

  it('is published: dist/index.js exports runEvolution and defineConfig, with types', async () => {
    const dist = await import(path.join(PROJECT_ROOT, 'dist', 'index.js'));
    expect(typeof dist.runEvolution).toBe('function');
    expect(typeof dist.defineConfig).toBe('function');
    const types = readFileSync(path.join(PROJECT_ROOT, 'dist', 'index.d.ts'), 'utf8');
    expect(types).toMatch(/runEvolution/);
    expect(types).toMatch(/defineConfig/);
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['.']).toMatchObject({ types: './dist/index.d.ts', import: './dist/index.js' });
  });
});
