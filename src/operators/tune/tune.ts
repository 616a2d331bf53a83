// `tune`: the offline operator. An adaptive coordinate search over the numeric literals
// the parser says are settings (literals.ts): each child moves one literal (each sweep
// tries every literal once, in random order) by that literal's own step, which adapts by
// Rosenbrock's rule ("An automatic method for finding the greatest or least value of a
// function", 1960): a success triples it, a failure halves and reverses it. So each literal's
// step follows its own scale and sensitivity, which one global step cannot when some
// literals are near their best and others far. After each sweep, Hooke and Jeeves' pattern
// move (1961) repeats what the sweep moved, so a valley that needs several literals to move
// together is followed, not crawled; after a successful one the next goes twice as far, so
// a long curved valley is crossed in a few moves. Under a noisy verifier no step shrinks
// below NOISY_MIN_STEP: after a lucky measurement of the champion every child fails, and
// halving on each failure would leave steps too small to find a real gain. bench/tune
// medians after 300 (circle packing / rosenbrock 2-D / noisy sphere 6-D): one global step
// 0.048 / 0.10 / 1.8; own steps and pattern 0.0031 / 0.25 / 2.8; with the doubling and the
// noisy floor 0.0023 / 0.046 / 0.88. The steps are replayed from the operator's history in
// the store (each child against its parent), so a resumed run continues where it was. A
// change already tried in the run is never proposed again: tune tries the next step or
// literal, then random steps, and after DRAWS draws says there is nothing new.
import type { FileSet } from '../../core/types.js';
import { NothingNew, type Operator, type OperatorContext, type OperatorOutcome, type ProblemView, type ProposalResult } from '../operator.js';
import { fromUnit, gridUnit, snap, toUnit } from './domain.js';
import { formatLiteral, type Literal } from './literals.js';
import { literalTable } from './table.js';
import { readLiterals } from './vector.js';

/** The spread of a literal's first step: this fraction of its range (or of its value, without a range). */
export const INITIAL_STEP = 0.2;
const MAX_STEP = 1;
/** The smallest step (a fraction of the range, or of the value without one) when the verifier's measured noise is above zero. */
export const NOISY_MIN_STEP = 0.05;
const EXPAND = 3;
const CONTRACT = -0.5;
/** Draws per proposal before tune says it has nothing new; each costs a hash lookup, no evaluation. */
export const DRAWS = 50;
/** Steps tried on one literal in a proposal (each a contraction of the last) before the next literal. */
const TRIES_PER_LITERAL = 3;

/** One child's move: the literal it changed and by how much, in the literal's step units (stepOf). Small: a run keeps one per child. */
export interface Trial {
  key: string;
  step: number;
  improved: boolean;
  /** The child, whose parent's literal values are where a sweep started (read again only for a pattern move: valuesBefore). */
  outcome: OperatorOutcome;
}

