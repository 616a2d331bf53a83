// The default offline operator: with no model, no agent and no `operators:`, the run uses
// the optimizer that suits the problem, chosen when the run starts (from the literals the
// base has and the budget) and said in the run-start line. A resumed run keeps the choice
// its candidates were made with. `operators:` chooses explicitly.
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { MAX_LITERALS } from './bayes/bayes.js';
import type { Operator, OperatorContext, ProblemView } from './operator.js';
import { literalSpace } from './tune/vector.js';

export type OfflineName = 'tune' | 'cmaes' | 'bayes';

/** Most evaluations for which bayes is the default: its model's cost grows with the points, and bench/tune shows cmaes ahead by then. */
export const BAYES_BUDGET = 150;
/**
 * Evaluations per literal from which cmaes is the default on a noiseless verifier: it needs
 * generations to learn its covariance, and below this bench/tune has tune's (1+1) steps
 * ahead (crossover at about 80–120 per literal at 6-D, 35–50 at 20-D; circle packing's 10
 * literals: tune 2.497 vs cmaes 2.319 after 300, bench/tune medians of 20 and 50 seeds).
 */
export const CMAES_PER_LITERAL = 50;

export interface OfflineProblem {
  /** Literals with a range (a hint or an inferred one). */
  bounded: number;
  /** Literals only tune's relative steps can move (no parser, no hint). */
  unbounded: number;
  /** Candidates the run may make, when the config bounds them. */
  candidates?: number;
  /** Whether a score stage is measured more than once (the verifier is noisy): tune's greedy steps stall on noise, cmaes's do not. */
  noisy?: boolean;
}

/** Which offline operator suits the problem, and why (for the run-start line). */
export function chooseOffline(p: OfflineProblem): { name: OfflineName; why: string } {
  const literals = `${p.bounded} literal${p.bounded === 1 ? '' : 's'} with a range`;
  if (p.bounded === 0) return { name: 'tune', why: 'no literal has a range, so only relative steps can move them' };
  if (p.unbounded > p.bounded) return { name: 'tune', why: `${p.unbounded} of ${p.bounded + p.unbounded} literals have no range (no parser for their file)` };
  if (p.bounded <= MAX_LITERALS && p.candidates !== undefined && p.candidates <= BAYES_BUDGET) {
    return {
      name: 'bayes',
      why: `${literals} (≤ ${MAX_LITERALS}) and a budget of ${p.candidates} candidates (≤ ${BAYES_BUDGET}): a model of the objective spends few evaluations`,
    };
  }
  if (p.candidates !== undefined && p.candidates < CMAES_PER_LITERAL * p.bounded && !p.noisy) {
    return {
      name: 'tune',
      why: `${literals} and a budget of ${p.candidates} candidates (< ${CMAES_PER_LITERAL} per literal, on a verifier measured once): too few for CMA-ES to learn its covariance; tune's steps gain sooner`,
    };
  }
  const budget = p.candidates === undefined ? 'no candidate budget' : `a budget of ${p.candidates} candidates`;
  return { name: 'cmaes', why: `${literals} and ${budget}${p.noisy ? ' on a repeated (noisy) score' : ''}: CMA-ES moves them all at once` };
}

/** An operator that becomes the chosen one when the run describes the problem (before its first proposal). */
export function offlineChoice(config: Config, store: Store, runId: string, build: (name: OfflineName) => Operator, maxCandidates?: number): Operator {
  let chosen: Operator | undefined;
  const earlier = (): OfflineName | undefined => {
    const used = store.listCandidates(runId, { limit: 1, order: 'desc' }).find((c) => c.operator !== 'baseline')?.operator;
    return used === 'tune' || used === 'cmaes' || used === 'bayes' ? used : undefined;
  };
  const choose = async (problem: ProblemView): Promise<string> => {
    const space = await literalSpace(problem.editableFiles, problem.readBase);
    const resumed = earlier();
    const pick = resumed
      ? { name: resumed, why: 'the operator this run was started with' }
      : chooseOffline({
          bounded: space.coords.length,
          unbounded: space.unbounded,
          candidates: maxCandidates ?? config.budget.candidates,
          noisy: config.verifier.stages.some((stage) => stage.kind === 'score' && stage.repeat > 1),
        });
    chosen = build(pick.name);
    return `Offline operator: ${pick.name} (${pick.why}). Choose another with \`operators:\` (tune, cmaes, bayes).`;
  };
  return {
    get name() {
      return chosen?.name ?? 'tune';
    },
    readsHistory: true, // tune, cmaes and bayes all do
    async describe(problem: ProblemView) {
      const line = await choose(problem);
      return [line, await chosen!.describe?.(problem)].filter(Boolean).join('\n');
    },
    async propose(ctx: OperatorContext) {
      if (!chosen) await choose({ editableFiles: ctx.editableFiles, readBase: ctx.readBase });
      return chosen!.propose(ctx);
    },
  };
}
