// `bayes`: Bayesian optimization over the bounded numeric literals tune finds
// (tune/vector.ts), for expensive verifiers and small budgets, up to MAX_LITERALS of them.
// A Gaussian process (gp.ts) models the objective from this operator's earlier candidates
// and the current parent; the next point maximizes expected improvement over the best
// predicted value among those measured (the plug-in rule for noisy objectives), with the
// GP's noise never below the verifier's measured noise floor. Like cmaes, everything it
// knows is read back from the run's candidates, so a resumed run proposes the same point.
import { errorFunction } from 'simple-statistics';
import { NothingNew, type Operator, type OperatorContext, type ProblemView, type ProposalResult } from '../operator.js';
import { nothingToMove, Observations, startingPoint } from '../tune/observations.js';
import { literalTable } from '../tune/table.js';
import { DRAWS } from '../tune/tune.js';
import { describeChanges, pointOf, readLiterals, writePoint } from '../tune/vector.js';
import { fitGp, type GpModel } from './gp.js';

export const MAX_LITERALS = 20;
/** The GP is fitted to at most this many points (the best ones): its cost grows with the cube of it. */
export const MAX_POINTS = 100;
const RANDOM_CANDIDATES = 1000;
const LOCAL_CANDIDATES = 500;

/** Points drawn uniformly before the model is used: enough to fit d length scales roughly. */
export function initialDesign(n: number): number {
  return Math.min(10, Math.max(3, n + 1));
}

/** Expected improvement of a normal prediction over `best` (maximizing). */
export function expectedImprovement(mean: number, sd: number, best: number): number {
  if (sd <= 0) return Math.max(0, mean - best);
  const z = (mean - best) / sd;
  const cdf = 0.5 * (1 + errorFunction(z / Math.SQRT2));
  const pdf = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  return (mean - best) * cdf + sd * pdf;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Candidate points ranked by expected improvement, best first: uniform draws plus steps around the best measured points. */
function rankByEi(model: GpModel, X: number[][], y: number[], random: () => number): number[][] {
  const incumbent = Math.max(...X.map((x) => model.predict(x).mean));
  const top = X.map((x, k) => ({ x, f: y[k] })).sort((a, b) => b.f - a.f);
  const pool: number[][] = [];
  for (let k = 0; k < RANDOM_CANDIDATES; k++) pool.push(X[0].map(() => random()));
  for (let k = 0; k < LOCAL_CANDIDATES; k++) {
    const centre = top[k % Math.min(5, top.length)].x;
    const scale = 0.1 * (k % 2 === 0 ? 1 : 0.2);
    pool.push(centre.map((c, i) => Math.min(1, Math.max(0, c + scale * Math.min(1, model.lengths[i]) * gaussian(random)))));
  }
  return pool
    .map((x) => {
      const p = model.predict(x);
      return { x, ei: expectedImprovement(p.mean, p.sd, incumbent) };
    })
    .sort((a, b) => b.ei - a.ei)
    .map((c) => c.x);
}

export function bayes(): Operator {
  const observations = new Observations();
  return {
    name: 'bayes',
    readsHistory: true,

    async describe(problem: ProblemView) {
      const { found, problems } = await readLiterals(problem.editableFiles, problem.readBase);
      return literalTable(
        found.map((f) => f.literals),
        { problems, limit: 40, operator: 'bayes' },
      );
    },

    async propose(ctx: OperatorContext): Promise<ProposalResult> {
      const { space } = await startingPoint(ctx);
      const n = space.coords.length;
      if (n === 0) return { operator: 'bayes', error: nothingToMove('bayes', space, ctx.editableFiles) };
      if (n > MAX_LITERALS) {
        return {
          operator: 'bayes',
          error: `bayes models at most ${MAX_LITERALS} literals and this program has ${n}. Fix: use cmaes (\`operators: {cmaes: 1}\`).`,
        };
      }
      const observed = await observations.observe(ctx.history, space, ctx);
      const sign = ctx.goal === 'maximize' ? 1 : -1;
      const parent = ctx.parents[0];
      const points = [
        ...observed.map((o) => ({ x: o.point, f: o.fitness })),
        ...(parent.score === null ? [] : [{ x: pointOf(space), f: sign * parent.score }]),
      ];
      const measured = points.filter((p) => p.f !== null).map((p) => p.f!);
      // A failed point scores as the worst measured one: the model learns to avoid it.
      const floor = measured.length ? Math.min(...measured) : 0;
      const data = points.map((p) => ({ x: p.x, f: p.f ?? floor })).sort((a, b) => b.f - a.f);
      let ranked: number[][];
      let how: string;
      if (observed.length < initialDesign(n)) {
        ranked = Array.from({ length: DRAWS }, () => space.coords.map(() => ctx.random()));
        how = `initial design ${observed.length + 1}/${initialDesign(n)}`;
      } else {
        const used = data.slice(0, MAX_POINTS);
        const model = fitGp(
          used.map((p) => p.x),
          used.map((p) => p.f),
          ctx.noiseSd ** 2,
        );
        ranked = rankByEi(
          model,
          used.map((p) => p.x),
          used.map((p) => p.f),
          ctx.random,
        );
        how = `GP on ${used.length} points, noise ${model.noise.toPrecision(2)}`;
      }
      // Points that write the same literals count once: the best ones often sit together (at a bound, in one gap) and round alike.
      const tried = new Set<string>();
      for (const point of ranked) {
        if (tried.size >= DRAWS) break;
        const { changes, notes, written } = writePoint(space, point);
        const id = written.join(',');
        if (notes.length === 0 || tried.has(id)) continue;
        tried.add(id);
        if (await ctx.taken(changes)) continue;
        observations.remember(space, changes, written);
        const cost = tried.size > 1 ? `, ${tried.size} draws` : '';
        return { operator: 'bayes', description: `bayes (${how}${cost}): ${describeChanges(notes)}`, changes, blind: true };
      }
      throw new NothingNew(`nothing new in the ${tried.size} best distinct points (${how}): each was already tried in this run`);
    },
  };
}
