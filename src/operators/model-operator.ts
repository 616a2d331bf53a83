// What llm-diff and llm-rewrite share: assemble the prompt, call a model through the
// gateway (recorded, budgeted, paused on outages), turn the reply into changed files.
import { ModelError } from '../llm/index.js';
import { checkInsideWorktree } from '../propose/edit-rules.js';
import { ideaOf } from '../propose/idea.js';
import { renderPrompt, type ReplyFormat } from '../propose/prompt.js';
import type { FileSet } from '../core/types.js';
import { CallLog, type ModelGateway } from '../llm/gateway.js';
import type { OperatorContext, ProposalResult } from './operator.js';
import { gatherPromptInput, type ProblemInfo } from './prompt-input.js';

export interface ModelOperatorDeps {
  problem: ProblemInfo;
  gateway: ModelGateway;
}

export type ReplyParser = (reply: string, ctx: OperatorContext) => Promise<{ changes: FileSet } | { error: string }>;

export async function proposeWithModel(
  deps: ModelOperatorDeps,
  ctx: OperatorContext,
  operator: string,
  format: ReplyFormat,
  parse: ReplyParser,
): Promise<ProposalResult> {
  const rendered = renderPrompt(await gatherPromptInput(deps.problem, ctx), format);
  const client = deps.gateway.pick(ctx.random);
  const log = new CallLog(deps.problem.store);
  const model = client.label;
  let reply: string;
  try {
    reply = (await deps.gateway.complete(client, { system: rendered.system, prompt: rendered.prompt, operator }, log, ctx)).text;
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    return { operator, model, error: `no usable reply from the model: ${err.message}`, cost: log.cost() };
  }
  const description = ideaOf(reply);
  const parsed = await parse(reply, ctx);
  if ('error' in parsed) return { operator, model, description, error: parsed.error, cost: log.cost() };
  for (const p of Object.keys(parsed.changes)) {
    const escape = await checkInsideWorktree(deps.problem.problemDir, p);
    if (escape) return { operator, model, description, error: escape, cost: log.cost() };
  }
  const files = Object.keys(parsed.changes).join(', ');
  return { operator, model, description: description ?? `${operator} edit of ${files}`, changes: parsed.changes, cost: log.cost() };
}
