// What a candidate's verdict column holds, as one discriminated union checked when a row is
// read, so readers narrow on `kind` instead of casting. Samples are not part of it: the
// measurements table holds them (store.objectiveSamples); the holdout block keeps its own
// as the evidence of its alarm (a champion's holdout is measured once, at its promotion).
// JSON has no infinity, so an unbounded interval end or CV is stored, and read, as null.

/** The spread of the baseline's samples (evaluate/statistics.ts noiseFloor). */
export interface StoredNoise {
  n: number;
  median: number;
  mad: number;
  cv: number | null;
}
export type HoldoutResult = { score: number; samples: number[] } | { failure: string };
/** Which noise a run with rule pooled compares under (evaluate/noise-model.ts), and how many baseline seeds were measured twice to find out. */
export interface StoredNoiseModel {
  kind: 'seed' | 'machine';
  seedShare: number | null;
  source: 'measured' | 'configured';
  replicates: number;
}

export type Verdict =
  /** The base commit, measured first: the noise floor every later verdict stands on. */
  | { kind: 'baseline'; noise: StoredNoise; noiseModel?: StoredNoiseModel; holdout?: HoldoutResult }
  /** A challenger accepted or rejected against champion `against` (with `championSamples` of its samples). */
  | {
      kind: 'decided';
      decision: 'accept' | 'reject';
      reason: string;
      /** median(challenger) − median(champion), sign-adjusted so positive = better. */
      gain: number;
      ci?: [number | null, number | null];
      ciLevel?: number;
      pValue?: number;
      naive: boolean;
      /** The challenger's samples the verdict was made on; a champion's later ones are re-measurements (the gain without the winner's curse). */
      samples?: number;
      against: number;
      championSamples: number;
      holdout?: HoldoutResult;
    };

/** Thrown for a verdict column that is not a Verdict: named by candidate and field, never cast. */
export class VerdictFormatError extends Error {}

const isNum = (v: unknown): v is number => typeof v === 'number';
const isNumOrNull = (v: unknown): v is number | null => v === null || isNum(v);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a stored verdict; `candidateId` names the row in the error. */
export function parseVerdict(json: string, candidateId: number): Verdict {
  const bad = (what: string) =>
    new VerdictFormatError(
      `candidate ${candidateId}: the stored verdict ${what} (${json.slice(0, 200)}). The database was written by another program or edited by hand.`,
    );
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw bad('is not JSON');
  }
  if (!isObj(v)) throw bad('is not an object');
  if (v.holdout !== undefined) {
    const h = v.holdout;
    const ok = isObj(h) && (typeof h.failure === 'string' || (isNum(h.score) && Array.isArray(h.samples) && h.samples.every(isNum)));
    if (!ok) throw bad('has a holdout that is neither {score, samples} nor {failure}');
  }
  if (v.kind === 'baseline') {
    const n = v.noise;
    if (!isObj(n) || !['n', 'median', 'mad'].every((k) => isNum(n[k])) || !isNumOrNull(n.cv))
      throw bad('is a baseline without a noise floor {n, median, mad, cv}');
    const m = v.noiseModel;
    if (m !== undefined && !(isObj(m) && (m.kind === 'seed' || m.kind === 'machine') && isNumOrNull(m.seedShare) && isNum(m.replicates)))
      throw bad('has a noise model that is not {kind: seed|machine, seedShare, source, replicates}');
    return v as Verdict;
  }
  if (v.kind === 'decided') {
    if (v.decision !== 'accept' && v.decision !== 'reject') throw bad(`has decision ${JSON.stringify(v.decision)}, not accept or reject`);
    for (const k of ['gain', 'against', 'championSamples']) if (!isNum(v[k])) throw bad(`has no number ${k}`);
    if (typeof v.reason !== 'string' || typeof v.naive !== 'boolean') throw bad('lacks its reason or naive flag');
    for (const k of ['pValue', 'ciLevel', 'samples']) if (v[k] !== undefined && !isNum(v[k])) throw bad(`has a ${k} that is not a number`);
    if (v.ci !== undefined && !(Array.isArray(v.ci) && v.ci.length === 2 && v.ci.every(isNumOrNull))) throw bad('has a ci that is not [lo, hi]');
    return v as Verdict;
  }
  throw bad(`has kind ${JSON.stringify(v.kind)}, not baseline or decided`);
}
