// OpenEvolve's config.yaml → evoloop.yaml. Every key of the source is accounted for: translated,
// listed as having no evoloop meaning, or listed as having no effect in OpenEvolve itself (keys
// its Config declares that none of its code reads), so nothing is dropped silently.
import { ISLAND_DEFAULTS } from '../../population/islands/settings.js';

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
  /** Source keys translated to an evoloop key whose meaning differs, each with how. */
  approximate: string[];
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
  'prompt.template_dir': "evoloop's prompts are its own",
  'prompt.evaluator_system_message': 'use a judge stage',
  'prompt.num_top_programs': 'no equivalent',
  'prompt.num_diverse_programs': 'no equivalent',
  'prompt.use_template_stochasticity': 'no equivalent',
  'prompt.template_variations': 'no equivalent',
  'prompt.include_artifacts': "the parent's text artifacts reach the prompt, capped by artifacts.prompt_kb (0: none)",
  'prompt.max_artifact_bytes': 'set artifacts.prompt_kb (KB of text artifacts in the prompt)',
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
  'llm.system_message': 'prompt.system_message becomes instructions',
  'llm.reasoning_effort': 'not configurable in evoloop',
  'llm.random_seed': 'search.seed is set from random_seed',
};

/** The settings OpenEvolve's Config reads (0.2.x, openevolve/config.py); it ignores any other key. */
const SECTIONS: Record<string, string[]> = {
  '': `max_iterations checkpoint_interval log_level log_dir random_seed language file_suffix llm prompt database evaluator evolution_trace
    diff_based_evolution max_code_length diff_pattern early_stopping_patience convergence_threshold early_stopping_metric max_tasks_per_child`.split(/\s+/),
  llm: `api_base api_key name init_client weight system_message temperature top_p max_tokens timeout retries retry_delay random_seed
    reasoning_effort models evaluator_models primary_model primary_model_weight secondary_model secondary_model_weight`.split(/\s+/),
  prompt: `template_dir system_message evaluator_system_message num_top_programs num_diverse_programs use_template_stochasticity
    template_variations use_meta_prompting meta_prompt_weight include_artifacts max_artifact_bytes artifact_security_filter
    suggest_simplification_after_chars include_changes_under_chars concise_implementation_max_lines comprehensive_implementation_min_lines
    code_length_threshold`.split(/\s+/),
  database: `db_path in_memory log_prompts population_size archive_size num_islands elite_selection_ratio exploration_ratio exploitation_ratio
    diversity_metric feature_dimensions feature_bins diversity_reference_size migration_interval migration_rate random_seed artifacts_base_path
    artifact_size_threshold cleanup_old_artifacts artifact_retention_days novelty_llm embedding_model similarity_threshold`.split(/\s+/),
  evaluator: `timeout max_retries memory_limit_mb cpu_limit cascade_evaluation cascade_thresholds parallel_evaluations distributed
    use_llm_feedback llm_feedback_weight enable_artifacts max_artifact_storage`.split(/\s+/),
  evolution_trace: 'enabled format include_code include_prompts output_path buffer_size compress'.split(' '),
};

/** Whether OpenEvolve's Config has this (dotted) key; keys under a list or a dict-valued setting count as the setting. */
function isOpenEvolveKey(key: string): boolean {
  const [first, second] = key.split('.');
  if (!SECTIONS[''].includes(first)) return false;
  return !(first in SECTIONS) || second === undefined || SECTIONS[first].includes(second);
}

type Dict = Record<string, unknown>;
/** `${NAME}` or `$NAME`: a key read from the environment, the only form evoloop copies (as api_key_env). */
export const ENV_REFERENCE = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/;
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

  const models = mapModels(get);
  const approximate = mapIslands(get, search);
  if (Object.keys(search).length > 0) config.search = search;

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
    else if (!isOpenEvolveKey(key)) noEffect.push(`${key}: not an OpenEvolve setting (its config loader ignores it)`);
    else if (!isUsed(key, used)) {
      const why = reasonFor(key);
      untranslated.push(why ? `${key}: ${why}` : key);
    }
  }
  const key = get('llm.api_key');
  if (typeof key === 'string' && !ENV_REFERENCE.test(key)) untranslated.push(`llm.api_key: ${NO_MEANING['llm.api_key']}`);
  return { config, untranslated, noEffect, approximate, ...(opts.offline && models.length > 0 ? { offlineModels: models } : {}) };
}

/**
 * database.num_islands > 1 → the islands strategy. OpenEvolve migrates every migration_interval
 * generations a fraction (migration_rate) of each island; evoloop every interval accepted
 * children a count of elites: the interval is kept, the fraction becomes a count of the
 * default 5 elites (at least 1). Returns how each key was translated.
 */
function mapIslands(get: (key: string) => unknown, search: Dict): string[] {
  const islands = get('database.num_islands');
  const interval = get('database.migration_interval');
  const rate = get('database.migration_rate');
  if (!Number.isInteger(islands) || (islands as number) < 2) return [];
  search.strategy = 'islands';
  search.islands = Math.min(64, islands as number);
  const migration: Dict = {};
  const notes: string[] = [];
  if (Number.isInteger(interval) && (interval as number) >= 1) {
    migration.interval = interval;
    notes.push(`database.migration_interval: ${interval} generations → search.migration.interval: ${interval} accepted children`);
  }
  if (typeof rate === 'number' && rate > 0) {
    migration.rate = Math.max(1, Math.round(rate * ISLAND_DEFAULTS.elites));
    notes.push(`database.migration_rate: ${rate} of an island → search.migration.rate: ${migration.rate} of its ${ISLAND_DEFAULTS.elites} elites`);
  }
  if (Object.keys(migration).length > 0) search.migration = { interval: ISLAND_DEFAULTS.interval, rate: ISLAND_DEFAULTS.rate, ...migration };
  return notes;
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

/** The reason given for the key or its nearest parent (dict-valued settings such as feature_bins are split into leaves). */
function reasonFor(key: string): string | undefined {
  for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') if (NO_MEANING[k]) return NO_MEANING[k];
  return undefined;
}

function isUsed(key: string, used: Set<string>): boolean {
  for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') if (used.has(k)) return true;
  return false;
}
