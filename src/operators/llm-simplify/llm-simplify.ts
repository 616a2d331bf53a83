// `llm-simplify`: the model rewrites one editable file shorter and clearer with the same
// behaviour. The population accepts it when the program got smaller and the objective is not
// significantly worse (evaluate/acceptance.ts decideSimplify), not only when it improved.
import { llmRewriteTarget, rewriteOf } from '../llm-rewrite/llm-rewrite.js';
import { proposeWithModel, type ModelOperatorDeps } from '../model-operator.js';
import type { Operator, ProposalResult } from '../operator.js';

export const SIMPLIFY_ASK =
  'Make the program shorter and clearer with exactly the same behaviour: remove dead code, duplication and needless complexity; do not trade the objective for brevity. ' +
  'It is kept only if the editable files get smaller and the objective is not significantly worse.';

export function llmSimplify(deps: ModelOperatorDeps): Operator {
  return {
    name: 'llm-simplify',
    async propose(ctx): Promise<ProposalResult> {
      const target = await llmRewriteTarget(ctx);
      if (!target) return { operator: 'llm-simplify', error: 'no editable file exists to simplify; check the `edit` globs' };
      return proposeWithModel(deps, ctx, 'llm-simplify', { kind: 'rewrite', path: target.path }, rewriteOf(target), { ask: SIMPLIFY_ASK });
    },
  };
}
