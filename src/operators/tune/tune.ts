// `tune`: the offline operator. A (1+1)-evolution strategy over the numeric literals of
// the editable region: each child perturbs one to three literals with Gaussian steps
// whose size adapts by Rechenberg's 1/5th success rule. The step size is replayed from
// the operator's history in the store, so a resumed run continues where it was.
import type { Operator, OperatorContext, OperatorOutcome, ProposalResult } from '../operator.js';
import { findLiterals, formatLiteral, type Literal } from './literals.js';

const INITIAL_SIGMA = 0.2;
const MIN_SIGMA = 0.002;
const MAX_SIGMA = 1;
const GROW = 1.5;
// A success grows the step by GROW, a failure shrinks it by GROW^(-1/4): the step is
// stable exactly when one child in five succeeds.
const SHRINK = GROW ** -0.25;

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
  const scale = lit.range ? lit.range[1] - lit.range[0] : Math.abs(lit.value) || 1;
  const step = sigma * scale * gaussian(random);
  let value = lit.value + step;
  if (lit.integer) {
    value = Math.round(value);
    if (value === lit.value) value += step >= 0 ? 1 : -1;
  }
  // Where no sign can stand (`sleep 3`, `a - 3`), a literal stays non-negative: a step below
  // zero is reflected, so the edit stays valid in any language.
  if (!lit.signed && value < 0) value = -value;
  if (lit.range) value = Math.min(lit.range[1], Math.max(lit.range[0], value));
  return value === lit.value ? undefined : value;
}

export const tune: Operator = {
  name: 'tune',
  async propose(ctx: OperatorContext): Promise<ProposalResult> {
    const files = new Map<string, string>();
    const pool: { path: string; lit: Literal }[] = [];
    for (const path of ctx.editableFiles) {
      const content = await ctx.readFile(path);
      if (content === undefined) continue;
      let literals: Literal[];
      try {
        literals = findLiterals(content);
      } catch (err) {
        return { operator: 'tune', error: `${path}: ${(err as Error).message}` };
      }
      files.set(path, content);
      for (const lit of literals) pool.push({ path, lit });
    }
    if (pool.length === 0) {
      return {
        operator: 'tune',
        error: `tune found no numeric literals to change in ${ctx.editableFiles.join(', ') || 'the editable files'}. Fix: put the tunable numbers inside EVOLVE-BLOCK-START/END, or configure a model (see \`evoloop init\`).`,
      };
    }
    const sigma = stepSize(ctx.history);
    const count = Math.min(pool.length, ctx.random() < 0.5 ? 1 : ctx.random() < 0.6 ? 2 : 3);
    const picked = new Map<string, { lit: Literal; value: number }[]>();
    const notes: string[] = [];
    for (let attempts = 0; notes.length < count && attempts < count * 10; attempts++) {
      const { path, lit } = pool[Math.floor(ctx.random() * pool.length)];
      const edits = picked.get(path) ?? [];
      if (edits.some((e) => e.lit.start === lit.start)) continue;
      const value = perturb(lit, sigma, ctx.random);
      if (value === undefined) continue;
      edits.push({ lit, value });
      picked.set(path, edits);
      notes.push(`${path}:${lit.line} ${lit.value} → ${formatLiteral(lit, value)}`);
    }
    if (notes.length === 0) return { operator: 'tune', error: 'tune could not find a literal it can move (all at the edge of their range)' };
    const changes: Record<string, string> = {};
    for (const [path, edits] of picked) {
      let content = files.get(path)!;
      // Apply from the end so earlier offsets stay valid.
      for (const { lit, value } of edits.sort((a, b) => b.lit.start - a.lit.start)) {
        content = content.slice(0, lit.start) + formatLiteral(lit, value) + content.slice(lit.end);
      }
      changes[path] = content;
    }
    return { operator: 'tune', description: `tune (σ=${sigma.toPrecision(2)}): ${notes.join('; ')}`, changes };
  },
};
