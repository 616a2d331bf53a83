// Which operators a run uses, and how often each is picked; which models they call.
// planOperators is pure and runs before a run is created, so a config that asks for a
// model or agent it does not have is refused (exit 2) with nothing changed.
import type { Config } from '../config/schema.js';
import { UsageError } from '../core/errors.js';
import { protectedEntries, protectedTrees } from '../evaluate/integrity.js';
import { toSpec } from '../llm/choose-model.js';
import { ModelGateway, type PauseOptions } from '../llm/gateway.js';
import { createModelClient, detectModelFromEnv, ModelError, parseModelFlag, priceFor, type BackoffOptions, type ModelSpec } from '../llm/index.js';
import { editRulesFor, protectedBy } from '../propose/edit-rules.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';
import { agentOperator } from './agent/agent.js';
import { bayes } from './bayes/bayes.js';
import { cmaes } from './cmaes/cmaes.js';
import { llmDiff } from './llm-diff/llm-diff.js';
import { llmRewrite } from './llm-rewrite/llm-rewrite.js';
import { ProposalBandits, type Outcome } from './bandits.js';
import { llmCrossover } from './llm-crossover/llm-crossover.js';
import { llmSimplify } from './llm-simplify/llm-simplify.js';
import { mergeOperator } from './merge/merge.js';
import { MetaLessons } from './meta-lessons.js';
import { offlineChoice } from './offline-choice.js';
import type { Operator, ProblemView } from './operator.js';
import type { IslandChooser } from '../population/islands/island-choice.js';
import { islandSettings } from '../population/islands/settings.js';
import { tune } from './tune/tune.js';

export interface OperatorSet {
  /** The operators' names (the default offline one's once the run has described the problem). */
  readonly names: string[];
  /** One line for the user about how proposals are made (e.g. no model configured). */
  notice?: string;
  /** The operator of the next proposal: the operator bandit's choice, the configured weights as its prior; another than `except` when there is one. */
  pick(random: () => number, except?: string): Operator;
  /** Whether the operator of this name reads its earlier outcomes (Operator.readsHistory): the engine keeps them only then. */
  readsHistory(name: string): boolean;
  /** Feeds a decided candidate to the bandits (operators, models, prompt styles, islands). */
  observe(c: Outcome): void;
  /** Which island the next proposal goes to (islands strategy): the island bandit's pick among the least busy. */
  chooseIsland: IslandChooser;
  /** What the operators will do in this problem (tune: the literals it moves), for the run-start line. */
  describe(problem: ProblemView): Promise<string | undefined>;
}

/** Model settings from outside the config: CLI flags, the environment, test knobs. */
export interface ModelOptions {
  /** `--model provider:name` */
  model?: string;
  /** `--base-url URL` */
  baseUrl?: string;
  env?: NodeJS.ProcessEnv;
  backoff?: BackoffOptions;
  pause?: PauseOptions;
}

export interface OperatorPlan {
  weights: Partial<Record<string, number>>;
  models: ModelSpec[];
  notice?: string;
}

/** The operator mix with a model and no `operators:` key. */
export const MODEL_DEFAULT_WEIGHTS = { 'llm-diff': 0.7, 'llm-rewrite': 0.3 };
const MODEL_OPERATORS = ['llm-diff', 'llm-rewrite', 'llm-crossover', 'llm-simplify'];
/** Operators that combine two parents, and the strategies that give two. */
const TWO_PARENT_OPERATORS = ['merge', 'llm-crossover'];
const TWO_PARENT_STRATEGIES: string[] = ['islands'];
const NO_MODEL_NOTICE =
  'No model configured: using an offline optimizer of the numeric literals (the next line says which). To use a language model, set `model:` in evoloop.yaml, pass --model openai:NAME (with --base-url for a local server), or pass --model auto to use OPENAI_API_KEY / ANTHROPIC_API_KEY.';

/** A key in the environment is never used on its own (it would start paid calls from an "offline" run); the notice says how. */
function unusedKeyNotice(env: NodeJS.ProcessEnv): string | undefined {
  const found = detectModelFromEnv(env);
  if (!found) return undefined;
  return `${found.apiKeyEnv} is set but not used: pass --model auto (or set \`model: auto\` in evoloop.yaml) to propose with ${found.provider}:${found.name} (paid calls), or --model ${found.provider}:NAME for another model.`;
}

