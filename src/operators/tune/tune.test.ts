import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import type { FileSet } from '../../core/types.js';
import { NothingNew, type OperatorContext, type OperatorOutcome } from '../operator.js';
import type { Domain } from './domain.js';
import { findLiterals, type Literal } from './literals.js';
import { DRAWS, perturb, stepSize, tune } from './tune.js';

const PROGRAM = `// Tuning knobs. 42 in this comment stays.
const label = "model v3.5"; // a string with numbers stays too
// EVOLVE-BLOCK-START
const rate = 0.25; // evoloop: 0..1
const width = 12; // evoloop: 4..16
const passes = 3;
const offset = -1.5;
// EVOLVE-BLOCK-END
export { rate, width, passes, offset, label };
`;

function ctx(
  random: () => number,
  opts: { history?: OperatorOutcome[]; files?: Record<string, string>; taken?: (changes: FileSet) => boolean } = {},
): OperatorContext {
  const never = new AbortController().signal;
  const files = opts.files ?? { 'knobs.js': PROGRAM };
  return {
    runId: 'r',
    parents: [{ id: 1, score: 0, metrics: null, files: {} }],
    inspirations: [],
    island: null,
    readFile: async (p) => files[p],
    readBase: async (p) => files[p],
    taken: async (changes) => opts.taken?.(changes) ?? false,
    editableFiles: Object.keys(files),
    history: opts.history ?? [],
    random,
    signal: never,
    stopping: never,
  };
}

const outcomes = (pattern: string): OperatorOutcome[] =>
  [...pattern].map((ch, i) => ({ candidateId: i, status: ch === 'S' ? 'accepted' : 'rejected', improved: ch === 'S' }));

/** Literal values of the block, by line order: [rate, width, passes, offset]. */
const knobs = async (src: string) => (await findLiterals('knobs.js', src)).movable.map((l) => l.value);

describe('tune.propose', () => {
  it('changes one to three literals of the editable region and nothing else', async () => {
    const random = seededRandom(1);
    const before = await knobs(PROGRAM);
    const skeleton = async (s: string) => {
      let out = s;
      for (const l of (await findLiterals('knobs.js', s)).movable.reverse()) out = out.slice(0, l.start) + '#' + out.slice(l.end);
      return out;
    };
    for (let i = 0; i < 300; i++) {
      const result = await tune.propose(ctx(random));
      if (!('changes' in result)) throw new Error(`no proposal: ${JSON.stringify(result)}`);
      const next = result.changes['knobs.js'];
      const changed = (await knobs(next)).filter((v, j) => v !== before[j]).length;
      expect(changed).toBeGreaterThanOrEqual(1);
      expect(changed).toBeLessThanOrEqual(3);
      // Everything outside the literals is as it was: comments, strings, code around the block.
      expect(await skeleton(next)).toBe(await skeleton(PROGRAM));
      expect(next).toContain('42 in this comment stays');
      expect(next).toContain('"model v3.5"');
      expect(result.description).toMatch(/^tune \(σ=0\.20\): knobs\.js:\d+ /);
    }
  });

  it('keeps integers integral and respects hinted and inferred ranges', async () => {
    const random = seededRandom(7);
    const seen = { rate: new Set<number>(), width: new Set<number>(), passes: new Set<number>() };
    for (let i = 0; i < 500; i++) {
      const result = await tune.propose(ctx(random, { history: outcomes('SSSS') })); // a large step, to hit the bounds
      if (!('changes' in result)) continue;
      const [rate, width, passes, offset] = await knobs(result.changes['knobs.js']);
      expect(rate).toBeGreaterThanOrEqual(0);
      expect(rate).toBeLessThanOrEqual(1);
      expect(Number.isInteger(width)).toBe(true);
      expect(width).toBeGreaterThanOrEqual(4);
      expect(width).toBeLessThanOrEqual(16);
      // Without a hint: 3 → 2..6 (integers), -1.5 → -3..-0.75 (sign kept).
      expect(Number.isInteger(passes)).toBe(true);
      expect(passes).toBeGreaterThanOrEqual(2);
      expect(passes).toBeLessThanOrEqual(6);
      expect(offset).toBeGreaterThanOrEqual(-3);
      expect(offset).toBeLessThanOrEqual(-0.75);
      seen.rate.add(rate);
      seen.width.add(width);
      seen.passes.add(passes);
    }
    // It really explores, and reaches the edges of the ranges.
    expect(seen.width.has(4) && seen.width.has(16)).toBe(true);
    expect(seen.rate.has(0) || seen.rate.has(1)).toBe(true);
    expect([...seen.passes].sort()).toEqual([2, 3, 4, 5, 6]);
  });

  it('writes a valid program: the result parses and evaluates', async () => {
    const random = seededRandom(3);
    for (let i = 0; i < 100; i++) {
      const result = await tune.propose(ctx(random, { history: outcomes('SSS') }));
      if (!('changes' in result)) continue;
      const body = result.changes['knobs.js'].replace(/^export .*$/m, 'return { rate, width, passes, offset };');
      const values = new Function(body)() as Record<string, number>;
      expect(Object.values(values).every(Number.isFinite)).toBe(true);
    }
  });

  it('moves only the constants of a hint-free Python program', async () => {
    const src =
      'def run(xs, iterations=1000, bounds=(-5, 5)):\n    x = xs[0] + xs[-1]\n    for i in range(len(xs) - 1):\n        x += 0.5 * xs[i]\n    return x\n';
    const random = seededRandom(4);
    const moved = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const result = await tune.propose(ctx(random, { files: { 'run.py': src } }));
      if (!('changes' in result)) throw new Error(JSON.stringify(result));
      for (const note of result.description.split(': ')[1].split('; ')) moved.add(note.split(' ')[1]);
    }
    expect([...moved].sort()).toEqual(['-5', '0.5', '1000', '5']);
  });

  it('is reproducible from its random source', async () => {
    const a = await tune.propose(ctx(seededRandom(99)));
    const b = await tune.propose(ctx(seededRandom(99)));
    expect(a).toEqual(b);
  });

  it('says what to do when there is no literal to tune', async () => {
    const result = await tune.propose(
      ctx(seededRandom(1), { files: { 'a.js': '// EVOLVE-BLOCK-START\nconst s = "3"; const i = a[0];\n// EVOLVE-BLOCK-END\n' } }),
    );
    expect(result).toMatchObject({
      operator: 'tune',
      error: expect.stringMatching(/no literal it may change in a\.js .*evoloop literals.*Fix: name the tunable numbers/),
    });
  });

  it('reports unbalanced EVOLVE-BLOCK markers and files that do not parse as errors naming the file, not a crash', async () => {
    const unbalanced = await tune.propose(ctx(seededRandom(1), { files: { 'a.js': '// EVOLVE-BLOCK-START\nconst x = 1;\n' } }));
    expect(unbalanced).toMatchObject({ operator: 'tune', error: expect.stringMatching(/^a\.js: EVOLVE-BLOCK-START/) });
    const broken = await tune.propose(ctx(seededRandom(1), { files: { 'b.py': 'rate = 0.3\nif x\n' } }));
    expect(broken).toMatchObject({ operator: 'tune', error: expect.stringMatching(/^b\.py:2 does not parse as Python .*Fix:/) });
  });
});

