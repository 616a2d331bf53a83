import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import type { FileSet } from '../../core/types.js';
import { NothingNew, type OperatorContext, type OperatorOutcome } from '../operator.js';
import type { Domain } from './domain.js';
import { findLiterals, type Literal } from './literals.js';
import { drive, knobProgram, type Knob } from '../../../test/support/literal-problem.js';
import { DRAWS, moveBy, nextStep, NOISY_MIN_STEP, stepOf, tune } from './tune.js';

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
  it('changes one literal of the editable region and nothing else', async () => {
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
      expect(changed).toBe(1);
      // Everything outside the literals is as it was: comments, strings, code around the block.
      expect(await skeleton(next)).toBe(await skeleton(PROGRAM));
      expect(next).toContain('42 in this comment stays');
      expect(next).toContain('"model v3.5"');
      expect(result.description).toMatch(/^tune \(step -?[\d.e-]+\): knobs\.js:\d+ /);
    }
  });

  it('keeps integers integral and respects hinted and inferred ranges', async () => {
    const random = seededRandom(7);
    for (let i = 0; i < 300; i++) {
      const result = await tune.propose(ctx(random));
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
    }
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
  it('never proposes a change that is taken: it tries the next step or literal, then random steps, and says how many draws it took', async () => {
    const src = 'const a = 3; // evoloop: 1..5\nconst b = 2; // evoloop: 1..4\n';
    const seen = new Set<string>();
    const random = seededRandom(12);
    let retried = 0;
    // As the engine does: a proposal that finds nothing new is retried with a fresh seed, ten times in a row at most.
    for (let streak = 0; streak < 10;) {
      const result = await tune.propose(ctx(random, { files: { 'k.js': src }, taken: (c) => seen.has(c['k.js']) })).catch((e) => e);
      if (result instanceof NothingNew) {
        streak++;
        continue;
      }
      streak = 0;
      if (!('changes' in result)) throw new Error(JSON.stringify(result));
      expect(seen.has(result.changes['k.js'])).toBe(false);
      seen.add(result.changes['k.js']);
      if (/, \d+ draws\)/.test(result.description)) retried++;
    }
    // One literal per child: a ∈ {1, 2, 4, 5} or b ∈ {1, 3, 4}, every one once.
    expect(seen.size).toBe(7);
    expect(retried).toBeGreaterThan(0);
  });

  it('throws NothingNew, naming the draws, when every change is taken', async () => {
    const attempt = tune.propose(ctx(seededRandom(2), { taken: () => true }));
    await expect(attempt).rejects.toBeInstanceOf(NothingNew);
    await expect(attempt).rejects.toThrow(`nothing new in ${DRAWS} draws`);
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

describe("each literal's own step: Rosenbrock's rule, replayed from history", () => {
  it('triples the step after a success, halves and reverses it after a failure, within the range', () => {
    expect(nextStep({ step: 0.1, improved: true })).toBeCloseTo(0.3, 12);
    expect(nextStep({ step: 0.1, improved: false })).toBeCloseTo(-0.05, 12);
    expect(nextStep({ step: -0.4, improved: true })).toBe(-1);
  });

  const one = 'const rate = 0.25; // evoloop: 0..1\nconst width = 0.5; // evoloop: 0..1\n';
  const withValues = (rate: string, width: string) => one.replace('0.25', rate).replace('0.5;', `${width};`);
  const outcome = (id: number, parent: string, child: string, improved: boolean): OperatorOutcome => ({
    candidateId: id,
    status: improved ? 'accepted' : 'rejected',
    improved,
    fitness: 0,
    files: () => ({ 'k.js': child }),
    parentFiles: () => (parent === one ? {} : { 'k.js': parent }),
  });

  it('moves each literal by the step its own last trial gives: rate after its success, width after its failure', async () => {
    // rate 0.25 → 0.35 succeeded (+0.1); then width 0.5 → 0.7 failed (+0.2) on that parent.
    const parent = withValues('0.35', '0.5');
    const history = [outcome(1, one, parent, true), outcome(2, parent, withValues('0.35', '0.7'), false)];
    const moves = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      // The pattern move that is due after the sweep (rate 0.35 → 0.45) was tried already.
      const taken = (c: FileSet) => c['k.js'].includes('0.45');
      const result = await tune.propose({ ...ctx(seededRandom(seed), { files: { 'k.js': parent }, history, taken }), readBase: async () => one });
      if (!('changes' in result)) throw new Error(JSON.stringify(result));
      moves.add(result.description.replace(/, \d+ draws/, ''));
    }
    // Both were tried once in this sweep (two literals), so a new sweep starts: either may come first.
    expect([...moves].sort()).toEqual(['tune (step -0.10): k.js:2 0.5 → 0.4', 'tune (step 0.30): k.js:1 0.35 → 0.65']);
  });

  it('after a sweep, moves every literal again by what the sweep moved it (the pattern move), twice as far after a successful one', async () => {
    // rate 0.25 → 0.35 and width 0.5 → 0.7 both succeeded.
    const half = withValues('0.35', '0.5');
    const parent = withValues('0.35', '0.7');
    const history = [outcome(1, one, half, true), outcome(2, half, parent, true)];
    const first = await tune.propose({ ...ctx(seededRandom(1), { files: { 'k.js': parent }, history }), readBase: async () => one });
    expect(first).toMatchObject({ description: 'tune (pattern move): k.js:1 0.35 → 0.45; k.js:2 0.7 → 0.9' });
    // It succeeded; the next sweep (width 0.9 → 0.8 succeeded, rate 0.45 → 0.75 failed) is measured from before the pattern.
    const afterPattern = withValues('0.45', '0.9');
    const next = withValues('0.45', '0.8');
    const longer = [
      ...history,
      outcome(3, parent, afterPattern, true),
      outcome(4, afterPattern, next, true),
      outcome(5, next, withValues('0.75', '0.8'), false),
    ];
    const second = await tune.propose({ ...ctx(seededRandom(1), { files: { 'k.js': next }, history: longer }), readBase: async () => one });
    // What the sweep moved from there (+0.1, +0.1), doubled since the last pattern move succeeded.
    expect(second).toMatchObject({ description: 'tune (pattern move): k.js:1 0.45 → 0.65; k.js:2 0.8 → 1.0' });
    // It failed; the next sweep (rate 0.45 → 0.6 succeeded, width 0.8 → 0.7 failed) is measured from its parent, and not doubled.
    const after = withValues('0.6', '0.8');
    const third = await tune.propose({
      ...ctx(seededRandom(1), {
        files: { 'k.js': after },
        history: [
          ...longer,
          outcome(6, next, withValues('0.65', '1.0'), false),
          outcome(7, next, after, true),
          outcome(8, after, withValues('0.6', '0.7'), false),
        ],
      }),
      readBase: async () => one,
    });
    expect(third).toMatchObject({ description: 'tune (pattern move): k.js:1 0.6 → 0.75' });
  });

  it("folds a history that grows between proposals (the engine's live list) to the moves a fresh one gives", async () => {
    const half = withValues('0.35', '0.5');
    const parent = withValues('0.35', '0.7');
    const afterPattern = withValues('0.45', '0.9');
    const next = withValues('0.45', '0.8');
    const live: OperatorOutcome[] = [outcome(1, one, half, true), outcome(2, half, parent, true)];
    const propose = (files: string, history: OperatorOutcome[]) =>
      tune.propose({ ...ctx(seededRandom(1), { files: { 'k.js': files }, history }), readBase: async () => one });
    const seen: unknown[] = [await propose(parent, live)];
    live.push(outcome(3, parent, afterPattern, true));
    seen.push(await propose(afterPattern, live));
    live.push(outcome(4, afterPattern, next, true), outcome(5, next, withValues('0.75', '0.8'), false));
    seen.push(await propose(next, live));
    const fresh = [await propose(parent, live.slice(0, 2)), await propose(afterPattern, live.slice(0, 3)), await propose(next, [...live])];
    expect(seen).toEqual(fresh);
    expect(seen[0]).toMatchObject({ description: 'tune (pattern move): k.js:1 0.35 → 0.45; k.js:2 0.7 → 0.9' });
    expect(seen[2]).toMatchObject({ description: 'tune (pattern move): k.js:1 0.45 → 0.65; k.js:2 0.8 → 1.0' });
  });

  it('keeps every step at NOISY_MIN_STEP or more when the verifier is noisy, where a run of failures would shrink it', async () => {
    // rate 0.25 → 0.35 succeeded; then width 0.5 → 0.54 failed (+0.04, so −0.02 next).
    const parent = withValues('0.35', '0.5');
    const history = [outcome(1, one, parent, true), outcome(2, parent, withValues('0.35', '0.54'), false)];
    const moves = async (noiseSd: number) => {
      const seen = new Set<string>();
      for (let seed = 0; seed < 20; seed++) {
        const taken = (c: FileSet) => c['k.js'].includes('0.45;') && !c['k.js'].includes('width = 0.45');
        const result = await tune.propose({ ...ctx(seededRandom(seed), { files: { 'k.js': parent }, history, taken }), readBase: async () => one, noiseSd });
        if (!('changes' in result)) throw new Error(JSON.stringify(result));
        seen.add(result.description.replace(/, \d+ draws/, ''));
      }
      return [...seen].sort();
    };
    expect(NOISY_MIN_STEP).toBe(0.05);
    expect(await moves(0)).toEqual(['tune (step -0.020): k.js:2 0.5 → 0.48', 'tune (step 0.30): k.js:1 0.35 → 0.65']);
    expect(await moves(0.5)).toEqual(['tune (step -0.050): k.js:2 0.5 → 0.45', 'tune (step 0.30): k.js:1 0.35 → 0.65']);
  });

  it('tries the literal not yet tried in this sweep first', async () => {
    const parent = withValues('0.35', '0.5');
    for (let seed = 0; seed < 10; seed++) {
      const result = await tune.propose({
        ...ctx(seededRandom(seed), { files: { 'k.js': parent }, history: [outcome(1, one, parent, true)] }),
        readBase: async () => one,
      });
      expect(result).toMatchObject({ description: expect.stringMatching(/^tune \(step -?[\d.e-]+(, \d+ draws)?\): k\.js:2 0\.5 → /) });
    }
  });

  it('a resumed run (new outcome objects from the store) proposes what the live one would', async () => {
    const knobs: Knob[] = Array.from({ length: 4 }, () => ({ value: '3.0', hint: '-5..5' }));
    const sphere = (x: number[]) => x.reduce((a, v) => a + (v - 1) ** 2, 0);
    const r = await drive(tune, knobs, sphere, { evaluations: 37, seed: 5 });
    const parent = r.champion.reduce((text, v, i) => text.replace(new RegExp(`^x${i} = \\S+`, 'm'), `x${i} = ${v}`), knobProgram(knobs));
    const next = (history: OperatorOutcome[]) =>
      tune.propose({ ...ctx(seededRandom(99), { files: { 'knobs.py': parent }, history }), readBase: async () => knobProgram(knobs) });
    const resumed = r.history.map((o) => ({ ...o, files: o.files, parentFiles: o.parentFiles }));
    const live = await next(r.history);
    expect(await next(resumed)).toEqual(live);
    expect(live).toMatchObject({ description: expect.stringMatching(/^tune \(step /) });
  });

  it('converges on a 6-D sphere (optimum off-centre) within 300 evaluations, where one global step did not (1.8e-4 in bench/tune)', async () => {
    const knobs: Knob[] = Array.from({ length: 6 }, () => ({ value: '3.0', hint: '-5..5' }));
    const sphere = (x: number[]) => x.reduce((a, v) => a + (v - 1) ** 2, 0);
    for (const seed of [1, 2, 3]) {
      const r = await drive(tune, knobs, sphere, { evaluations: 300, seed });
      expect(r.bestTrue).toBeLessThan(1e-6);
    }
  });
});

describe('moveBy', () => {
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
    expect(moveBy(lit(0.5, false, undefined, false), -3)).toBe(1);
    // A signed position may go negative.
    expect(moveBy(lit(0.5, false), -3)).toBe(-1);
  });

  it('always moves an integer by at least one', () => {
    expect(moveBy(lit(5, true), 0.002)).toBe(6);
    expect(moveBy(lit(5, true), -0.002)).toBe(4);
    expect(moveBy(lit(5, true, range(1, 100, { integer: true })), 0.002)).toBe(6);
    expect(moveBy(lit(5, true, range(1, 100, { integer: true })), -0.002)).toBe(4);
  });

  it('scales the step to the range, and clamps to it', () => {
    expect(moveBy(lit(50, false, range(0, 100)), 0.1)).toBe(60);
    expect(moveBy(lit(50, false, range(0, 100)), 0.8)).toBe(100);
    expect(moveBy(lit(50, false, range(0, 100)), -0.8)).toBe(0);
    expect(moveBy(lit(12, true, range(4, 16, { integer: true })), 1)).toBe(16);
  });

  it('moves by ratios on a log scale and along the grid with a step', () => {
    // A quarter of four decades: a factor of 10.
    expect(moveBy(lit(1e-3, false, range(1e-5, 1e-1, { log: true })), 0.25)).toBeCloseTo(1e-2, 12);
    expect(moveBy(lit(1e-3, false, range(1e-5, 1e-1, { log: true })), -0.25)).toBeCloseTo(1e-4, 12);
    expect(moveBy(lit(0.5, false, range(0, 1, { step: 0.25 })), 0.3)).toBe(0.75);
    // Too small to reach the next grid value: one grid step.
    expect(moveBy(lit(0.5, false, range(0, 1, { step: 0.25 })), -0.05)).toBe(0.25);
  });

  it('gives up (undefined) when a bounded literal cannot move', () => {
    expect(moveBy(lit(1, false, range(0, 1)), 0.5)).toBeUndefined();
  });

  it('stepOf is its inverse, the step a trial took as tune replays it', () => {
    const l = lit(0.3, false, range(0, 2));
    expect(stepOf(l, 0.3, moveBy(l, 0.1)!)).toBeCloseTo(0.1, 12);
    const r = lit(4, false);
    expect(stepOf(r, 4, moveBy(r, -0.25)!)).toBeCloseTo(-0.25, 12);
  });
});
