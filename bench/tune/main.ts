// Benchmark: the offline optimizers on standard test functions, driven in-process through
// the real operators and literal layer (test/support/literal-problem.ts: a Python file of
// hinted literals, a greedy champion as every proposal's parent). Prints, per function and
// dimension, the median over seeds of the champion's true distance to the optimum after
// 50, 300 and 1000 evaluations (`--at`), for random search, tune, cmaes and bayes; `--functions circles`
// is the circle-packing example's parameterization (gap = 2.5 − sum of radii), `circles-lp`
// the circle-packing-lp example's (gap = 2.635 − sum of radii, the known frontier).
// Run: npx tsx bench/tune/main.ts [--seeds 10] [--only cmaes,tune] [--dims 2,6,20] [--functions circles] [--at 50,300,1000] [--bayes-evals 50]
import { bayes } from '../../src/operators/bayes/bayes.js';
import { cmaes } from '../../src/operators/cmaes/cmaes.js';
import type { Operator, OperatorContext, ProposalResult } from '../../src/operators/operator.js';
import { startingPoint } from '../../src/operators/tune/observations.js';
import { tune } from '../../src/operators/tune/tune.js';
import { writePoint } from '../../src/operators/tune/vector.js';
import { drive, type Knob } from '../../test/support/literal-problem.js';
import { CIRCLE_KNOBS, LP_KNOBS, lpSumOfRadii, sumOfRadii } from './circles.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const SEEDS = Number(arg('seeds', '10'));
const DIMS = arg('dims', '2,6,20').split(',').map(Number);
const ONLY = arg('only', 'random,tune,cmaes,bayes').split(',');
const FUNCTIONS = arg('functions', 'sphere,rosenbrock,rastrigin,noisy-sphere,mixed').split(',');
const CHECKPOINTS = arg('at', '50,300,1000').split(',').map(Number);
/** bayes refits a GP for every proposal: it is run up to this many evaluations. */
const BAYES_EVALS = Number(arg('bayes-evals', '50'));

/** Uniform random search over the same literal space: the baseline every optimizer must beat. */
const randomSearch: Operator = {
  name: 'random',
  async propose(ctx: OperatorContext): Promise<ProposalResult> {
    const { space } = await startingPoint(ctx);
    for (;;) {
      const { changes, notes } = writePoint(
        space,
        space.coords.map(() => ctx.random()),
      );
      if (notes.length > 0 && !(await ctx.taken(changes))) return { operator: 'random', description: 'random', changes };
    }
  },
};

interface TestFunction {
  knobs: Knob[];
  /** True value minus the optimum's (≥ 0). */
  gap(x: number[]): number;
  noiseSd?: number;
}

const rosen = (z: number[]) => z.slice(0, -1).reduce((a, v, i) => a + 100 * (z[i + 1] - v * v) ** 2 + (1 - v) ** 2, 0);

function testFunction(name: string, d: number): TestFunction {
  const cont = (value: string, hint = '-5..5'): Knob[] => Array.from({ length: d }, () => ({ value, hint }));
  switch (name) {
    case 'sphere':
      return { knobs: cont('3.0'), gap: (x) => x.reduce((a, v) => a + (v - 1) ** 2, 0) };
    case 'noisy-sphere':
      // Measured with Gaussian noise of SD 1 (about 1/20 of the start's value at 6-D); reported by the true value.
      return { knobs: cont('3.0'), gap: (x) => x.reduce((a, v) => a + (v - 1) ** 2, 0), noiseSd: 1 };
    case 'rosenbrock':
      // Shifted: the optimum at x = 1.5 (z = x − 0.5 = 1).
      return { knobs: cont('-2.0'), gap: (x) => rosen(x.map((v) => v - 0.5)) };
    case 'rastrigin':
      // Shifted: the optimum at x = 1.2.
      return {
        knobs: cont('3.0', '-5.12..5.12'),
        gap: (x) => x.reduce((a, v) => a + (v - 1.2) ** 2 - 10 * Math.cos(2 * Math.PI * (v - 1.2)) + 10, 0),
      };
    case 'circles':
      // The circle-packing example's 10 row literals (any --dims): its row layout caps the sum of radii at 2.5.
      return { knobs: CIRCLE_KNOBS, gap: (x) => 2.5 - sumOfRadii(x) };
    case 'circles-lp':
      // examples/circle-packing-lp: the 52 centre coordinates, radii by LP (any --dims); the gap is to the known frontier, 2.635.
      return { knobs: LP_KNOBS, gap: (x) => 2.635 - lpSumOfRadii(x) };
    case 'mixed': {
      // Half integers in 0..20 (best at 13, since the bowl's centre is 13.3), half continuous; the gap is from the integer optimum.
      const ints = Math.ceil(d / 2);
      const knobs: Knob[] = Array.from({ length: d }, (_, i) => (i < ints ? { value: '3', hint: '0..20 int' } : { value: '3.0', hint: '-5..5' }));
      const best = ints * 0.09;
      return { knobs, gap: (x) => x.reduce((a, v, i) => a + (i < ints ? (v - 13.3) ** 2 : (v - 1) ** 2), 0) - best };
    }
  }
  throw new Error(`unknown function ${name}`);
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const operators: Record<string, () => Operator> = { random: () => randomSearch, tune: () => tune, cmaes: () => cmaes(), bayes: () => bayes() };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const fmt = (v: number | undefined) => (v === undefined ? '—' : v < 1e-3 || v >= 1e5 ? v.toExponential(1) : Number(v.toPrecision(3)).toString());

console.log(`bench/tune: median over ${SEEDS} seeds of the champion's true gap to the optimum (0 = optimal) after N evaluations`);
console.log(`bayes runs up to ${BAYES_EVALS} evaluations (a GP fit per proposal).`);
console.log('');
const header = ['function', 'dims', 'optimizer', ...CHECKPOINTS.map((n) => `@${n}`), 's/run'];
console.log(header.join('\t'));
for (const name of FUNCTIONS) {
  for (const d of DIMS) {
    const f = testFunction(name, d);
    for (const opName of ONLY) {
      const evaluations = opName === 'bayes' ? BAYES_EVALS : Math.max(...CHECKPOINTS);
      const at = new Map<number, number[]>(CHECKPOINTS.map((n) => [n, []]));
      const started = Date.now();
      for (let seed = 1; seed <= SEEDS; seed++) {
        await drive(operators[opName](), f.knobs, f.gap, {
          evaluations,
          seed,
          noiseSd: f.noiseSd,
          measure: f.noiseSd ? (x, random) => f.gap(x) + f.noiseSd! * gaussian(random) : undefined,
          onEvaluation: (n, best) => at.get(n)?.push(best),
        });
      }
      const cells = CHECKPOINTS.map((n) => (at.get(n)!.length === SEEDS ? fmt(median(at.get(n)!)) : '—'));
      console.log([name, d, opName, ...cells, ((Date.now() - started) / 1000 / SEEDS).toFixed(1)].join('\t'));
    }
  }
}
