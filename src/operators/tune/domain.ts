// Where a literal may go: a range on a linear or log scale, integral or on a step grid.
// A hint sets it; without one it is inferred from the literal's own value, conservatively
// (sign kept, integers stay integers, powers of ten and round counts on a log scale), and
// rounded so that the hint printed for it (describeRange) reproduces it exactly.

export interface Range {
  min: number;
  max: number;
  log: boolean;
  integer: boolean;
  /** Values lie on min + k·step. */
  step?: number;
}

/** A literal's search space: a range (from a hint or inferred), or today's unbounded relative steps for files without a parser. */
export type Domain = (Range & { kind: 'range'; source: 'hint' | 'inferred' }) | { kind: 'relative' };

/** The inferred range of a literal's value, or undefined for 0 (no scale to infer). */
export function inferRange(value: number, integer: boolean): Range | undefined {
  if (value === 0 || !Number.isFinite(value)) return undefined;
  const a = Math.abs(value);
  let lo: number;
  let hi: number;
  let log = false;
  if (isPowerOfTen(a) || (integer && isRoundCount(a))) {
    // 1e-3, 0.1, 100, 1000, 50, 256: an order of magnitude either way.
    [lo, hi, log] = [a / 10, a * 10, true];
  } else if (!integer && a >= 0.9 && a < 1) {
    // A decay or momentum factor (0.95, 0.999): what matters is its distance from 1.
    const gap = 1 - a;
    [lo, hi] = [1 - round3(2 * gap), 1 - round3(gap / 2)];
  } else {
    // Half to double; a fraction below 1 stays at most 1.
    [lo, hi] = [a / 2, !integer && a < 1 ? Math.min(2 * a, 1) : 2 * a];
    if (!integer) [lo, hi] = [round3(lo), round3(hi)];
  }
  if (log && !integer) [lo, hi] = [round3(lo), round3(hi)];
  if (integer) [lo, hi] = [Math.max(1, Math.ceil(lo)), Math.floor(hi)];
  const [min, max] = value < 0 ? [-hi, -lo] : [lo, hi];
  return { min, max, log, integer };
}

function isPowerOfTen(a: number): boolean {
  const e = Math.log10(a);
  return Math.abs(e - Math.round(e)) < 1e-9;
}

/** 20, 50, 300, 1000 (a multiple of ten), or 16, 64, 256 (a power of two): sizes and counts someone chose roughly. */
function isRoundCount(a: number): boolean {
  return Number.isInteger(a) && ((a >= 10 && a % 10 === 0) || (a >= 16 && (a & (a - 1)) === 0));
}

function round3(v: number): number {
  return Number(v.toPrecision(3));
}

/** The hint that gives this range, e.g. `evoloop: 0.5..2 log`. */
export function describeRange(r: Range): string {
  const opts = [r.log && 'log', r.integer && 'int', r.step !== undefined && `step ${fmt(r.step)}`].filter(Boolean);
  return `evoloop: ${fmt(r.min)}..${fmt(r.max)}${opts.length ? ` ${opts.join(' ')}` : ''}`;
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** Position of a value in the range as a fraction of its width (on its scale), clamped to [0, 1]. */
export function toUnit(r: Range, value: number): number {
  const u = r.log ? Math.log(Math.abs(value) / Math.abs(r.min)) / Math.log(Math.abs(r.max) / Math.abs(r.min)) : (value - r.min) / (r.max - r.min);
  return Math.min(1, Math.max(0, Number.isFinite(u) ? u : 0));
}

/** The value at a fraction of the range's width (on its scale), snapped to its grid and kept inside it. */
export function fromUnit(r: Range, u: number): number {
  const t = Math.min(1, Math.max(0, u));
  const v = r.log ? Math.sign(r.min) * Math.abs(r.min) * (Math.abs(r.max) / Math.abs(r.min)) ** t : r.min + t * (r.max - r.min);
  return snap(r, v);
}

/** The nearest allowed value: on the step grid or an integer, never outside the range. */
export function snap(r: Range, v: number): number {
  let out = v;
  if (r.step !== undefined) out = r.min + Math.round((out - r.min) / r.step) * r.step;
  else if (r.integer) out = Math.round(out);
  const lo = r.integer ? Math.ceil(r.min) : r.min;
  const hi = r.integer ? Math.floor(r.max) : r.max;
  if (out > hi) out = r.step !== undefined ? r.min + Math.floor((hi - r.min) / r.step + 1e-9) * r.step : hi;
  if (out < lo) out = lo;
  return Number(out.toPrecision(12));
}

/** The smallest move on the range's grid (a step, 1 for integers), or undefined when it is continuous. */
export function gridUnit(r: Range): number | undefined {
  return r.step ?? (r.integer ? 1 : undefined);
}
