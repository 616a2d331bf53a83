// CMA-ES (Hansen's tutorial, "The CMA Evolution Strategy", 2016) on the unit cube, as pure
// functions: a state, `sample` from it, `tell` it one generation of evaluated points. With the
// tutorial's default weights, negative ones included (active CMA, as pycma does by default):
// bench/tune over 100 seeds against the positive-only update, rosenbrock 2-D @300 0.0199 →
// 0.0047, circle packing (50 seeds) @1,000 0.0029 → 0.00066, noisy sphere about even.
// - Bounds: a sample is mirrored into [0, 1] (the reflection boundary method); the point
//   actually evaluated (mirrored, rounded to its grid) is what the update learns from, with
//   its Mahalanobis length clipped as for injected solutions (Hansen 2011), so rounding
//   and mirroring never blow up the paths.
// - Integers and step grids: a margin (after Hamano et al., "CMA-ES with Margin", 2022)
//   widens a grid coordinate's sampling spread so it leaves its current value with
//   probability at least 1/(n·λ); without it the spread collapses below one grid step.
// - More than SEPARABLE_ABOVE coordinates: the separable variant (diagonal covariance,
//   learning rates scaled by (n+2)/3; Ros & Hansen 2008).
// - Restarts with a doubled population (IPOP; Auger & Hansen 2005) from the best point so
//   far, when the fitness is flat, stagnates, or the step or conditioning degenerate.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { probit } from 'simple-statistics';

export const SEPARABLE_ABOVE = 30;
export const INITIAL_SIGMA = 0.1;
const MAX_RESTARTS = 9;
/** A restart when every coordinate's spread is below this many of its resolutions (continuous; one grid step for a grid): draws only repeat. */
const TOL_RESOLUTIONS = 10;
const MAX_CONDITION = 1e14;
/** Generations in a row whose points all score the same before a restart. */
const FLAT_GENERATIONS = 3;

export interface CmaState {
  n: number;
  separable: boolean;
  lambda: number;
  /** Restarts so far (the population is 2^restart times the default). */
  restart: number;
  /** Generations since the last (re)start. */
  generation: number;
  mean: number[];
  sigma: number;
  /** Covariance (full), or its diagonal when separable. */
  C: number[][];
  /** Eigenvectors (columns) and the square roots of the eigenvalues of C. */
  B: number[][];
  D: number[];
  pc: number[];
  ps: number[];
  /** Best point and fitness seen in the whole run, and in this restart. */
  best?: { x: number[]; fitness: number };
  restartBest: number;
  sinceImprovement: number;
  flat: number;
  /** Why the last restart happened, for the proposal's description. */
  restartReason?: string;
}

interface Params {
  mu: number;
  /** Recombination weights of the best μ (positive, summing to 1). */
  weights: number[];
  /** Weights of the other λ − μ, best first (negative: active CMA). */
  negative: number[];
  mueff: number;
  cs: number;
  ds: number;
  cc: number;
  c1: number;
  cmu: number;
  chiN: number;
}

export function defaultLambda(n: number): number {
  return 4 + Math.floor(3 * Math.log(n));
}