/** The step a literal takes next after its last trial: tripled after a success, halved and reversed after a failure. */
export function nextStep(last: Pick<Trial, 'step' | 'improved'>): number {
  const s = last.step * (last.improved ? EXPAND : CONTRACT);
  return Math.sign(s) * Math.min(MAX_STEP, Math.abs(s));
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A literal's value after a step, or undefined when the step lands on the same value. */
export function moveBy(lit: Literal, step: number): number | undefined {
  const d = lit.domain;
  let value: number;
  if (d.kind === 'relative') {
    // No parser, no range: a step relative to the value, as tune always did for such files.
    value = lit.value + step * (Math.abs(lit.value) || 1);
    if (lit.integer) {
      value = Math.round(value);
      if (value === lit.value) value += step >= 0 ? 1 : -1;
    }
    // Where no sign can stand (`sleep 3`, `a - 3`), a step below zero is reflected.
    if (!lit.signed && value < 0) value = -value;
  } else {
    value = fromUnit(d, toUnit(d, lit.value) + step);
    const unit = gridUnit(d);
    // On a grid, a step too small to reach the next value still moves by one.
    if (value === lit.value && unit !== undefined) value = snap(d, lit.value + (step >= 0 ? unit : -unit));
    if (!lit.signed && value < 0) value = snap(d, -value);
  }
  return value === lit.value ? undefined : value;
}

/** The step from one value of a literal to another, in moveBy's units (the inverse of moveBy). */
export function stepOf(lit: Literal, from: number, to: number): number {
  const d = lit.domain;
  return d.kind === 'relative' ? (to - from) / (Math.abs(from) || 1) : toUnit(d, to) - toUnit(d, from);
}

interface PoolEntry {
  path: string;
  lit: Literal;
  key: string;
}

/** The movable literals of a program's files, each with a key that is the same in any program with the same literals. */
async function literalPool(files: string[], read: (p: string) => Promise<string | undefined>, base: (p: string) => Promise<string | undefined>) {
  const { found, problems } = await readLiterals(files, read, base);
  const pool: PoolEntry[] = found.flatMap((f) =>
    f.literals.movable.map((lit, k) => ({ path: f.literals.path, lit, key: `${f.literals.path}:${k}:${lit.line}` })),
  );
  return { found, problems, pool };
}

/** The key of a trial that moved several literals at once (a pattern move). */
const PATTERN = '';

/** Trials read once per outcome (a resumed run parses its history once). */
const trials = new WeakMap<OperatorOutcome, Trial | null>();

/** The move an outcome made: its one changed literal against its parent; null when it changed none or several, or has no parent. */
async function trialOf(o: OperatorOutcome, files: string[], readBase: (p: string) => Promise<string | undefined>): Promise<Trial | null> {
  if (trials.has(o)) return trials.get(o)!;
  let trial: Trial | null = null;
  if (o.parentFiles) {
    const [child, parent] = [o.files(), o.parentFiles()];
    const before = await literalPool(files, async (p) => parent[p] ?? (await readBase(p)), readBase);
    const after = await literalPool(files, async (p) => child[p] ?? (await readBase(p)), readBase);
    if (before.pool.length === after.pool.length && before.pool.every((e, k) => e.key === after.pool[k].key)) {
      const changed = before.pool.flatMap((e, k) => (e.lit.value === after.pool[k].lit.value ? [] : [k]));
      if (changed.length === 1) {
        const e = before.pool[changed[0]];
        trial = { key: e.key, step: stepOf(e.lit, e.lit.value, after.pool[changed[0]].lit.value), improved: o.improved, outcome: o };
      } else if (changed.length > 1) trial = { key: PATTERN, step: 0, improved: o.improved, outcome: o };
    }
  }
  trials.set(o, trial);
  return trial;
}

/** Every literal's value in a trial's parent, by key: where the sweep that trial started began. */
async function valuesBefore(t: Trial, files: string[], readBase: (p: string) => Promise<string | undefined>): Promise<Map<string, number>> {
  const parent = t.outcome.parentFiles?.() ?? {};
  const { pool } = await literalPool(files, async (p) => parent[p] ?? (await readBase(p)), readBase);
  return new Map(pool.map((b) => [b.key, b.lit.value]));
}

/**
 * What tune's history says, folded one trial at a time: each literal's last trial, the
 * literals tried in the current sweep, where the sweep (and the pattern's base point)
 * started, and where the last complete sweep ended. A fold belongs to one history (the
 * engine's list, which only grows) and one set of literal keys, so each proposal folds only
 * the children decided since the last: a run of 100,000 does not walk them all every time.
 */
interface Fold {
  keys: Set<string>;
  signature: string;
  /** Outcomes folded so far (nulls included). */
  folded: number;
  last: Map<string, Trial>;
  sweep: Set<string>;
  /** Trials whose parent is where the current sweep, and the pattern's base point, started. */
  sweepFrom?: Trial;
  baseFrom?: Trial;
  /** After a successful pattern move the next repeats the sweep's move (measured from where that one started) twice over. */
  gain: number;
  /** The outcome that completed the last sweep, and where that sweep started. */
  sweepEnd?: { at: number; from?: Trial };
}

const folds = new WeakMap<readonly OperatorOutcome[], Fold>();

function foldTrial(f: Fold, t: Trial | null, at: number): void {
  if (!t) return;
  // After a successful pattern move the next sweep is measured from where the pattern started (Hooke–Jeeves' base point), so consecutive pattern moves compound.
  if (t.key === PATTERN) {
    f.baseFrom = t.improved ? t : undefined;
    f.gain = t.improved ? 2 : 1;
    return;
  }
  f.last.set(t.key, t);
  if (!f.keys.has(t.key)) return;
  if (f.sweep.size === 0) {
    f.sweepFrom = f.baseFrom ?? t;
    f.baseFrom = undefined;
  }
  f.sweep.add(t.key);
  if (f.sweep.size < f.keys.size) return;
  f.sweep = new Set();
  f.sweepEnd = { at, from: f.sweepFrom };
}

/** The fold of `history` for these literals, brought up to date (trials read once per outcome; the folding itself is synchronous). */
async function foldOf(
  history: readonly OperatorOutcome[],
  pool: PoolEntry[],
  files: string[],
  readBase: (p: string) => Promise<string | undefined>,
): Promise<Fold> {
  const signature = pool.map((e) => e.key).join('\n');
  let f = folds.get(history);
  if (!f || f.signature !== signature) {
    f = { keys: new Set(pool.map((e) => e.key)), signature, folded: 0, last: new Map(), sweep: new Set(), gain: 1 };
    folds.set(history, f);
  }
  const upTo = history.length;
  for (let at = f.folded; at < upTo; at++) if (!trials.has(history[at])) await trialOf(history[at], files, readBase);
  // Another proposal may have folded meanwhile: go on from where the fold is now.
  for (let at = f.folded; at < upTo; at++) foldTrial(f, trials.get(history[at]) ?? null, at);
  f.folded = Math.max(f.folded, upTo);
  return f;
}

/**
 * The literals in the order tune tries them, each with the step it takes next: the
 * literals not yet tried in this sweep first, in random order (each sweep tries every
 * literal once, in a new order), then the others. The pattern move is due right after the
 * sweep that ended on the last outcome.
 */
function schedule(pool: PoolEntry[], f: Fold, random: () => number): { steps: { entry: PoolEntry; step: number }[]; pattern?: { from: Trial; gain: number } } {
  const steps = pool
    .map((entry) => {
      const l = f.last.get(entry.key);
      // A literal not tried yet takes a Gaussian step (its scale unknown, any size may be the right one).
      const step = l ? nextStep(l) : INITIAL_STEP * gaussian(random);
      return { entry, step, rank: (f.sweep.has(entry.key) ? 1 : 0) + random() };
    })
    .sort((a, b) => a.rank - b.rank)
    .map(({ entry, step }) => ({ entry, step }));
  const due = f.sweepEnd && f.sweepEnd.at === f.folded - 1 ? f.sweepEnd.from : undefined;
  return { steps, pattern: due && { from: due, gain: f.gain } };
}

/** The program with these literals changed. */
function withValues(contents: Map<string, string>, edits: { entry: PoolEntry; value: number }[]): FileSet {
  const changes: FileSet = {};
  // From the end of each file, so earlier offsets stay valid.
  for (const { entry, value } of [...edits].sort((a, b) => b.entry.lit.start - a.entry.lit.start)) {
    const content = changes[entry.path] ?? contents.get(entry.path)!;
    changes[entry.path] = content.slice(0, entry.lit.start) + formatLiteral(entry.lit, value) + content.slice(entry.lit.end);
  }
  return changes;
}

/** `file:line old → new`, for a proposal's description. */
const moveNote = ({ entry, value }: { entry: PoolEntry; value: number }) =>
  `${entry.path}:${entry.lit.line} ${entry.lit.text} → ${formatLiteral(entry.lit, value)}`;

/** Hooke and Jeeves' pattern move: every literal again by `gain` times what the last sweep moved it (parent + gain·(parent − sweep start)), along a valley that one literal at a time only crawls. */
function patternMove(pool: PoolEntry[], { from, gain }: { from: Map<string, number>; gain: number }): { entry: PoolEntry; value: number }[] {
  return pool.flatMap((entry) => {
    const start = from.get(entry.key);
    const value = start === undefined || start === entry.lit.value ? undefined : moveBy(entry.lit, gain * stepOf(entry.lit, start, entry.lit.value));
    return value === undefined ? [] : [{ entry, value }];
  });
}

export const tune: Operator = {
  name: 'tune',
  readsHistory: true,

  async describe(problem: ProblemView): Promise<string | undefined> {
    const { found, problems } = await readLiterals(problem.editableFiles, problem.readBase);
    return literalTable(
      found.map((f) => f.literals),
      { problems, limit: 40 },
    );
  },

  async propose(ctx: OperatorContext): Promise<ProposalResult> {
    const { found, problems, pool } = await literalPool(ctx.editableFiles, ctx.readFile, ctx.readBase);
    const contents = new Map(found.map((f) => [f.literals.path, f.content]));
    if (pool.length === 0) {
      if (problems.length > 0) return { operator: 'tune', error: problems[0] };
      return {
        operator: 'tune',
        error: `tune found no literal it may change in ${ctx.editableFiles.join(', ') || 'the editable files'} (\`evoloop literals\` says why for each). Fix: name the tunable numbers as settings (\`rate = 0.3\`) or give them a hint (\`# evoloop: 0..1\`), inside EVOLVE-BLOCK-START/END if the file has such blocks; or configure a model (see \`evoloop init\`).`,
      };
    }
    const fold = await foldOf(ctx.history, pool, ctx.editableFiles, ctx.readBase);
    let draws = 0;
    let moved = 0;
    const attempt = async (entry: PoolEntry, step: number): Promise<ProposalResult | undefined> => {
      draws++;
      const value = moveBy(entry.lit, step);
      if (value === undefined) return undefined;
      moved++;
      const changes = withValues(contents, [{ entry, value }]);
      if (await ctx.taken(changes)) return undefined;
      const cost = draws > 1 ? `, ${draws} draws` : '';
      return { operator: 'tune', description: `tune (step ${step.toPrecision(2)}${cost}): ${moveNote({ entry, value })}`, changes, blind: true };
    };
    const { steps, pattern: due } = schedule(pool, fold, ctx.random);
    if (ctx.noiseSd > 0) for (const s of steps) s.step = (s.step < 0 ? -1 : 1) * Math.max(NOISY_MIN_STEP, Math.abs(s.step));
    const pattern = due ? patternMove(pool, { from: await valuesBefore(due.from, ctx.editableFiles, ctx.readBase), gain: due.gain }) : [];
    if (pattern.length > 0) {
      draws++;
      const changes = withValues(contents, pattern);
      if (!(await ctx.taken(changes))) {
        return { operator: 'tune', description: `tune (pattern move): ${pattern.map(moveNote).join('; ')}`, changes, blind: true };
      }
    }
    for (const { entry, step: first } of steps) {
      for (let k = 0, step = first; k < TRIES_PER_LITERAL && draws < DRAWS; k++, step *= CONTRACT) {
        const result = await attempt(entry, step);
        if (result) return result;
      }
    }
    // Every scheduled step was tried already (a small or exhausted space): random steps anywhere in a literal's range.
    while (draws < DRAWS) {
      const result = await attempt(pool[Math.floor(ctx.random() * pool.length)], 2 * ctx.random() - 1);
      if (result) return result;
    }
    if (moved === 0)
      return {
        operator: 'tune',
        error: 'tune could not find a literal it can move (all at the edge of their range, or their steps below what they are written with)',
      };
    throw new NothingNew(
      `nothing new in ${DRAWS} draws (${pool.length} literal${pool.length === 1 ? '' : 's'}, one at a time): each change drawn was already tried in this run`,
    );
  },
};
