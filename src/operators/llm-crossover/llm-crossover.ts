// `llm-crossover`: the model sees two parents (from different cells or islands) with their
// scores and verifier feedback, and is asked to combine their strengths into one program,
// written as SEARCH/REPLACE edits of the first parent.
import { parseDiff } from '../llm-diff/llm-diff.js';
import { proposeWithModel, type ModelOperatorDeps } from '../model-operator.js';
import { NothingNew, type Operator } from '../operator.js';

export function llmCrossover(deps: ModelOperatorDeps): Operator {
  return {
    name: 'llm-crossover',
    parents: 2,
    async propose(ctx) {
      const [a, b] = ctx.parents;
      if (!b) throw new NothingNew('llm-crossover needs two parents, and the strategy gave one (use search.strategy: islands)');
      const ask =
        `Combine the strengths of two parents into one program that improves the objective: the current program (candidate #${a.id}, score ${a.score ?? 'not measured'}) ` +
        `and the second parent (candidate #${b.id}, score ${b.score ?? 'not measured'}). Keep what makes each of them good, judging by their scores and feedback, and drop what holds either back.`;
      return proposeWithModel(deps, ctx, 'llm-crossover', { kind: 'diff' }, parseDiff, { ask, second: true });
    },
  };
}
