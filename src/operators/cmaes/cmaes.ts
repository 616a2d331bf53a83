// `cmaes`: CMA-ES over the bounded numeric literals tune finds (tune/vector.ts), every
// literal at once. Its state is never stored: it is replayed from this operator's earlier
// candidates in the run (their literal values, read from their files, and their scores),
// generation by generation in candidate order, so a resumed run proposes exactly what the
// uninterrupted one would have. Candidates still being measured belong to the generation
// in progress; a generation is told once λ of its points have a verdict.
import { NothingNew, type Operator, type OperatorContext, type ProblemView, type ProposalResult } from '../operator.js';
import { nothingToMove, Observations, startingPoint, type Observed } from '../tune/observations.js';
import { literalTable } from '../tune/table.js';
import { DRAWS } from '../tune/tune.js';
import { gridUnit } from '../tune/domain.js';
import { describeChanges, distanceToNextValue, readLiterals, resolutionAt, writePoint, type LiteralSpace } from '../tune/vector.js';
import { initialState, margin, mirror, sample, tell, type CmaState } from './strategy.js';

/** The gap function of the margin for a space. */
function gaps(space: LiteralSpace) {
  return (i: number, u: number) => distanceToNextValue(space.coords[i], u);
}

/** Replays generations from `from` (a state after `consumed` observations). */
function replay(from: CmaState, observed: Observed[], space: LiteralSpace): { state: CmaState; consumed: number } {
  let state = from;
  let k = 0;
  while (observed.length - k >= state.lambda) {
    const generation = observed.slice(k, k + state.lambda);
    state = tell(
      state,
      generation.map((o) => o.point),
      generation.map((o) => o.fitness),
      margin(state, gaps(space)),
      (i, u) => ({ size: resolutionAt(space.coords[i], u), grid: gridUnit(space.coords[i].range) !== undefined }),
    );
    k += generation.length;
  }
  return { state, consumed: k };
}

function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A cmaes operator; it keeps a cache of what it replayed (a pure function of the run's history, so a new one replays the same). */
export function cmaes(): Operator {
  const observations = new Observations();
  let memo: { key: string; ids: number[]; state: CmaState } | undefined;

  return {
    name: 'cmaes',
    readsHistory: true,

    async describe(problem: ProblemView) {
      const { found, problems } = await readLiterals(problem.editableFiles, problem.readBase);
      return literalTable(
        found.map((f) => f.literals),
        { problems, limit: 40, operator: 'cmaes' },
      );
    },

    async propose(ctx: OperatorContext): Promise<ProposalResult> {
      const { space, start } = await startingPoint(ctx);
      if (space.coords.length === 0) return { operator: 'cmaes', error: nothingToMove('cmaes', space, ctx.editableFiles) };
      const observed = await observations.observe(ctx.history, space, ctx);
      const key = `${ctx.runId}\0${space.signature}\0${start.join(',')}`;
      const ids = observed.map((o) => o.id);
      const reuse = memo && memo.key === key && memo.ids.every((id, k) => ids[k] === id);
      const { state, consumed } = reuse ? replay(memo!.state, observed.slice(memo!.ids.length), space) : replay(initialState(start), observed, space);
      memo = { key, ids: ids.slice(0, (reuse ? memo!.ids.length : 0) + consumed), state };

      const A = margin(state, gaps(space));
      const restarted = state.restartReason && state.generation === 0 ? `, restarted: ${state.restartReason}` : '';
      const at = `restart ${state.restart}, generation ${state.generation}, λ=${state.lambda}, σ=${state.sigma.toPrecision(2)}${restarted}`;
      for (let n = 1; n <= DRAWS; n++) {
        const u = sample(state, A, gaussian(ctx.random)).map(mirror);
        const { changes, notes, written } = writePoint(space, u);
        if (notes.length === 0 || (await ctx.taken(changes))) continue;
        observations.remember(space, changes, written);
        const cost = n > 1 ? `, ${n} draws` : '';
        return { operator: 'cmaes', description: `cmaes (${at}${cost}): ${describeChanges(notes)}`, changes, blind: true };
      }
      throw new NothingNew(`nothing new in ${DRAWS} draws (${at}): each point drawn was already tried in this run`);
    },
  };
}
