import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { contextFor, drive, FILE, knobProgram, knobValues, type Knob } from '../../../test/support/literal-problem.js';
import { cmaes } from './cmaes.js';
import { initialState, mirror, sample, SEPARABLE_ABOVE, tell } from './strategy.js';

const sphere = (x: number[]) => x.reduce((a, v) => a + (v - 1) ** 2, 0);
const knobs = (n: number, hint = '-5..5', value = '3.0'): Knob[] => Array.from({ length: n }, () => ({ value, hint }));

describe('cmaes on test functions', () => {
  it('converges on a 6-D sphere (optimum off-centre) within 1000 evaluations', async () => {
    const start = sphere(knobValues(knobProgram(knobs(6))));
    const r = await drive(cmaes(), knobs(6), sphere, { evaluations: 1000, seed: 1 });
    expect(start).toBe(24);
    expect(r.bestTrue).toBeLessThan(1e-6);
    for (const v of r.champion) expect(v).toBeCloseTo(1, 2);
  });

  it('keeps every proposal inside its hinted bounds and integers integral, and still reaches a corner optimum', async () => {
    const mixed: Knob[] = [
      { value: '5', hint: '0..20 int' },
      { value: '2', hint: '1..9 int' },
      { value: '0.5', hint: '0..1' },
      { value: '0.01', hint: '0.001..1 log' },
    ];
    // Optimum: n at 13, k at the upper bound 9, p at the lower bound 0, lr at 0.1.
    const f = ([n, k, p, lr]: number[]) => (n - 13.2) ** 2 + (k - 12) ** 2 + p * p + Math.log10(lr / 0.1) ** 2;
    // Five seeds, since how close p gets to its bound in a given budget varies from seed to seed (0.01 at most here).
    for (let seed = 1; seed <= 5; seed++) {
      const r = await drive(cmaes(), mixed, f, { evaluations: 600, seed });
      for (const [n, k, p, lr] of r.proposals) {
        expect(Number.isInteger(n) && n >= 0 && n <= 20).toBe(true);
        expect(Number.isInteger(k) && k >= 1 && k <= 9).toBe(true);
        expect(p >= 0 && p <= 1).toBe(true);
        expect(lr >= 0.001 && lr <= 1).toBe(true);
      }
      expect(r.champion.slice(0, 2), `seed ${seed}`).toEqual([13, 9]);
      expect(r.champion[2], `seed ${seed}`).toBeLessThan(0.02);
      expect(r.champion[3], `seed ${seed}`).toBeCloseTo(0.1, 1);
    }
  });

  it('keeps integers moving (the margin): an integer-only plateau does not freeze the search', async () => {
    const ints = knobs(3, '0..50 int', '10');
    const f = (x: number[]) => x.reduce((a, v) => a + Math.abs(v - 37), 0);
    const r = await drive(cmaes(), ints, f, { evaluations: 300, seed: 2 });
    expect(r.champion).toEqual([37, 37, 37]);
  });
});

describe('cmaes state: replayed from the run, so resume is exact', () => {
  it('a fresh operator given the same history proposes the same next point', async () => {
    const first = cmaes();
    const r = await drive(first, knobs(4), sphere, { evaluations: 37, seed: 5 });
    const champion = r.champion.reduce((text, v, i) => text.replace(new RegExp(`^x${i} = \\S+`, 'm'), `x${i} = ${v}`), knobProgram(knobs(4)));
    const next = (op: ReturnType<typeof cmaes>) =>
      op
        .propose(contextFor(knobProgram(knobs(4)), champion, r.history, seededRandom(99), () => false))
        .then((p) => ('changes' in p ? p.changes[FILE] : p.error));
    const live = await next(first);
    const resumed = await next(cmaes());
    expect(resumed).toBe(live);
    expect(typeof live).toBe('string');
    // It learnt something: the history moved it away from where a fresh start would sample.
    const fresh = await cmaes().propose(contextFor(knobProgram(knobs(4)), champion, [], seededRandom(99), () => false));
    expect('changes' in fresh && fresh.changes[FILE]).not.toBe(live);
  });

  it('says its generation, population and step in the description, and restarts larger when the fitness is flat', async () => {
    const flat = () => 1;
    const r = await drive(cmaes(), knobs(2), flat, { evaluations: 60, seed: 1 });
    const text = await cmaes().propose(contextFor(knobProgram(knobs(2)), knobProgram(knobs(2)), r.history, seededRandom(1), () => false));
    expect('description' in text && text.description).toMatch(/^cmaes \(restart [1-9], generation \d+, λ=\d+, σ=/);
  });

  it('reports a program with no bounded literal as an error naming the fix', async () => {
    const ctx = contextFor('print(1)\n', 'print(1)\n', [], seededRandom(1), () => false);
    const r = await cmaes().propose(ctx);
    expect('error' in r && r.error).toMatch(/cmaes found no literal with a range in knobs\.py.*Fix: name the tunable numbers/);
  });
});

describe('strategy', () => {
  it('mirrors samples into the unit interval', () => {
    expect([-0.25, 0.3, 1.25, 2.5, -1.5].map(mirror)).toEqual([0.25, 0.3, 0.75, 0.5, 0.5]);
  });

  it(`is separable (diagonal covariance) above ${SEPARABLE_ABOVE} coordinates and full at or below`, () => {
    expect(initialState(Array(SEPARABLE_ABOVE).fill(0.5)).separable).toBe(false);
    const sep = initialState(Array(SEPARABLE_ABOVE + 1).fill(0.5));
    expect(sep.separable).toBe(true);
    const random = seededRandom(4);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const A = Array(sep.n).fill(1);
    const points = Array.from({ length: sep.lambda }, () => sample(sep, A, gauss).map(mirror));
    const next = tell(
      sep,
      points,
      points.map((p) => -p.reduce((a, v) => a + (v - 0.2) ** 2, 0)),
      A,
      () => ({ size: 1e-6, grid: false }),
    );
    expect(next.C).toHaveLength(1);
    expect(next.mean.reduce((a, v) => a + v, 0) / sep.n).toBeLessThan(0.5);
  });
});
