// OpenEvolve's config.yaml → evoloop.yaml. Every key of the source is accounted for: translated,
// listed as having no evoloop meaning, or listed as having no effect in OpenEvolve itself (keys
// its Config declares that none of its code reads), so nothing is dropped silently.

export interface EvaluatorShape {
  /** The cascade functions evaluator.py defines, in order (evaluate_stage1…3). */
  cascade: string[];
  hasEvaluate: boolean;
}

export interface MappedConfig {
  /** The evoloop config, as plain data for YAML. */
  config: Record<string, unknown>;
  /** Source keys (dotted) with no evoloop meaning, each with why or what to do. */
  untranslated: string[];
  /** Source keys that OpenEvolve declares but never reads. */
  noEffect: string[];
  /** Models written as a comment only (--offline), for the user to enable. */
  offlineModels?: unknown[];
}

/** Keys OpenEvolve's Config declares but none of its code reads (checked against OpenEvolve 0.2.x sources). */
const NO_EFFECT = new Set([
  'evaluator.cpu_limit',
  'evaluator.memory_limit_mb',
  'evaluator.distributed',
  'evaluator.enable_artifacts',
  'evaluator.max_artifact_storage',
  'database.diversity_metric',
  'database.in_memory',
  'prompt.use_meta_prompting',
  'prompt.meta_prompt_weight',
]);

/** Why a key has no evoloop meaning, where a reason helps. */
const NO_MEANING: Record<string, string> = {
  checkpoint_interval: 'evoloop records every step in its store and resumes exactly',
  log_level: 'evoloop prints progress; --json prints events',
  log_dir: 'everything is in .evoloop/evoloop.db',
  language: 'evoloop reads the language from the file',
  file_suffix: 'the program keeps its own name',
  max_code_length: 'edit rules and EVOLVE-BLOCKs bound what may change',
  diff_pattern: 'evoloop parses SEARCH/REPLACE blocks itself',
  'llm.top_p': 'not configurable in evoloop',
  'llm.retry_delay': 'evoloop backs off by itself (Retry-After aware)',
  'llm.api_key': 'never copied into a config: put the key in the environment (OPENAI_API_KEY)',
  'llm.evaluator_models': 'use a judge stage for model-scored fitness',
  'evaluator.max_retries': 'evoloop re-measures through its acceptance rule instead',
  'evaluator.use_llm_feedback': 'use a judge stage for model-scored fitness',
  'evaluator.llm_feedback_weight': 'use a judge stage and an objective expression',
  'database.db_path': 'everything is in .evoloop/evoloop.db',
  'database.log_prompts': 'every model call is recorded',
  'database.population_size': 'evoloop keeps every candidate',
  'database.archive_size': 'no archive size in evoloop',
  'database.elite_selection_ratio': 'no equivalent',
  'database.exploration_ratio': 'no equivalent yet',
  'database.exploitation_ratio': 'no equivalent yet',
  'database.feature_dimensions': "evoloop's MAP-Elites bins are fixed from a declared range: add search.features with range: [lo, hi] for each",
  'database.feature_bins': 'give bins per feature in search.features',
  'database.diversity_reference_size': 'no equivalent',
  'database.artifacts_base_path': 'artifacts are kept under .evoloop/',
  'database.artifact_size_threshold': 'no equivalent',
  'database.cleanup_old_artifacts': 'no equivalent',
  'database.artifact_retention_days': 'no equivalent',
  'database.embedding_model': 'no equivalent',
  'database.similarity_threshold': 'no equivalent',
  'database.random_seed': 'search.seed is set from random_seed',
  'database.num_islands': 'set search.strategy: islands and search.islands when that strategy is available',
  'database.migration_interval': 'search.migration.interval with the islands strategy',
  'database.migration_rate': 'search.migration.rate (a count, not a fraction) with the islands strategy',
  'prompt.template_dir': "evoloop's prompts are its own",
  'prompt.evaluator_system_message': 'use a judge stage',
  'prompt.num_top_programs': 'no equivalent',
  'prompt.num_diverse_programs': 'no equivalent',
  'prompt.use_template_stochasticity': 'no equivalent',
  'prompt.template_variations': 'no equivalent',
  'prompt.include_artifacts': 'feedback from the stages always reaches the prompt, capped',
  'prompt.max_artifact_bytes': 'feedback is capped by evoloop',
  'prompt.artifact_security_filter': 'evoloop redacts secrets from candidate output itself',
  'prompt.suggest_simplification_after_chars': 'no equivalent',
  'prompt.include_changes_under_chars': 'no equivalent',
  'prompt.concise_implementation_max_lines': 'no equivalent',
  'prompt.comprehensive_implementation_min_lines': 'no equivalent',
  'prompt.code_length_threshold': 'no equivalent',
  evolution_trace: 'everything is in .evoloop/evoloop.db (evoloop export)',
  early_stopping_metric: 'the objective is combined_score',
  convergence_threshold: 'use accept.min_delta for the smallest gain that counts',
  max_tasks_per_child: 'each stage runs in a fresh process',
};

