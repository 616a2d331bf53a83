import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import type { OperatorContext, OperatorOutcome } from '../operator.js';
import { findLiterals } from './literals.js';
import { perturb, stepSize, tune } from './tune.js';

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

function ctx(random: () => number, history: OperatorOutcome[] = [], files: Record<string, string> = { 'knobs.js': PROGRAM }): OperatorContext {
  const never = new AbortController().signal;
  return {
    runId: 'r',
    parents: [{ id: 1, score: 0, metrics: null, files: {} }],
    readFile: async (p) => files[p],
    editableFiles: Object.keys(files),
    history,
    random,
    signal: never,
    stopping: never,
  };
}

const outcomes = (pattern: string): OperatorOutcome[] =>
  [...pattern].map((ch, i) => ({ candidateId: i, status: ch === 'S' ? 'accepted' : 'rejected', improved: ch === 'S' }));

/** Literal values of the block, by line order: [rate, width, passes, offset]. */
const knobs = (src: string) => findLiterals(src).map((l) => l.value);

describe('tune.propose', () => {
  it('changes one to three literals of the editable region and nothing else', async () => {
    const random = seededRandom(1);
    for (let i = 0; i < 300; i++) {
      const result = await tune.propose(ctx(random));
      if (!('changes' in result)) throw new Error(`no proposal: ${JSON.stringify(result)}`);
      const next = result.changes['knobs.js'];
      const changed = knobs(next).filter((v, j) => v !== knobs(PROGRAM)[j]).length;
      expect(changed).toBeGreaterThanOrEqual(1);
      expect(changed).toBeLessThanOrEqual(3);
      // Everything outside the literals is as it was: comments, strings, code around the block.
      const skeleton = (s: string) => {
        let out = s;
        for (const l of findLiterals(s).reverse()) out = out.slice(0, l.start) + '#' + out.slice(l.end);
        return out.replace(/\(#\)/g, '#');
      };
      expect(skeleton(next)).toBe(skeleton(PROGRAM));
      expect(next).toContain('42 in this comment stays');
      expect(next).toContain('"model v3.5"');
      expect(result.description).toMatch(/^tune \(σ=0\.20\): knobs\.js:\d+ /);
    }
  });

  it('keeps integers integral and respects min..max hints', async () => {
    const random = seededRandom(7);
    const seen = { rate: new Set<number>(), width: new Set<number>(), passes: new Set<number>() };
    for (let i = 0; i < 500; i++) {
      const result = await tune.propose(ctx(random, outcomes('SSSS'))); // a large step, to hit the bounds
      if (!('changes' in result)) continue;
      const [rate, width, passes, offset] = knobs(result.changes['knobs.js']);
      expect(rate).toBeGreaterThanOrEqual(0);
      expect(rate).toBeLessThanOrEqual(1);
      expect(Number.isInteger(width)).toBe(true);
      expect(width).toBeGreaterThanOrEqual(4);
      expect(width).toBeLessThanOrEqual(16);
      expect(Number.isInteger(passes)).toBe(true);
      expect(Number.isFinite(offset)).toBe(true);
      seen.rate.add(rate);
      seen.width.add(width);
      seen.passes.add(passes);
    }
    // It really explores, and reaches the edges of the hinted ranges.
    expect(seen.width.has(4) && seen.width.has(16)).toBe(true);
    expect(seen.rate.has(0) || seen.rate.has(1)).toBe(true);
    expect(seen.passes.size).toBeGreaterThan(3);
  });

  it('writes a valid program: the result parses and evaluates', async () => {
    const random = seededRandom(3);
    for (let i = 0; i < 100; i++) {
      const result = await tune.propose(ctx(random, outcomes('SSS')));
      if (!('changes' in result)) continue;
      const body = result.changes['knobs.js'].replace(/^export .*$/m, 'return { rate, width, passes, offset };');
      const values = new Function(body)() as Record<string, number>;
      expect(Object.values(values).every(Number.isFinite)).toBe(true);
    }
  });

  it('is reproducible from its random source', async () => {
    const a = await tune.propose(ctx(seededRandom(99)));
    const b = await tune.propose(ctx(seededRandom(99)));
    expect(a).toEqual(b);
  });

  it('says what to do when there is no literal to tune', async () => {
    const result = await tune.propose(ctx(seededRandom(1), [], { 'a.js': '// EVOLVE-BLOCK-START\nconst s = "3";\n// EVOLVE-BLOCK-END\n' }));
    expect(result).toMatchObject({ operator: 'tune', error: expect.stringMatching(/no numeric literals .*a\.js.*Fix: put the tunable numbers inside EVOLVE-BLOCK/) });
  });

  it('reports unbalanced EVOLVE-BLOCK markers as an error, not a crash', async () => {
    const result = await tune.propose(ctx(seededRandom(1), [], { 'a.js': '// EVOLVE-BLOCK-START\nconst x = 1;\n' }));
    expect(result).toMatchObject({ operator: 'tune', error: expect.stringMatching(/^a\.js: /) });
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
    const result = await tune.propose(ctx(seededRandom(5), outcomes('FFFF')));
    expect(result).toMatchObject({ description: expect.stringMatching(/^tune \(σ=0\.13\)/) });
  });
});

describe('perturb', () => {
  const lit = (value: number, integer: boolean, range?: [number, number], signed = true) => ({ start: 0, end: 1, value, integer, signed, range, line: 1 });

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
  });

  it('scales the step to the hinted range, and clamps to it', () => {
    const random = seededRandom(2);
    const steps: number[] = [];
    for (let i = 0; i < 500; i++) {
      const v = perturb(lit(50, false, [0, 100]), 0.1, random);
      if (v === undefined) continue;
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
      steps.push(Math.abs(v - 50));
    }
    const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
    expect(mean).toBeGreaterThan(5); // E|N(0, 10)| ≈ 8
    expect(mean).toBeLessThan(11);
  });

  it('gives up (undefined) when a bounded literal cannot move', () => {
    const random = () => 0.999999; // a large positive step
    expect(perturb(lit(1, false, [0, 1]), 0.5, random)).toBeUndefined();
  });
});
