// An in-memory problem for the offline operators: a Python file of hinted literals and an
// objective over their values, driven like a greedy run (the champion is every proposal's
// parent; a child replaces it when its measured value is better) without git, a store or
// a verifier process. Tests and bench/tune drive the real operators and literal layer with it.
import { seededRandom, seedFrom } from '../../src/core/random.js';
import type { FileSet } from '../../src/core/types.js';
import { NothingNew, type Operator, type OperatorContext, type OperatorOutcome } from '../../src/operators/operator.js';

export interface Knob {
  /** The literal as written, e.g. `0.5` or `3`. */
  value: string;
  /** Its hint, e.g. `-5..5` or `0..10 int`. */
  hint: string;
}

export const FILE = 'knobs.py';

/** The program: one `xK = value  # evoloop: hint` per knob. */
export function knobProgram(knobs: Knob[]): string {
  return knobs.map((k, i) => `x${i} = ${k.value}  # evoloop: ${k.hint}\n`).join('') + `print(${knobs.map((_, i) => `x${i}`).join(', ')})\n`;
}

/** The knob values as a program has them. */
export function knobValues(content: string): number[] {
  return [...content.matchAll(/^x\d+ = (\S+)/gm)].map((m) => Number(m[1]));
}

export interface DriveOptions {
  evaluations: number;
  seed: number;
  /** The measured value of a point (minimized); the true value is `objective`. Defaults to `objective`. */
  measure?: (values: number[], random: () => number) => number;
  /** The verifier's noise SD as the run would have measured it at baseline. */
  noiseSd?: number;
  /** Called after each evaluation with the best true value so far. */
  onEvaluation?: (count: number, bestTrue: number) => void;
}

export interface DriveResult {
  bestTrue: number;
  champion: number[];
  /** Every proposal's knob values, in order. */
  proposals: number[][];
  history: OperatorOutcome[];
}

/** Builds the operator context a run would give for the next proposal. */
export function contextFor(
  base: string,
  parent: string,
  history: OperatorOutcome[],
  random: () => number,
  taken: (content: string) => boolean,
  opts: { runId?: string; noiseSd?: number; parentScore?: number } = {},
): OperatorContext {
  const { runId = 'bench', noiseSd = 0, parentScore = null } = opts;
  const never = new AbortController().signal;
  return {
    runId,
    parents: [{ id: 0, score: parentScore, metrics: null, files: parent === base ? {} : { [FILE]: parent } }],
    inspirations: [],
    island: null,
    readFile: async (p) => (p === FILE ? parent : undefined),
    readBase: async (p) => (p === FILE ? base : undefined),
    taken: async (changes: FileSet) => taken(changes[FILE] ?? parent),
    editableFiles: [FILE],
    history,
    goal: 'minimize',
    noiseSd,
    random,
    signal: never,
    stopping: never,
  };
}

/** A greedy run of `evaluations` candidates of `operator` on the program; minimizes. */
export async function drive(operator: Operator, knobs: Knob[], objective: (values: number[]) => number, opts: DriveOptions): Promise<DriveResult> {
  const base = knobProgram(knobs);
  const measure = opts.measure ?? objective;
  const noise = seededRandom(seedFrom('noise', opts.seed));
  let parent = base;
  let championMeasured = measure(knobValues(base), noise);
  let bestTrue = objective(knobValues(base));
  let championTrue = bestTrue;
  const seen = new Set([base]);
  const history: OperatorOutcome[] = [];
  const proposals: number[][] = [];
  let nothingNew = 0;
  for (let k = 1; history.length < opts.evaluations; k++) {
    const random = seededRandom(seedFrom('bench', opts.seed, k));
    let result;
    try {
      result = await operator.propose(contextFor(base, parent, history, random, (c) => seen.has(c), { parentScore: championMeasured, noiseSd: opts.noiseSd }));
    } catch (err) {
      if (!(err instanceof NothingNew)) throw err;
      // As the engine does: ten in a row stop the run as stuck; the champion stays for the remaining counts.
      if (++nothingNew < 10) continue;
      for (let n = history.length + 1; n <= opts.evaluations; n++) opts.onEvaluation?.(n, bestTrue);
      break;
    }
    nothingNew = 0;
    if ('error' in result) throw new Error(result.error);
    const content = result.changes[FILE] ?? parent;
    const parentContent = parent;
    seen.add(content);
    const values = knobValues(content);
    proposals.push(values);
    const measured = measure(values, noise);
    const improved = measured < championMeasured;
    if (improved) {
      parent = content;
      championMeasured = measured;
      championTrue = objective(values);
    }
    bestTrue = Math.min(bestTrue, championTrue);
    const files = { [FILE]: content };
    const parentFiles = { [FILE]: parentContent };
    history.push({
      candidateId: k,
      status: improved ? 'accepted' : 'rejected',
      improved,
      fitness: -measured,
      files: () => files,
      parentFiles: () => parentFiles,
    });
    opts.onEvaluation?.(history.length, bestTrue);
  }
  return { bestTrue, champion: knobValues(parent), proposals, history };
}
