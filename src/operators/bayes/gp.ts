// Gaussian-process regression on the unit cube: a Matérn 5/2 kernel with one length scale
// per coordinate (ARD), a signal variance and a noise variance, fitted by maximizing the log
// marginal likelihood (Rasmussen & Williams 2006, ch. 2 and 5) with Adam on the log
// hyperparameters from a fixed start, so a fit is a pure function of its data. The noise
// variance never goes below the floor it is given (the verifier's measured noise), which is
// what makes the model noise-aware: repeats of a noisy verifier are not fitted exactly.
// The Cholesky factorization is ml-matrix's; the inverse from its factor is two triangular
// products here, ten times faster than ml-matrix's general solve at these sizes.
import { CholeskyDecomposition, Matrix } from 'ml-matrix';

const SQRT5 = Math.sqrt(5);
const FIT_STEPS = 40;
const LEARNING_RATE = 0.08;
const JITTER = 1e-8;
/** Length scales stay within [0.01, 20] of the unit cube; the signal variance within [0.05, 20] (data are standardized). */
const LOG_BOUNDS = { length: [Math.log(0.01), Math.log(20)], signal: [Math.log(0.05), Math.log(20)], noise: [Math.log(1e-6), Math.log(2)] };

export interface GpModel {
  lengths: number[];
  signal: number;
  noise: number;
  logLikelihood: number;
  /** Posterior mean and standard deviation of the (standardized → original units) latent function at a point. */
  predict(x: number[]): { mean: number; sd: number };
}

function matern(r: number): { k: number; dk: number } {
  const e = Math.exp(-SQRT5 * r);
  // k / signal, and the factor of Δ²/ℓ² in ∂k/∂log ℓ (divided by signal).
  return { k: (1 + SQRT5 * r + (5 / 3) * r * r) * e, dk: (5 / 3) * (1 + SQRT5 * r) * e };
}

function scaledDistance(a: number[], b: number[], lengths: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] - b[i]) / lengths[i]) ** 2;
  return Math.sqrt(s);
}

interface Fit {
  logLikelihood: number;
  gradient: number[];
  alpha: number[];
  inverse: Float64Array[];
}

/** K⁻¹ from K's Cholesky factor L (ml-matrix's): L⁻¹ by forward substitution, then L⁻ᵀ·L⁻¹. */
function inverseFromCholesky(L: number[][]): Float64Array[] {
  const n = L.length;
  const Li = Array.from({ length: n }, () => new Float64Array(n));
  for (let j = 0; j < n; j++) {
    for (let r = j; r < n; r++) {
      let s = r === j ? 1 : 0;
      const lr = L[r];
      for (let k = j; k < r; k++) s -= lr[k] * Li[k][j];
      Li[r][j] = s / lr[r];
    }
  }
  const inv = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += Li[k][i] * Li[k][j];
      inv[i][j] = inv[j][i] = s;
    }
  }
  return inv;
}

/** Log marginal likelihood and its gradient in θ = (log ℓ₁…log ℓ_d, log signal, log noise). */
function evaluate(X: number[][], y: number[], theta: number[]): Fit | undefined {
  const n = X.length;
  const d = X[0].length;
  const lengths = theta.slice(0, d).map(Math.exp);
  const signal = Math.exp(theta[d]);
  const noise = Math.exp(theta[d + 1]);
  const K = new Matrix(n, n);
  const k0 = Array.from({ length: n }, () => new Float64Array(n));
  const dk = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const m = matern(scaledDistance(X[i], X[j], lengths));
      k0[i][j] = k0[j][i] = m.k;
      dk[i][j] = dk[j][i] = m.dk;
      const v = signal * m.k + (i === j ? noise + JITTER : 0);
      K.set(i, j, v);
      K.set(j, i, v);
    }
  }
  const chol = new CholeskyDecomposition(K);
  if (!chol.isPositiveDefinite()) return undefined;
  const L = chol.lowerTriangularMatrix.to2DArray();
  const inverse = inverseFromCholesky(L);
  const alpha = inverse.map((row) => row.reduce((a, v, j) => a + v * y[j], 0));
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += Math.log(L[i][i]);
  const logLikelihood = -0.5 * alpha.reduce((a, v, i) => a + v * y[i], 0) - logDet - 0.5 * n * Math.log(2 * Math.PI);
  // ∂L/∂θ = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ)
  const gradient = Array(d + 2).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = alpha[i] * alpha[j] - inverse[i][j];
      gradient[d] += 0.5 * w * signal * k0[i][j];
      if (i === j) gradient[d + 1] += 0.5 * w * noise;
      else for (let c = 0; c < d; c++) gradient[c] += 0.5 * w * signal * dk[i][j] * ((X[i][c] - X[j][c]) / lengths[c]) ** 2;
    }
  }
  return { logLikelihood, gradient, alpha, inverse };
}

/** Fits a GP to points X (unit cube) and values y; `noiseFloor` is the least noise variance in y's units. */
export function fitGp(X: number[][], y: number[], noiseFloor = 0): GpModel {
  const d = X[0].length;
  const mean = y.reduce((a, v) => a + v, 0) / y.length;
  const spread = Math.sqrt(y.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, y.length - 1)) || 1;
  const z = y.map((v) => (v - mean) / spread);
  const floor = Math.max(LOG_BOUNDS.noise[0], Math.log(Math.max(1e-6, noiseFloor / spread ** 2)));
  const bounds = [...Array(d).fill(LOG_BOUNDS.length), LOG_BOUNDS.signal, [floor, Math.max(floor, LOG_BOUNDS.noise[1])]];
  let theta = [...Array(d).fill(Math.log(0.3)), 0, Math.max(floor, Math.log(1e-3))];
  let fit = evaluate(X, z, theta);
  let best = fit && { theta, fit };
  const m = Array(d + 2).fill(0);
  const v = Array(d + 2).fill(0);
  for (let step = 1; step <= FIT_STEPS && fit; step++) {
    const g = fit.gradient;
    theta = theta.map((t, i) => {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      const stepSize = (LEARNING_RATE * (m[i] / (1 - 0.9 ** step))) / (Math.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8);
      return Math.min(bounds[i][1], Math.max(bounds[i][0], t + stepSize));
    });
    fit = evaluate(X, z, theta);
    if (fit && fit.logLikelihood > best!.fit.logLikelihood) best = { theta, fit };
  }
  if (!best) throw new Error('the GP kernel matrix is not positive definite even with jitter');
  const lengths = best.theta.slice(0, d).map(Math.exp);
  const signal = Math.exp(best.theta[d]);
  const { alpha, inverse } = best.fit;
  return {
    lengths,
    signal,
    noise: Math.exp(best.theta[d + 1]),
    logLikelihood: best.fit.logLikelihood,
    predict(x: number[]) {
      const k = X.map((xi) => signal * matern(scaledDistance(x, xi, lengths)).k);
      let mu = 0;
      for (let i = 0; i < k.length; i++) mu += k[i] * alpha[i];
      let quad = 0;
      for (let i = 0; i < k.length; i++) {
        let row = 0;
        const inv = inverse[i];
        for (let j = 0; j < k.length; j++) row += inv[j] * k[j];
        quad += k[i] * row;
      }
      return { mean: mean + spread * mu, sd: spread * Math.sqrt(Math.max(1e-12, signal - quad)) };
    },
  };
}