/** The operator mix and the models; throws UsageError naming the missing key. */
export function planOperators(config: Config, opts: ModelOptions = {}): OperatorPlan {
  const env = opts.env ?? process.env;
  const { models, notice: modelNotice } = resolveModels(config, opts, env);
  const weights: Partial<Record<string, number>> = config.operators ?? (models.length > 0 ? MODEL_DEFAULT_WEIGHTS : config.agent ? { agent: 1 } : { tune: 1 });
  const used = Object.entries(weights).filter(([, w]) => (w ?? 0) > 0);
  if (used.length === 0)
    throw new UsageError('operators: every weight is 0, so nothing can propose a change. Fix: give at least one operator a weight above 0.');
  for (const [name] of used) {
    if (MODEL_OPERATORS.includes(name) && models.length === 0) {
      throw new UsageError(
        `operators.${name} needs a model, but none is configured. Fix: set \`model:\` (provider, name) in evoloop.yaml, pass --model openai:NAME, or pass --model auto with OPENAI_API_KEY / ANTHROPIC_API_KEY set.`,
      );
    }
    if (TWO_PARENT_OPERATORS.includes(name) && !TWO_PARENT_STRATEGIES.includes(config.search.strategy)) {
      throw new UsageError(
        `operators.${name} combines two parents, but search.strategy ${config.search.strategy} gives one. Fix: use search.strategy: islands, or remove ${name} from operators.`,
      );
    }
    if (name === 'agent' && !config.agent) {
      throw new UsageError(
        'operators.agent needs `agent.run` (the agent command) in evoloop.yaml. Fix: add `agent: {run: "<command>"}`, or remove agent from operators.',
      );
    }
  }
  for (const spec of models) {
    try {
      createModelClient(spec, env);
    } catch (err) {
      if (err instanceof ModelError) throw new UsageError(`${err.message}. Nothing was started.`);
      throw err;
    }
  }
  const offline = models.length === 0 && used.length === 1 && used[0][0] === 'tune';
  const notices = [offline && !config.operators ? NO_MODEL_NOTICE : modelNotice, offline ? unusedKeyNotice(env) : undefined];
  const unpriced = models.filter((m) => !priceFor(m)).map((m) => `${m.provider}:${m.name}`);
  if (config.budget.usd !== undefined && unpriced.length > 0) {
    notices.push(
      `budget.usd is set but ${unpriced.join(', ')} has no known price, so its calls count as $0. Fix: set model.price (input_per_mtok, output_per_mtok).`,
    );
  }
  if (models.length > 0 && !modelNotice) notices.push(`Proposing with ${models.map((m) => `${m.provider}:${m.name}`).join(', ')}.`);
  return { weights, models, notice: notices.filter(Boolean).join('\n') || undefined };
}

