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
import type { Bandit } from '../core/bandit.js';
import type { MetaLessons } from './meta-lessons.js';
import { PROMPT_STYLES, type PromptStyle } from './styles.js';

export interface ModelOperatorDeps {
  problem: ProblemInfo;
  gateway: ModelGateway;
  /** Picks the prompt style of a styled proposal (the run's style bandit); unstyled without it. */
  styles?: Pick<Bandit, 'choose'>;
  /** `lessons.summarize_every`: the scratchpad shown in every prompt. */
  metaLessons?: MetaLessons;
}

/** What to ask for: a prompt style (llm-diff, llm-rewrite), or a fixed task (`ask`), optionally with the second parent shown. */
export interface ModelAsk {
  styled?: boolean;
  ask?: string;
  second?: boolean;
}

export type ReplyParser = (reply: string, ctx: OperatorContext) => Promise<{ changes: FileSet } | { error: string }>;

export async function proposeWithModel(
  deps: ModelOperatorDeps,
  ctx: OperatorContext,
  operator: string,
  format: ReplyFormat,
  parse: ReplyParser,
  how: ModelAsk = {},
): Promise<ProposalResult> {
  const input = await gatherPromptInput(deps.problem, ctx, { second: how.second });
  const style = how.styled ? (deps.styles?.choose(ctx.random) as PromptStyle | undefined) : undefined;
  const scratchpad = await deps.metaLessons?.scratchpad(input.lessons, ctx);
  const rendered = renderPrompt({ ...input, ask: style ? PROMPT_STYLES[style] : how.ask, scratchpad }, format);
  const client = deps.gateway.pick(ctx.random);
  const log = new CallLog(deps.problem.store);
  const model = client.label;
  let reply: string;
  try {
    reply = (await deps.gateway.complete(client, { system: rendered.system, prompt: rendered.prompt, operator }, log, ctx)).text;
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    return { operator, model, style, error: `no usable reply from the model: ${err.message}`, cost: log.cost() };
  }
  const description = ideaOf(reply);
  const parsed = await parse(reply, ctx);
  if ('error' in parsed) return { operator, model, style, description, error: parsed.error, cost: log.cost() };
  for (const p of Object.keys(parsed.changes)) {
    const escape = await checkInsideWorktree(deps.problem.problemDir, p);
    if (escape) return { operator, model, style, description, error: escape, cost: log.cost() };
  }
  const files = Object.keys(parsed.changes).join(', ');
  return { operator, model, style, description: description ?? `${operator} edit of ${files}`, changes: parsed.changes, cost: log.cost() };
}
