// The offline path on real runs: tune never proposes a change the run already has,
// says so (and spends patience, not the candidate budget) when it finds nothing new,
// prints its literals at start, and improves a hint-free program without touching its
// indices. Real git, real SQLite, through the library (a function stage keeps 200
// candidates fast) and, for the hint-free program, a real Python verifier.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, runEvolution, type ConfigInput } from '../../src/index.js';
import type { EvolutionEvent } from '../../src/engine/events.js';
import { openStore } from '../../src/store/store.js';
import { createProblem, type Problem } from '../support/problem.js';

let problem: Problem | undefined;
afterEach(() => problem?.cleanup());

/** Integer knobs read from knobs.py by the function stage. */
function knobsIn(cwd: string): Record<string, number> {
  const text = readFileSync(path.join(cwd, 'knobs.py'), 'utf8');
  return Object.fromEntries([...text.matchAll(/^(\w+) = (-?[\d.]+)/gm)].map((m) => [m[1], Number(m[2])]));
}

type Score = (knobs: Record<string, number>) => number;
/** Best at a = 6. */
const peak: Score = ({ a }) => 100 - (a - 6) ** 2;

function config(budget: Record<string, number>, score: Score): ConfigInput {
  return defineConfig({
    edit: ['knobs.py'],
    verifier: { stages: [{ name: 'score', kind: 'score', timeout: '10s', fn: async ({ cwd }) => ({ score: score(knobsIn(cwd)) }) }] },
    objective: { metric: 'score', goal: 'maximize' },
    budget,
    operators: { tune: 1 },
    accept: { rule: 'better', baseline_repeats: 1 },
    sandbox: 'off',
  });
}

async function run(knobs: string, budget: Record<string, number>, score: Score = peak) {
  problem = createProblem({ files: { 'knobs.py': knobs } });
  const events: EvolutionEvent[] = [];
  const summary = await runEvolution({ problemDir: problem.dir, config: config(budget, score), onEvent: (e) => events.push(e) }).done;
  const store = openStore(problem.dir);
  const candidates = store.listCandidates(summary.run).filter((c) => c.operator !== 'baseline');
  const stored = store
    .events(summary.run)
    .filter((e) => e.type === 'notice')
    .map((e) => String(e.data.message));
  store.close();
  return { summary, events, candidates, stored };
}

describe('no repeats', () => {
  it('never proposes a change an earlier candidate had, over 200 candidates on a small space', async () => {
    // 8 × 8 × 8 = 512 programs. Every measurement beats the last, so every child is kept and
    // tune's step grows to the whole range: 200 draws from 512 would repeat some 35 times.
    let calls = 0;
    const knobs = 'a = 3  # evoloop: 1..8\nb = 5  # evoloop: 1..8\nc = 4  # evoloop: 1..8\n';
    const { summary, candidates } = await run(knobs, { candidates: 200 }, () => ++calls);
    expect(summary.candidates).toBe(200);
    expect(summary.byStatus.duplicate ?? 0).toBe(0);
    const hashes = candidates.map((c) => c.changeHash);
    expect(new Set(hashes).size).toBe(200);
    expect(candidates.every((c) => c.status === 'accepted')).toBe(true);
    // Some proposals took more than one draw, and said so.
    expect(candidates.some((c) => /, \d+ draws\)/.test(c.description))).toBe(true);
  }, 240_000);

  it('says when it has nothing new, spends no candidate on it, and stops as stuck after ten in a row', async () => {
    // One literal with four values: three children are all there is.
    const { summary, events } = await run('a = 2  # evoloop: 1..4\n', { candidates: 50 });
    expect(summary.candidates).toBe(3);
    expect(summary.byStatus.duplicate ?? 0).toBe(0);
    expect(summary.stopReason).toMatch(/^stuck: tune found nothing new 10 times in a row: nothing new in 50 draws/);
    // The run's seed is random, so a draw may miss the last new value once before finding it;
    // what is fixed is the streak: after the last child, exactly ten proposals with nothing new.
    const lastChild = events.findLastIndex((e) => e.type === 'proposed');
    const after = events
      .slice(lastChild + 1)
      .filter((e) => e.type === 'notice')
      .map((e) => e.message);
    expect(
      after.filter((m) => /^tune: nothing new in 50 draws .*no candidate recorded; counts against patience, not the candidate budget/.test(m)),
    ).toHaveLength(10);
  }, 120_000);

  it('counts nothing new against patience', async () => {
    const { summary, stored } = await run('a = 6  # evoloop: 5..7\n', { candidates: 50, patience: 5 });
    // Two children (a = 5, a = 7), both worse, then three proposals with nothing new.
    expect(summary.candidates).toBe(2);
    expect(stored.filter((m) => m.startsWith('tune: nothing new'))).toHaveLength(3);
    expect(summary.stopReason).toBe('patience: 5 candidates without improvement');
  }, 120_000);
});

