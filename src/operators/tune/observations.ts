// What the optimizers that move every literal at once (cmaes, bayes) know of the run: each
// of their earlier candidates as a point of the literal space (tune/vector.ts) and its
// fitness, read from the candidates' files, so their state is a pure function of the run's
// history and a resumed run continues exactly. Points this process wrote itself are
// remembered, so only a resumed run pays for parsing its history, once per candidate. What
// is remembered per candidate stays small (a digest of the files, not their text; the point
// once observed), so a run of 100,000 candidates does not hold 100,000 copies of its program.
import { createHash } from 'node:crypto';
import type { FileSet } from '../../core/types.js';
import type { OperatorContext, OperatorOutcome } from '../operator.js';
import { literalSpace, pointOf, type LiteralSpace } from './vector.js';

export interface Observed {
  id: number;
  point: number[];
  /** Higher is better; null when the candidate failed or was not measured. */
  fitness: number | null;
}

type Ctx = Pick<OperatorContext, 'editableFiles' | 'readFile' | 'readBase'>;

export class Observations {
  /** Candidate id → its point (null: a program with other literals, e.g. a model changed the code). */
  private readonly points = new Map<number, number[] | null>();
  /** A digest of the files' contents → the point written into them, until its candidate is observed. */
  private readonly written = new Map<string, number[]>();

  /** Remembers a proposal's point; `changes` are over the parent the space was read from. */
  remember(space: LiteralSpace, changes: FileSet, point: number[]): void {
    this.written.set(
      key(space, (p) => changes[p] ?? space.contents.get(p)),
      point,
    );
  }

  /** The outcomes in candidate order, those of this space only. */
  async observe(outcomes: OperatorOutcome[], space: LiteralSpace, ctx: Ctx): Promise<Observed[]> {
    const sorted = outcomes.every((o, k) => k === 0 || outcomes[k - 1].candidateId < o.candidateId)
      ? outcomes
      : [...outcomes].sort((a, b) => a.candidateId - b.candidateId);
    const out: Observed[] = [];
    for (const o of sorted) {
      let point = this.points.get(o.candidateId);
      if (point === undefined) point = await this.pointOf(o.files(), space, ctx);
      this.points.set(o.candidateId, point);
      if (point) out.push({ id: o.candidateId, point, fitness: o.fitness });
    }
    return out;
  }

  private async pointOf(files: FileSet, space: LiteralSpace, ctx: Ctx): Promise<number[] | null> {
    const bases = new Map<string, string | undefined>();
    for (const p of space.contents.keys()) bases.set(p, files[p] ?? (await ctx.readBase(p)));
    const k = key(space, (p) => bases.get(p));
    const known = this.written.get(k);
    if (known) {
      this.written.delete(k); // its candidate's point is in `points` from now on
      return known;
    }
    const theirs = await literalSpace(ctx.editableFiles, async (p) => files[p] ?? (await ctx.readBase(p)), ctx.readBase);
    return theirs.signature === space.signature ? pointOf(theirs) : null;
  }
}

function key(space: LiteralSpace, content: (path: string) => string | undefined): string {
  const hash = createHash('sha256').update(space.signature);
  for (const p of space.contents.keys()) hash.update(`\0\0${p}\0`).update(content(p) ?? '');
  return hash.digest('base64');
}

/** The program's space and the point a search starts from (the base's values, when the base has the same literals). */
export async function startingPoint(ctx: Ctx): Promise<{ space: LiteralSpace; start: number[] }> {
  const space = await literalSpace(ctx.editableFiles, ctx.readFile, ctx.readBase);
  const base = await literalSpace(ctx.editableFiles, ctx.readBase);
  return { space, start: base.signature === space.signature ? pointOf(base) : pointOf(space) };
}

/** The error when there is nothing to optimize. */
export function nothingToMove(operator: string, space: LiteralSpace, files: string[]): string {
  if (space.problems.length > 0) return space.problems[0];
  const unbounded =
    space.unbounded > 0
      ? ` (${space.unbounded} literal${space.unbounded === 1 ? ' has' : 's have'} no range: give ${space.unbounded === 1 ? 'it' : 'them'} a hint, or use tune)`
      : '';
  return `${operator} found no literal with a range in ${files.join(', ') || 'the editable files'}${unbounded} (\`evoloop literals\` says why for each). Fix: name the tunable numbers as settings (\`rate = 0.3\`) or give them a hint (\`# evoloop: 0..1\`).`;
}
