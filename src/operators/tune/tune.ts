// `tune`: the offline operator. A (1+1)-evolution strategy over the numeric literals the
// parser says are settings (literals.ts): each child moves one to three of them by
// Gaussian steps within their ranges, with a step size that adapts by Rechenberg's 1/5th
// success rule, replayed from the operator's history in the store so a resumed run
// continues where it was. A change already tried in the run is never proposed again:
// tune draws anew, and after DRAWS repeats says there is nothing new (NothingNew).
import type { FileSet } from '../../core/types.js';
import { NothingNew, type Operator, type OperatorContext, type OperatorOutcome, type ProblemView, type ProposalResult } from '../operator.js';
import { fromUnit, gridUnit, snap, toUnit } from './domain.js';
import { formatLiteral, type Literal } from './literals.js';
import { literalTable } from './table.js';
import { readLiterals } from './vector.js';

const INITIAL_SIGMA = 0.2;
const MIN_SIGMA = 0.002;
const MAX_SIGMA = 1;
const GROW = 1.5;
// A success grows the step by GROW, a failure shrinks it by GROW^(-1/4): the step is
// stable exactly when one child in five succeeds.
const SHRINK = GROW ** -0.25;
/** Draws per proposal before tune says it has nothing new; each costs a hash lookup, no evaluation. */
export const DRAWS = 50;

/** The step size after replaying this operator's outcomes in order. */
export function stepSize(history: OperatorOutcome[]): number {
  let sigma = INITIAL_SIGMA;
  for (const h of history) sigma = Math.min(MAX_SIGMA, Math.max(MIN_SIGMA, sigma * (h.improved ? GROW : SHRINK)));
  return sigma;
}

function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A new value for one literal, or undefined when the step lands on the same value. */
export function perturb(lit: Literal, sigma: number, random: () => number): number | undefined {
  const d = lit.domain;
  const g = gaussian(random);
  let value: number;
  if (d.kind === 'relative') {
    // No parser, no range: a step relative to the value, as tune always did for such files.
    value = lit.value + sigma * (Math.abs(lit.value) || 1) * g;
    if (lit.integer) {
      value = Math.round(value);
      if (value === lit.value) value += g >= 0 ? 1 : -1;
    }
    // Where no sign can stand (`sleep 3`, `a - 3`), a step below zero is reflected.
    if (!lit.signed && value < 0) value = -value;
  } else {
    value = fromUnit(d, toUnit(d, lit.value) + sigma * g);
    const unit = gridUnit(d);
    // On a grid, a step too small to reach the next value still moves by one.
    if (value === lit.value && unit !== undefined) value = snap(d, lit.value + (g >= 0 ? unit : -unit));
    if (!lit.signed && value < 0) value = snap(d, -value);
  }
  return value === lit.value ? undefined : value;
}

interface PoolEntry {
  path: string;
  lit: Literal;
}

/** One draw: one to three literals moved, as the new contents of their files; undefined when none could move. */
function draw(pool: PoolEntry[], contents: Map<string, string>, sigma: number, random: () => number): { changes: FileSet; notes: string[] } | undefined {
  const count = Math.min(pool.length, random() < 0.5 ? 1 : random() < 0.6 ? 2 : 3);
  const picked = new Map<string, { lit: Literal; value: number }[]>();
  const notes: string[] = [];
  for (let attempts = 0; notes.length < count && attempts < count * 10; attempts++) {
    const { path, lit } = pool[Math.floor(random() * pool.length)];
    const edits = picked.get(path) ?? [];
    if (edits.some((e) => e.lit.start === lit.start)) continue;
    const value = perturb(lit, sigma, random);
    if (value === undefined) continue;
    edits.push({ lit, value });
    picked.set(path, edits);
    notes.push(`${path}:${lit.line} ${lit.text} → ${formatLiteral(lit, value)}`);
  }
  if (notes.length === 0) return undefined;
  const changes: FileSet = {};
  for (const [path, edits] of picked) {
    let content = contents.get(path)!;
    // Apply from the end so earlier offsets stay valid.
    for (const { lit, value } of edits.sort((a, b) => b.lit.start - a.lit.start)) {
      content = content.slice(0, lit.start) + formatLiteral(lit, value) + content.slice(lit.end);
    }
    changes[path] = content;
  }
  return { changes, notes };
}

export const tune: Operator = {
  name: 'tune',

  async describe(problem: ProblemView): Promise<string | undefined> {
    const { found, problems } = await readLiterals(problem.editableFiles, problem.readBase);
    return literalTable(
      found.map((f) => f.literals),
      { problems, limit: 40 },
    );
  },

  async propose(ctx: OperatorContext): Promise<ProposalResult> {
    const { found, problems } = await readLiterals(ctx.editableFiles, ctx.readFile, ctx.readBase);
    const contents = new Map(found.map((f) => [f.literals.path, f.content]));
    const pool = found.flatMap((f) => f.literals.movable.map((lit) => ({ path: f.literals.path, lit })));
    if (pool.length === 0) {
      if (problems.length > 0) return { operator: 'tune', error: problems[0] };
      return {
        operator: 'tune',
        error: `tune found no literal it may change in ${ctx.editableFiles.join(', ') || 'the editable files'} (\`evoloop literals\` says why for each). Fix: name the tunable numbers as settings (\`rate = 0.3\`) or give them a hint (\`# evoloop: 0..1\`), inside EVOLVE-BLOCK-START/END if the file has such blocks; or configure a model (see \`evoloop init\`).`,
      };
    }
    const sigma = stepSize(ctx.history);
    let moved = 0;
    for (let n = 1; n <= DRAWS; n++) {
      const drawn = draw(pool, contents, sigma, ctx.random);
      if (!drawn) continue;
      moved++;
      if (await ctx.taken(drawn.changes)) continue;
      const cost = n > 1 ? `, ${n} draws` : '';
      return { operator: 'tune', description: `tune (σ=${sigma.toPrecision(2)}${cost}): ${drawn.notes.join('; ')}`, changes: drawn.changes, blind: true };
    }
    if (moved === 0) return { operator: 'tune', error: 'tune could not find a literal it can move (all at the edge of their range)' };
    throw new NothingNew(`nothing new in ${DRAWS} draws (σ=${sigma.toPrecision(2)}): each change drawn was already tried in this run`);
  },
};