describe('no repeats', () => {
  it('never proposes a change that is taken: it draws again and says how many draws it took', async () => {
    const src = 'const a = 3; // evoloop: 1..5\nconst b = 2; // evoloop: 1..4\n';
    const seen = new Set<string>();
    const random = seededRandom(12);
    let redrawn = 0;
    // As the engine does: a proposal that finds nothing new is retried with a fresh seed, ten times in a row at most.
    for (let streak = 0; streak < 10;) {
      // A large step (after successes), so that every value is within reach of the parent.
      const result = await tune.propose(ctx(random, { history: outcomes('SSSS'), files: { 'k.js': src }, taken: (c) => seen.has(c['k.js']) })).catch((e) => e);
      if (result instanceof NothingNew) {
        streak++;
        continue;
      }
      streak = 0;
      if (!('changes' in result)) throw new Error(JSON.stringify(result));
      expect(seen.has(result.changes['k.js'])).toBe(false);
      seen.add(result.changes['k.js']);
      if (/, \d+ draws\)/.test(result.description)) redrawn++;
    }
    // 5 × 4 values of which one is the parent: every other one, once.
    expect(seen.size).toBe(19);
    expect(redrawn).toBeGreaterThan(0);
  });

  it('throws NothingNew, naming the draws, when every draw is taken', async () => {
    const attempt = tune.propose(ctx(seededRandom(2), { taken: () => true }));
    await expect(attempt).rejects.toBeInstanceOf(NothingNew);
    await expect(attempt).rejects.toThrow(`nothing new in ${DRAWS} draws (σ=0.20)`);
  });
});

describe('describe: the run-start table', () => {
  it('lists what moves with its range and where it comes from, and sums up what stays', async () => {
    const files = { 'knobs.js': PROGRAM, 'run.py': 'rate = 0.3\nx = a[0]\n', 'solve.rb': 'n = 3\n' };
    const text = await tune.describe!({ editableFiles: Object.keys(files), readBase: async (p) => files[p as keyof typeof files] });
    expect(text).toContain('tune moves 6 literals in knobs.js (JavaScript, TypeScript compiler), run.py (Python, tree-sitter).');
    expect(text).toMatch(/knobs\.js:4 +rate = 0\.25 +evoloop: 0\.\.1 +hint/);
    expect(text).toMatch(/knobs\.js:6 +passes = 3 +evoloop: 2\.\.6 int +inferred/);
    expect(text).toMatch(/run\.py:1 +rate = 0\.3 +evoloop: 0\.15\.\.0\.6 +inferred/);
    expect(text).toMatch(/solve\.rb:1 +3 +relative steps/);
    expect(text).toContain('solve.rb: no parser for its language');
    expect(text).toContain('Left alone: 1 (1 an index, slice bound or loop stride)');
  });

  it('names a file that does not parse', async () => {
    const text = await tune.describe!({ editableFiles: ['b.py'], readBase: async () => 'if x\n' });
    expect(text).toMatch(/!! b\.py:1 does not parse as Python/);
  });
});