type Dict = Record<string, unknown>;
/** `${NAME}` or `$NAME`: a key read from the environment, the only form evoloop copies (as api_key_env). */
const ENV_REFERENCE = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mapOpenEvolveConfig(source: Dict, shape: EvaluatorShape, program: string, opts: { offline?: boolean } = {}): MappedConfig {
  const used = new Set<string>();
  const get = (key: string): unknown => {
    used.add(key);
    let v: unknown = source;
    for (const part of key.split('.')) v = isDict(v) ? v[part] : undefined;
    return v;
  };
  const num = (key: string) => (typeof get(key) === 'number' ? (get(key) as number) : undefined);

  const timeout = num('evaluator.timeout') ?? 300;
  const thresholds = (Array.isArray(get('evaluator.cascade_thresholds')) ? (get('evaluator.cascade_thresholds') as unknown[]) : [0.5, 0.75, 0.9]).map(Number);
  const cascade = get('evaluator.cascade_evaluation') !== false && shape.cascade.length > 0;
  const features = Array.isArray(get('database.feature_dimensions')) ? (get('database.feature_dimensions') as string[]) : [];
  const featureArg = features.length > 0 ? ` --features ${features.join(',')}` : '';
  // One stage runs the whole cascade, as OpenEvolve does: a program stopped by a threshold keeps
  // a low score instead of failing (a gate would fail it, and with it a noisy baseline).
  const run = cascade
    ? `python3 verifier/openevolve_stage.py cascade ${program} --thresholds ${thresholds.slice(0, 2).join(',')}${featureArg}`
    : `python3 verifier/openevolve_stage.py evaluate ${program}${featureArg}`;
  const stages = [
    { name: cascade ? 'cascade' : 'evaluate', kind: 'score', run, timeout: timeout * Math.max(1, cascade ? shape.cascade.length : 1), metrics: 'file' },
  ];

  const config: Dict = {
    edit: [program],
    protect: ['verifier/**'],
    ...(typeof get('prompt.system_message') === 'string' ? { instructions: get('prompt.system_message') } : {}),
    verifier: { stages },
    objective: { metric: 'combined_score', goal: 'maximize' },
  };
  const budget: Dict = {};
  if (num('max_iterations') !== undefined) budget.candidates = num('max_iterations');
  if (num('early_stopping_patience') !== undefined) budget.patience = num('early_stopping_patience');
  if (Object.keys(budget).length > 0) config.budget = budget;
  const search: Dict = {};
  if (num('evaluator.parallel_evaluations') !== undefined) search.parallel = Math.min(64, Math.max(1, num('evaluator.parallel_evaluations')!));
  if (Number.isInteger(num('random_seed'))) search.seed = num('random_seed');
  if (Object.keys(search).length > 0) config.search = search;

  const models = mapModels(get);
  const diff = get('diff_based_evolution') !== false;
  if (opts.offline || models.length === 0) {
    config.operators = { tune: 1 };
  } else {
    config.models = models;
    config.operators = diff ? { 'llm-diff': 1 } : { 'llm-rewrite': 1 };
  }

  const untranslated: string[] = [];
  const noEffect: string[] = [];
  for (const key of leafKeys(source)) {
    if (NO_EFFECT.has(key)) noEffect.push(key);
    else if (!isUsed(key, used)) {
      const why = NO_MEANING[key] ?? NO_MEANING[key.split('.')[0]];
      untranslated.push(why ? `${key}: ${why}` : key);
    }
  }
  const key = get('llm.api_key');
  if (typeof key === 'string' && !ENV_REFERENCE.test(key)) untranslated.push(`llm.api_key: ${NO_MEANING['llm.api_key']}`);
  return { config, untranslated, noEffect, ...(opts.offline && models.length > 0 ? { offlineModels: models } : {}) };
}

function mapModels(get: (key: string) => unknown): Dict[] {
  const apiBase = typeof get('llm.api_base') === 'string' ? (get('llm.api_base') as string) : undefined;
  const shared: Dict = {};
  if (apiBase && new URL(apiBase).hostname !== 'api.openai.com') shared.base_url = apiBase;
  if (typeof get('llm.api_key') === 'string') {
    const env = ENV_REFERENCE.exec(get('llm.api_key') as string);
    if (env) shared.api_key_env = env[1];
  }
  if (typeof get('llm.temperature') === 'number') shared.temperature = get('llm.temperature');
  if (typeof get('llm.max_tokens') === 'number') shared.max_tokens = get('llm.max_tokens');
  if (typeof get('llm.timeout') === 'number') shared.timeout = get('llm.timeout');
  if (typeof get('llm.retries') === 'number') shared.max_retries = Math.min(20, get('llm.retries') as number);
  const listed = Array.isArray(get('llm.models')) ? (get('llm.models') as Dict[]) : [];
  const named: { name: unknown; weight: unknown; base?: unknown }[] = listed.length
    ? listed.filter(isDict).map((m) => ({ name: m.name, weight: m.weight, base: m.api_base }))
    : [
        { name: get('llm.primary_model'), weight: get('llm.primary_model_weight') },
        { name: get('llm.secondary_model'), weight: get('llm.secondary_model_weight') },
      ];
  return named
    .filter((m) => typeof m.name === 'string' && m.name.length > 0 && (typeof m.weight !== 'number' || m.weight > 0))
    .map((m) => ({
      provider: 'openai',
      name: m.name,
      ...shared,
      ...(typeof m.base === 'string' && new URL(m.base).hostname !== 'api.openai.com' ? { base_url: m.base } : {}),
      ...(typeof m.weight === 'number' ? { weight: m.weight } : {}),
    }));
}

/** Dotted paths of every leaf; lists count as leaves (llm.models is read whole). */
function leafKeys(v: unknown, prefix = ''): string[] {
  if (!isDict(v)) return prefix ? [prefix] : [];
  return Object.entries(v).flatMap(([k, child]) => leafKeys(child, prefix ? `${prefix}.${k}` : k));
}

function isUsed(key: string, used: Set<string>): boolean {
  for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') if (used.has(k)) return true;
  return false;
}