/** The tutorial's default parameters (Hansen 2016, table 1), active CMA's negative weights included. */
function params(s: Pick<CmaState, 'n' | 'lambda' | 'separable'>): Params {
  const { n, lambda } = s;
  const mu = Math.floor(lambda / 2);
  const raw = Array.from({ length: lambda }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
  const positive = raw.slice(0, mu);
  const sum = positive.reduce((a, b) => a + b, 0);
  const weights = positive.map((w) => w / sum);
  const mueff = 1 / weights.reduce((a, w) => a + w * w, 0);
  const cs = (mueff + 2) / (n + mueff + 5);
  const ds = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs;
  const cc = (4 + mueff / n) / (n + 4 + (2 * mueff) / n);
  let c1 = 2 / ((n + 1.3) ** 2 + mueff);
  let cmu = Math.min(1 - c1, (2 * (mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + mueff));
  if (s.separable) {
    const scale = (n + 2) / 3;
    c1 = Math.min(1, c1 * scale);
    cmu = Math.min(1 - c1, cmu * scale);
  }
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  // The worst λ − μ get negative weights (active CMA: the covariance shrinks along bad steps),
  // scaled so that the update keeps C positive definite (the tutorial's α bounds).
  const rest = raw.slice(mu).filter((w) => w < 0);
  const restSum = -rest.reduce((a, b) => a + b, 0);
  const mueffNeg = restSum > 0 ? restSum ** 2 / rest.reduce((a, w) => a + w * w, 0) : 0;
  const alpha = Math.min(1 + c1 / cmu, 1 + (2 * mueffNeg) / (mueff + 2), (1 - c1 - cmu) / (n * cmu));
  const negative = restSum > 0 && cmu > 0 ? rest.map((w) => (alpha * w) / restSum) : [];
  return { mu, weights, negative, mueff, cs, ds, cc, c1, cmu, chiN };
}

/** A fresh start at `mean` (restart 0: the default population). */
export function initialState(mean: number[], restart = 0, best?: CmaState['best'], restartReason?: string): CmaState {
  const n = mean.length;
  const separable = n > SEPARABLE_ABOVE;
  const eye = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  return {
    n,
    separable,
    lambda: defaultLambda(n) * 2 ** restart,
    restart,
    generation: 0,
    mean: [...mean],
    sigma: INITIAL_SIGMA,
    C: separable ? [Array(n).fill(1)] : eye,
    B: eye,
    D: Array(n).fill(1),
    pc: Array(n).fill(0),
    ps: Array(n).fill(0),
    best,
    restartBest: -Infinity,
    sinceImprovement: 0,
    flat: 0,
    restartReason,
  };
}

/** Variance of coordinate i under C. */
function variance(s: CmaState, i: number): number {
  return s.separable ? s.C[0][i] : s.C[i][i];
}

/**
 * The margin: per-coordinate factors ≥ 1 on the sampling spread. `gap(i, u)` is the
 * distance from u to where coordinate i's grid value changes (undefined when continuous).
 */
export function margin(s: CmaState, gap: (i: number, u: number) => number | undefined): number[] {
  const alpha = 1 / (s.n * s.lambda);
  const z = probit(1 - alpha);
  return s.mean.map((m, i) => {
    const g = gap(i, Math.min(1, Math.max(0, m)));
    if (g === undefined) return 1;
    const spread = s.sigma * Math.sqrt(variance(s, i));
    return Math.max(1, g / z / spread);
  });
}

/** A sample (before mirroring) from the state: mean + σ·A·B·D·z. */
export function sample(s: CmaState, A: number[], gaussian: () => number): number[] {
  const z = Array.from({ length: s.n }, gaussian);
  const y = s.separable ? z.map((v, i) => s.D[i] * v) : s.B.map((row) => row.reduce((acc, b, j) => acc + b * s.D[j] * z[j], 0));
  return y.map((v, i) => s.mean[i] + s.sigma * A[i] * v);
}

/** Mirrors a coordinate into [0, 1] (reflection at both bounds, periodically). */
export function mirror(u: number): number {
  if (u >= 0 && u <= 1) return u;
  const t = ((u % 2) + 2) % 2;
  return t > 1 ? 2 - t : t;
}

/**
 * One generation's update from the points evaluated (as evaluated: mirrored and on their
 * grid) and their fitness (higher is better; null = failed, ranked last). Returns the next
 * state, which is a fresh, larger restart when this one has run its course.
 */
export function tell(s: CmaState, points: number[][], fitness: (number | null)[], A: number[], resolution: Resolution): CmaState {
  const p = params(s);
  const n = s.n;
  const order = points.map((_, k) => k).sort((a, b) => (fitness[b] ?? -Infinity) - (fitness[a] ?? -Infinity));
  // Steps in the coordinates of C, clipped as injected solutions are.
  const maxLength = Math.sqrt(n) + (2 * n) / (n + 2);
  const steps = order.slice(0, p.mu).map((k) => {
    const y = points[k].map((x, i) => (x - s.mean[i]) / (s.sigma * A[i]));
    const length = norm(whiten(s, y));
    return length > maxLength ? y.map((v) => (v * maxLength) / length) : y;
  });
  const yw = Array.from({ length: n }, (_, i) => steps.reduce((acc, y, k) => acc + p.weights[k] * y[i], 0));
  const mean = s.mean.map((m, i) => m + s.sigma * A[i] * yw[i]);
  const ps = whiten(s, yw).map((v, i) => (1 - p.cs) * s.ps[i] + Math.sqrt(p.cs * (2 - p.cs) * p.mueff) * v);
  const psNorm = norm(ps);
  const hs = psNorm / Math.sqrt(1 - (1 - p.cs) ** (2 * (s.generation + 1))) < (1.4 + 2 / (n + 1)) * p.chiN ? 1 : 0;
  const pc = yw.map((v, i) => (1 - p.cc) * s.pc[i] + hs * Math.sqrt(p.cc * (2 - p.cc) * p.mueff) * v);
  // Active CMA: the worst points' steps, each rescaled to the length √n in C's metric (w°), with a negative weight.
  const worst = order.slice(order.length - p.negative.length);
  const bad = worst.map((k, m) => {
    const y = points[k].map((x, i) => (x - s.mean[i]) / (s.sigma * A[i]));
    const length2 = norm(whiten(s, y)) ** 2;
    return { y, w: length2 > 0 ? (p.negative[m] * n) / length2 : 0 };
  });
  const negativeSum = p.negative.reduce((a, w) => a + w, 0);
  const keep = 1 - p.c1 - p.cmu * (1 + negativeSum) + (1 - hs) * p.c1 * p.cc * (2 - p.cc);
  const rankMu = (i: number, j: number) =>
    steps.reduce((acc, y, k) => acc + p.weights[k] * y[i] * y[j], 0) + bad.reduce((acc, { y, w }) => acc + w * y[i] * y[j], 0);
  let C: number[][];
  let B = s.B;
  let D: number[];
  if (s.separable) {
    C = [s.C[0].map((c, i) => keep * c + p.c1 * pc[i] * pc[i] + p.cmu * rankMu(i, i))];
    D = C[0].map(Math.sqrt);
  } else {
    C = s.C.map((row, i) => row.map((c, j) => keep * c + p.c1 * pc[i] * pc[j] + p.cmu * rankMu(i, j)));
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) C[i][j] = C[j][i] = (C[i][j] + C[j][i]) / 2;
    const eig = new EigenvalueDecomposition(new Matrix(C), { assumeSymmetric: true });
    B = eig.eigenvectorMatrix.to2DArray();
    D = eig.realEigenvalues.map((e) => Math.sqrt(Math.max(e, 1e-300)));
  }
  const sigma = s.sigma * Math.exp((p.cs / p.ds) * (psNorm / p.chiN - 1));

  const measured = order.filter((k) => fitness[k] !== null);
  const top = measured.length ? fitness[measured[0]]! : -Infinity;
  const best = s.best === undefined || top > s.best.fitness ? (measured.length ? { x: points[measured[0]], fitness: top } : s.best) : s.best;
  const improved = top > s.restartBest;
  const flatNow = measured.length === points.length && points.length > 1 && fitness[measured[0]] === fitness[measured[measured.length - 1]];
  const next: CmaState = {
    ...s,
    generation: s.generation + 1,
    mean,
    sigma,
    C,
    B,
    D,
    pc,
    ps,
    best,
    restartBest: Math.max(s.restartBest, top),
    sinceImprovement: improved ? 0 : s.sinceImprovement + 1,
    flat: flatNow ? s.flat + 1 : 0,
    restartReason: undefined,
  };
  const why = restartReason(next, resolution);
  if (!why || s.restart >= MAX_RESTARTS) return next;
  return initialState(next.best?.x ?? s.mean, s.restart + 1, next.best, why);
}

/** Per coordinate at a unit position: the smallest move that changes its written value, and whether that is a grid step. */
export type Resolution = (i: number, u: number) => { size: number; grid: boolean };

function restartReason(s: CmaState, resolution: Resolution): string | undefined {
  if (s.flat >= FLAT_GENERATIONS) return `flat fitness for ${s.flat} generations`;
  if (s.sinceImprovement > 10 + Math.ceil((30 * s.n) / s.lambda)) return `no improvement in ${s.sinceImprovement} generations`;
  const settled = s.mean.every((m, i) => {
    const r = resolution(i, Math.min(1, Math.max(0, m)));
    return s.sigma * Math.sqrt(variance(s, i)) < r.size * (r.grid ? 1 : TOL_RESOLUTIONS);
  });
  if (settled) return 'converged to the precision the literals are written with';
  const dMax = Math.max(...s.D);
  const dMin = Math.min(...s.D);
  if ((dMax / dMin) ** 2 > MAX_CONDITION) return 'covariance ill-conditioned';
  return undefined;
}

/** C^(-1/2)·y = B·D⁻¹·Bᵀ·y (elementwise for the separable variant). */
function whiten(s: CmaState, y: number[]): number[] {
  if (s.separable) return y.map((v, i) => v / s.D[i]);
  const n = s.n;
  const t = Array.from({ length: n }, (_, j) => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += s.B[i][j] * y[i];
    return acc / s.D[j];
  });
  return Array.from({ length: n }, (_, i) => {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += s.B[i][j] * t[j];
    return acc;
  });
}

function norm(v: number[]): number {
  return Math.sqrt(v.reduce((a, x) => a + x * x, 0));
}