describe('step size: the 1/5th success rule, replayed from history', () => {
  it('starts at 0.2, grows by 1.5 on a success, shrinks by 1.5^(-1/4) on a failure', () => {
    expect(stepSize([])).toBe(0.2);
    expect(stepSize(outcomes('S'))).toBeCloseTo(0.3, 12);
    expect(stepSize(outcomes('F'))).toBeCloseTo(0.2 * 1.5 ** -0.25, 12);
    expect(stepSize(outcomes('FFFF'))).toBeCloseTo(0.2 / 1.5, 12);
  });

  it('is stable at one success in five, grows above it, shrinks below it', () => {
    expect(stepSize(outcomes('SFFFF'.repeat(20)))).toBeCloseTo(0.2, 10);
    expect(stepSize(outcomes('SFFF'.repeat(5)))).toBeGreaterThan(0.2);
    expect(stepSize(outcomes('SFFFFFF'.repeat(5)))).toBeLessThan(0.2);
  });

  it('stays within its bounds', () => {
    expect(stepSize(outcomes('S'.repeat(100)))).toBe(1);
    expect(stepSize(outcomes('F'.repeat(1000)))).toBe(0.002);
    // After hitting a bound it recovers from there, not from a runaway value.
    expect(stepSize(outcomes(`${'F'.repeat(1000)}S`))).toBeCloseTo(0.003, 12);
  });

  it('the proposal uses the replayed step', async () => {
    const result = await tune.propose(ctx(seededRandom(5), { history: outcomes('FFFF') }));
    expect(result).toMatchObject({ description: expect.stringMatching(/^tune \(σ=0\.13\)/) });
  });
});

describe('perturb', () => {
  const lit = (value: number, integer: boolean, domain: Domain = { kind: 'relative' }, signed = true): Literal => ({
    start: 0,
    end: 1,
    text: String(value),
    value,
    integer,
    suffix: '',
    signed,
    line: 1,
    domain,
  });
  const range = (min: number, max: number, more: { log?: boolean; integer?: boolean; step?: number } = {}): Domain => ({
    kind: 'range',
    source: 'hint',
    min,
    max,
    log: false,
    integer: false,
    ...more,
  });

  it('keeps a literal non-negative where no sign can stand (e.g. `sleep 3`), reflecting steps below zero', () => {
    const random = seededRandom(3);
    for (let i = 0; i < 300; i++) expect(perturb(lit(0.5, false, undefined, false), 2, random) ?? 0).toBeGreaterThanOrEqual(0);
    // A signed position may go negative.
    const signedValues = Array.from({ length: 300 }, () => perturb(lit(0.5, false), 2, random) ?? 0);
    expect(signedValues.some((v) => v < 0)).toBe(true);
  });

  it('always moves an integer by at least one', () => {
    const random = seededRandom(11);
    for (let i = 0; i < 200; i++) {
      const v = perturb(lit(5, true), 0.002, random);
      expect(Number.isInteger(v)).toBe(true);
      expect(v).not.toBe(5);
    }
    for (let i = 0; i < 200; i++) expect(perturb(lit(5, true, range(1, 100, { integer: true })), 0.002, random)).toSatisfy((v: number) => v === 4 || v === 6);
  });

  it('scales the step to the range, and clamps to it', () => {
    const random = seededRandom(2);
    const steps: number[] = [];
    for (let i = 0; i < 500; i++) {
      const v = perturb(lit(50, false, range(0, 100)), 0.1, random);
      if (v === undefined) continue;
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
      steps.push(Math.abs(v - 50));
    }
    const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
    expect(mean).toBeGreaterThan(5); // E|N(0, 10)| ≈ 8
    expect(mean).toBeLessThan(11);
  });

  it('moves by ratios on a log scale and along the grid with a step', () => {
    const random = seededRandom(8);
    const ratios = Array.from({ length: 400 }, () => perturb(lit(1e-3, false, range(1e-5, 1e-1, { log: true })), 0.1, random)! / 1e-3);
    // σ = 0.1 of four decades: a typical factor of 10^0.4 ≈ 2.5 either way, never out of range.
    expect(ratios.filter((r) => r > 1).length).toBeGreaterThan(150);
    expect(ratios.filter((r) => r < 1).length).toBeGreaterThan(150);
    expect(Math.max(...ratios)).toBeLessThanOrEqual(100);
    expect(Math.min(...ratios)).toBeGreaterThanOrEqual(0.01);
    for (let i = 0; i < 200; i++) {
      const v = perturb(lit(0.5, false, range(0, 1, { step: 0.25 })), 0.3, random);
      expect([undefined, 0, 0.25, 0.75, 1]).toContain(v);
    }
  });

  it('gives up (undefined) when a bounded literal cannot move', () => {
    const random = () => 0.999999; // a large positive step
    expect(perturb(lit(1, false, range(0, 1)), 0.5, random)).toBeUndefined();
  });
});