describe('the run-start line', () => {
  it('shows the table of literals tune moves, with their ranges, once', async () => {
    const { events } = await run('a = 3  # evoloop: 1..8\nb = 0.25\nx = [a, b][0]\n', { candidates: 1 });
    const start = events.find((e) => e.type === 'run-start') as Extract<EvolutionEvent, { type: 'run-start' }>;
    expect(start.notice).toMatch(/tune moves 2 literals in knobs\.py \(Python, tree-sitter\)/);
    expect(start.notice).toMatch(/knobs\.py:1 +a = 3 +evoloop: 1\.\.8 int +hint/);
    expect(start.notice).toMatch(/knobs\.py:2 +b = 0\.25 +evoloop: 0\.125\.\.0\.5 +inferred/);
    expect(start.notice).toMatch(/Left alone: 1 \(1 an index, slice bound or loop stride\)/);
  }, 60_000);
});

// A random search like OpenEvolve's function_minimization example: hint-free, with
// subscript indices a tuner must not touch (bounds[0], bounds[1]) beside real settings.
const SEARCH = `import math
import random


def search(iterations=60, bounds=(-5, 5), step=0.3):
    rng = random.Random(7)
    best_x = rng.uniform(bounds[0], bounds[1])
    best_y = rng.uniform(bounds[0], bounds[1])
    best = value(best_x, best_y)
    for _ in range(iterations):
        x = best_x + rng.gauss(0, step) * (bounds[1] - bounds[0])
        y = best_y + rng.gauss(0, step) * (bounds[1] - bounds[0])
        v = value(x, y)
        if v < best:
            best_x, best_y, best = x, y, v
    return best


def value(x, y):
    return math.sin(x) * math.cos(y) + math.sin(x * y) + (x ** 2 + y ** 2) / 20


if __name__ == "__main__":
    print(f'{{"score": {-search():.6f}}}')
`;

describe('a hint-free Python program', () => {
  it('improves through the CLI, never moving an index', async () => {
    problem = createProblem({
      files: { 'search.py': SEARCH },
      config: {
        edit: ['search.py'],
        verifier: { stages: [{ name: 'score', kind: 'score', run: 'python3 search.py', timeout: '30s' }] },
        budget: { candidates: 30 },
        operators: { tune: 1 },
      },
    });
    const result = await problem.cli('run', '{dir}', '--json');
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EvolutionEvent);
    const start = events.find((e) => e.type === 'run-start') as Extract<EvolutionEvent, { type: 'run-start' }>;
    // iterations, the two bounds, step and the 20 of value(); never the indices or the seed.
    expect(start.notice).toMatch(/tune moves 5 literals in search\.py/);
    const store = openStore(problem.dir);
    const run = store.latestRun()!;
    const candidates = store.listCandidates(run.id).filter((c) => c.operator !== 'baseline');
    const baseline = store.getCandidate(run.baselineId!)!.score!;
    const best = store.getCandidate(run.championId!)!.score!;
    store.close();
    expect(candidates.filter((c) => c.status === 'failed')).toEqual([]);
    expect(candidates.filter((c) => c.status === 'duplicate')).toEqual([]);
    for (const c of candidates) expect(c.patch).not.toMatch(/^\+.*bounds\[[^01]/m);
    expect(best).toBeGreaterThan(baseline);
  }, 240_000);
});