function resolveModels(config: Config, opts: ModelOptions, env: NodeJS.ProcessEnv): { models: ModelSpec[]; notice?: string } {
  if (opts.model === 'auto' || (!opts.model && config.model === 'auto')) return autoModel(opts, env);
  const configured = config.models ?? (config.model && config.model !== 'auto' ? [config.model] : []);
  if (opts.model) {
    let flag: ModelSpec;
    try {
      flag = parseModelFlag(opts.model, opts.baseUrl);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    // The same model in the config keeps its settings (price, max_tokens, timeout); the flag picks it.
    const same = configured.find((m) => m.provider === flag.provider && m.name === flag.name);
    return { models: [same ? toSpec(same, opts.baseUrl) : flag] };
  }
  if (configured.length > 0) {
    if (opts.baseUrl && configured.length > 1)
      throw new UsageError('--base-url applies to one model, but `models` lists several. Fix: set base_url per model in evoloop.yaml.');
    return { models: configured.map((m) => toSpec(m, opts.baseUrl)) };
  }
  if (opts.baseUrl) throw new UsageError('--base-url needs a model. Fix: add --model openai:NAME (or set `model:` in evoloop.yaml).');
  return { models: [] };
}

/** `--model auto` / `model: auto`: the provider whose API key is set (OpenAI first), with its default model. */
function autoModel(opts: ModelOptions, env: NodeJS.ProcessEnv): { models: ModelSpec[]; notice: string } {
  const detected = detectModelFromEnv(env);
  const asked = opts.model === 'auto' ? '--model auto' : 'model: auto';
  if (!detected) {
    throw new UsageError(
      `${asked} uses the API key in OPENAI_API_KEY or ANTHROPIC_API_KEY, and neither is set. Fix: export one of them, or name the model (--model openai:NAME --base-url URL for a local server).`,
    );
  }
  const spec = opts.baseUrl ? { ...detected, baseUrl: opts.baseUrl } : detected;
  return {
    models: [spec],
    notice: `Using ${spec.provider}:${spec.name} because ${detected.apiKeyEnv} is set and ${asked} asks for it (choose another with --model or \`model:\` in evoloop.yaml).`,
  };
}

export interface OperatorDeps extends ModelOptions {
  store: Store;
  runId: string;
  problemDir: string;
  configFile?: string;
  workspace: Workspace;
  /** For notices such as "the model is down: proposals paused". */
  notice: (message: string) => void;
  /** CLI --max-candidates, which overrides budget.candidates (the default offline operator weighs the budget). */
  maxCandidates?: number;
}

export function selectOperators(config: Config, deps: OperatorDeps): OperatorSet {
  const plan = planOperators(config, deps);
  // A copy: the run may scrub secrets from process.env once the operators hold what they need.
  const env = { ...(deps.env ?? process.env) };
  const problem = {
    store: deps.store,
    runId: deps.runId,
    config,
    problemDir: deps.problemDir,
    configFile: deps.configFile,
    baseFiles: () => deps.workspace.baseFiles(),
  };
  const used = Object.entries(plan.weights).filter(([, w]) => (w ?? 0) > 0) as [string, number][];
  const islands = config.search.strategy === 'islands' ? islandSettings(config.search).islands : 0;
  const bandits = new ProposalBandits(
    Object.fromEntries(used),
    Object.fromEntries(plan.models.map((m) => [`${m.provider}:${m.name}`, m.weight ?? 1])),
    islands,
  );
  const gateway =
    plan.models.length > 0
      ? new ModelGateway({
          store: deps.store,
          runId: deps.runId,
          clients: plan.models.map((m) => createModelClient(m, env, deps.backoff)),
          budgetUsd: config.budget.usd,
          notice: deps.notice,
          pause: deps.pause,
          chooser: bandits.models,
        })
      : undefined;
  const every = config.lessons?.summarize_every;
  const metaLessons =
    gateway && every
      ? new MetaLessons({
          store: deps.store,
          runId: deps.runId,
          gateway,
          every,
          goal: config.objective.goal,
          objective: config.objective.metric ?? config.objective.expr ?? '',
        })
      : undefined;
  const model = () => ({ problem, gateway: gateway!, styles: bandits.styles, metaLessons });
  const build: Record<string, () => Operator> = {
    tune: () => tune,
    cmaes: () => cmaes(),
    bayes: () => bayes(),
    'llm-diff': () => llmDiff(model()),
    'llm-rewrite': () => llmRewrite(model()),
    'llm-crossover': () => llmCrossover(model()),
    'llm-simplify': () => llmSimplify(model()),
    merge: () => mergeOperator({ store: deps.store, goal: config.objective.goal }),
    agent: () => agentOperator({ problem, workspace: deps.workspace, agent: config.agent!, env, protectedPaths: () => protectedOf(config, deps) }),
  };
  // The default offline operator (no model, no agent, no \`operators:\`) becomes tune, cmaes or bayes when the run describes the problem.
  const offline = plan.models.length === 0 && !config.operators && !config.agent;
  const items = offline
    ? [{ item: offlineChoice(config, deps.store, deps.runId, (name) => build[name](), deps.maxCandidates), weight: 1 }]
    : used.map(([name, weight]) => ({ item: build[name](), weight }));
  const byName = new Map(items.map((i) => [i.item.name, i.item]));
  return {
    get names() {
      return items.map((i) => i.item.name);
    },
    notice: plan.notice,
    // The default offline operator is the only one, and its name is only known once chosen: no bandit to ask.
    pick: (random, except) => {
      if (offline) return items[0].item;
      const others = items.map((i) => i.item.name).filter((n) => n !== except);
      return byName.get(bandits.operators.choose(random, except !== undefined && others.length > 0 ? others : undefined))!;
    },
    readsHistory: (name) => (offline ? true : byName.get(name)?.readsHistory === true),
    observe: (c) => bandits.observe(c),
    chooseIsland: bandits.chooseIsland,
    describe: async (problem) => (await Promise.all(items.map((i) => i.item.describe?.(problem)))).filter(Boolean).join('\n') || undefined,
  };
}

/** The problem's protected trees and files (problem-relative), for the agent's read-only binds. */
function protectedOf(config: Config, deps: OperatorDeps): string[] {
  const rules = editRulesFor(config, deps.problemDir, deps.configFile);
  const files = deps.workspace.baseFiles();
  const guarded = files.filter((f) => protectedBy(f, rules) !== undefined);
  return protectedEntries(guarded, protectedTrees(guarded, files));
}
