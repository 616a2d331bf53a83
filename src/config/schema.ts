// The evoloop.yaml schema. Every key here does something, is documented in
// `evoloop init`'s template (src/cli/init.test.ts checks), and unknown keys are an error (strict objects).
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import type { Metrics } from '../core/types.js';
import { DEFAULT_LIMITS, METRICS_CHANNELS } from '../core/stage-defaults.js';
import { checkEnvAllowList } from '../core/secret-names.js';
import { searchSchema } from './search-schema.js';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const DURATION_HELP = 'expected a duration such as 30s, 5m or 2h (a bare number means seconds)';
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration: a number of seconds, or a string like `500ms`, `30s`, `5m`, `2h`. Parsed to milliseconds. */
export const duration = z
  .union([z.number().positive({ error: DURATION_HELP }), z.string().regex(DURATION, { error: DURATION_HELP })], { error: DURATION_HELP })
  .transform((v) => {
    if (typeof v === 'number') return v * 1000;
    const [, n, unit] = DURATION.exec(v)!;
    return Number(n) * UNIT_MS[unit];
  });

/** In the library a score stage may be a function instead of a command. */
export type StageFunction = (ctx: {
  worktree: string;
  cwd: string;
  seed: number;
  candidate: string;
  signal: AbortSignal;
}) => Promise<Metrics | { metrics: Metrics; feedback?: string }>;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, { error: 'expected an environment variable name (a trailing * matches a prefix)' });

/** A judge stage as written: `kind: judge`, or a holdout stage with a rubric (graded on holdout outputs, never shown to the proposer). */
const isJudgeKind = (s: { kind: string; rubric?: string }) => s.kind === 'judge' || (s.kind === 'holdout' && s.rubric !== undefined);

const problemPath = (example: string) =>
  z
    .string()
    .min(1)
    .refine((p) => !isAbsolute(p) && !p.split(/[\\/]/).includes('..'), { error: `give a path inside the problem folder: ${example}` });

// modelSchema is declared below the stage schema; zod reads it when the stage is parsed.
const modelSchemaRef = () => z.lazy(() => modelSchema);

export const stageSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'use letters, digits, _ . - only' }),
    // judge: a score stage whose metric is a model's grade of earlier stages' outputs (evaluate/judge/).
    kind: z.enum(['gate', 'score', 'holdout', 'judge']),
    run: z.string().min(1).optional(),
    fn: z.custom<StageFunction>((v) => typeof v === 'function', { error: 'expected a function' }).optional(),
    timeout: duration.prefault('10m'),
    repeat: z.int().min(1).max(1000).default(1),
    env: z
      .array(envName)
      .default([])
      .superRefine((names, ctx) => {
        const problem = checkEnvAllowList(names);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    // Defaults and why: evaluate/limits.ts. Every stage is bounded; a user raises a limit per stage.
    memory_mb: z.int().min(16).default(DEFAULT_LIMITS.memoryMb),
    max_procs: z.int().min(1).default(DEFAULT_LIMITS.maxProcs),
    disk_mb: z.int().min(1).default(DEFAULT_LIMITS.diskMb),
    tmp_mb: z.int().min(1).default(DEFAULT_LIMITS.tmpMb),
    max_output_kb: z.int().min(1).default(64),
    metrics: z.enum(METRICS_CHANNELS).optional(),
    // Distributed evaluation (evoloop worker --labels): only workers with every label run the stage.
    requires: z
      .array(z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'a label uses letters, digits, _ . - only (e.g. gpu)' }))
      .min(1)
      .optional(),
    // At most one exclusive stage runs at a time on a host (timing benchmarks), local or remote.
    exclusive: z.boolean().optional(),
    // kind: judge only. What is graded: files the earlier stages wrote (globs in the worktree), or one earlier stage's stdout.
    input: z
      .strictObject({ files: z.array(z.string().min(1)).min(1).optional(), stdout: z.string().min(1).optional() })
      .refine((i) => (i.files === undefined) !== (i.stdout === undefined), { error: 'give exactly one of `files` (globs) or `stdout` (a stage name)' })
      .optional(),
    rubric: z.string().min(1).optional(),
    scale: z
      .tuple([z.number(), z.number()])
      .refine(([lo, hi]) => lo < hi, { error: 'expected [lowest, highest], e.g. [1, 10]' })
      .optional(),
    /** A file (problem-relative) of reference answers shown to the judge. */
    references: z.string().min(1).optional(),
    // kind: judge only. `champion`: pairwise, this candidate's outputs against the champion's, both orders (evaluate/judge/pairwise.ts).
    compare: z.enum(['champion']).optional(),
    // kind: judge only. The metric the grade is reported as (default: the stage name), e.g. a holdout judge reporting the objective's metric.
    report_as: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'a metric name: letters, digits and _ (usable in objective.expr)' })
      .optional(),
    // evoloop itself calls this model once per item with the candidate's prompt file; no key reaches a stage (evaluate/model-run/).
    model_run: z
      .strictObject({
        model: modelSchemaRef(),
        prompt: problemPath('the candidate prompt file, e.g. prompt.md'),
        items: problemPath('a JSON Lines file of items, e.g. verifier/dev.jsonl'),
        out: problemPath('a folder for the replies, e.g. out/dev'),
        parallel: z.int().min(1).max(64).default(4),
      })
      .optional(),
  })
  .refine((s) => isJudgeKind(s) || s.model_run !== undefined || (s.run === undefined) !== (s.fn === undefined), {
    error: 'a stage needs exactly one of `run` (a shell command) or `fn` (a function, library only)',
  })
  .refine((s) => !isJudgeKind(s) || (s.run === undefined && s.fn === undefined && s.input !== undefined && s.rubric !== undefined), {
    error: 'a judge stage asks the judge model to grade earlier outputs: give it `input` (files or stdout) and a `rubric`, and no `run`/`fn`',
  })
  .refine((s) => isJudgeKind(s) || [s.input, s.rubric, s.scale, s.references, s.compare, s.report_as].every((v) => v === undefined), {
    error: '`input`, `rubric`, `scale`, `references`, `compare` and `report_as` belong to `kind: judge` stages (or a holdout stage with a `rubric`)',
  })
  .refine((s) => !(s.compare && s.scale), {
    error:
      '`scale` is for pointwise grading; a pairwise stage (compare: champion) reports 1 (better than the champion), 0.5 (tie) or 0 (worse). Remove `scale`',
    path: ['scale'],
  })
  .refine((s) => !(s.compare && s.kind === 'holdout'), {
    error: 'a holdout runs on a new champion, which would be compared with itself: grade holdout outputs pointwise (remove `compare`)',
    path: ['compare'],
  })
  .refine((s) => s.model_run === undefined || ((s.kind === 'score' || s.kind === 'holdout') && s.run === undefined && s.fn === undefined), {
    error: 'a `model_run` stage is a score or holdout stage in which evoloop calls the model: remove `run`/`fn` (the stages after it read its replies)',
    path: ['model_run'],
  })
  .refine((s) => !(s.fn && s.metrics), {
    error: '`metrics` picks how a command stage reports; a function stage returns its metrics, so remove it',
    path: ['metrics'],
  })
  // A judge stage is a score stage whose metric comes from the judge model: everything that
  // handles score stages (repeats, samples, racing) handles it; `rubric` marks it (isJudgeStage).
  .transform((s) => ({ ...s, kind: s.kind === 'judge' ? ('score' as const) : s.kind }));

/** A host folder or file shown read-only to sandboxed stages (evoloop.yaml's relative ones arrive resolved against its folder). */
const exposedPath = z
  .string()
  .refine((p) => isAbsolute(p), { error: 'expected an absolute path, e.g. /opt/toolchain (in evoloop.yaml, a path relative to its folder is also taken)' })
  .refine((p) => p.replace(/\/+$/, '') !== '', { error: '"/" would show the whole host; name the folders the stages need' })
  .refine((p) => existsSync(p), { error: 'no such file or folder on this machine; fix the path or remove it' });

const priceSchema = z.strictObject({
  input_per_mtok: z.number().min(0),
  output_per_mtok: z.number().min(0),
  cached_input_per_mtok: z.number().min(0).optional(),
});

export const modelSchema = z.strictObject({
  provider: z.enum(['openai', 'anthropic']),
  name: z.string().min(1),
  base_url: z.url().optional(),
  api_key_env: envName.optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.int().min(1).optional(),
  // No defaults here: llm/choose-model.ts has them, the same for `--model` and the environment.
  timeout: duration.optional(),
  max_retries: z.int().min(0).max(20).optional(),
  max_outage: duration.optional(),
  price: priceSchema.optional(),
  weight: z.number().positive().default(1),
});

export const OPERATOR_NAMES = ['llm-diff', 'llm-rewrite', 'agent', 'tune', 'cmaes', 'bayes', 'merge', 'llm-crossover', 'llm-simplify'] as const;

export const configSchema = z
  .strictObject({
    // `edit: approx.mjs` means the one-item list.
    edit: z
      .union(
        [
          z
            .string()
            .min(1)
            .transform((glob) => [glob]),
          z.array(z.string().min(1)),
        ],
        { error: 'give a glob of files the proposer may change, or a list of them' },
      )
      .pipe(z.array(z.string()).min(1, { error: 'list at least one glob of files the proposer may change' })),
    protect: z.array(z.string().min(1)).default([]),
    instructions: z.string().optional(),
    instructions_file: z
      .string()
      .min(1)
      .refine((p) => !isAbsolute(p) && !p.split(/[\\/]/).includes('..'), { error: 'give a path inside the problem folder, e.g. program.md' })
      .optional(),
    context: z
      .strictObject({
        show: z.array(z.string().trim().min(1, { error: 'an empty glob matches nothing; remove it or give a path such as verifier/score.py' })).optional(),
      })
      .default({}),
    verifier: z.strictObject({
      stages: z.array(stageSchema).min(1, { error: 'add at least one stage' }),
    }),
    objective: z
      .strictObject({
        metric: z.string().min(1).optional(),
        expr: z.string().min(1).optional(),
        goal: z.enum(['maximize', 'minimize']),
      })
      .refine((o) => (o.metric === undefined) !== (o.expr === undefined), {
        error: 'set exactly one of `metric` (a metric name) or `expr` (an expression over metrics)',
      }),
    budget: z
      .strictObject({
        candidates: z.int().min(1).optional(),
        time: duration.optional(),
        usd: z.number().positive().optional(),
        target: z.number().optional(),
        patience: z.int().min(1).optional(),
      })
      .default({}),
    search: searchSchema.default({ strategy: 'greedy', parallel: 1 }),
    accept: z
      .strictObject({
        rule: z.enum(['pooled', 'significant', 'better']).default('pooled'),
        alpha: z.number().gt(0).lt(0.5).default(0.05),
        min_delta: z.number().min(0).default(0),
        baseline_repeats: z.int().min(1).max(100).default(5),
        // A verdict compares at least two samples of the challenger (evaluate/acceptance.ts).
        max_repeats: z
          .int()
          .min(2, { error: 'must be at least 2: a significance test needs two samples of a challenger. Fix: set accept.max_repeats to 2 or more (default 10)' })
          .max(200)
          .default(10),
        // rule pooled: compare seed by seed (seed), unpaired (machine), or as the baseline's replicates say (auto).
        noise_model: z.enum(['auto', 'seed', 'machine']).default('auto'),
      })
      .default({ rule: 'pooled', alpha: 0.05, min_delta: 0, baseline_repeats: 5, max_repeats: 10, noise_model: 'auto' }),
    // What stages write to $EVOLOOP_ARTIFACTS: past a cap a file is dropped with a note, never the candidate.
    artifacts: z
      .strictObject({
        stage_mb: z.number().positive().default(16),
        run_mb: z.number().positive().default(1024),
        prompt_kb: z.number().min(0).default(4),
      })
      .default({ stage_mb: 16, run_mb: 1024, prompt_kb: 4 }),
    sandbox: z.enum(['required', 'auto', 'off']).default('auto'),
    sandbox_expose: z.array(exposedPath).default([]),
    // `auto`: the provider whose API key is in the environment (a key alone never starts paid calls).
    model: z.union([z.literal('auto'), modelSchema], { error: 'expected `auto` or a model: {provider: openai|anthropic, name: ...}' }).optional(),
    // The model of kind: judge stages, separate from the proposer's; its calls are recorded and count against budget.usd.
    judge: z.strictObject({ model: modelSchema }).optional(),
    models: z.array(modelSchema).min(1).optional(),
    operators: z.partialRecord(z.enum(OPERATOR_NAMES), z.number().min(0)).optional(),
    // Proposals at least this similar to a candidate of their island are `duplicate`, never evaluated (propose/novelty.ts).
    novelty: z
      .strictObject({
        threshold: z.number().gt(0, { error: 'a similarity in (0, 1], e.g. 0.95 (1 = only identical code after normalization)' }).max(1, {
          error: 'a similarity in (0, 1], e.g. 0.95 (1 = only identical code after normalization)',
        }),
      })
      .optional(),
    // Every N decided candidates one model call condenses the lessons into a scratchpad for later prompts.
    lessons: z.strictObject({ summarize_every: z.int().min(1, { error: 'a number of candidates, at least 1 (e.g. 20)' }) }).optional(),
    agent: z
      .strictObject({
        run: z.string().min(1),
        timeout: duration.prefault('15m'),
        stall: duration.prefault('5m'),
        env: z.array(envName).default([]),
      })
      .optional(),
  })
  .refine((c) => !(c.model && c.models), { error: 'set either `model` or `models`, not both', path: ['models'] })
  .refine((c) => !(c.instructions !== undefined && c.instructions_file !== undefined), {
    error: 'set either `instructions` (the text) or `instructions_file` (a file holding it), not both',
    path: ['instructions_file'],
  })
  .superRefine((c, ctx) => {
    // A model's key must never reach a stage, whatever its name: refuse allow-lists that name it.
    const seen = new Set<string>();
    c.verifier.stages.forEach((stage, i) => {
      if (seen.has(stage.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['verifier', 'stages', i, 'name'],
          message: `"${stage.name}" is the name of an earlier stage; measurements are recorded by stage name. Give each stage its own name.`,
        });
      }
      seen.add(stage.name);
    });
    const keys = modelKeyNames(c);
    c.verifier.stages.forEach((stage, i) => {
      for (const pattern of stage.env) {
        const key = keys.find((k) => (pattern.endsWith('*') ? k.startsWith(pattern.slice(0, -1)) : k === pattern));
        if (key) {
          ctx.addIssue({
            code: 'custom',
            path: ['verifier', 'stages', i, 'env'],
            message: `"${pattern}" would pass ${key}, the model's API key (api_key_env), to candidate code. Remove it from the stage's env.`,
          });
        }
      }
    });
  })
  .refine((c) => c.verifier.stages.some((s) => s.kind === 'score'), {
    error: 'the verifier needs at least one `kind: score` stage to measure the objective',
    path: ['verifier', 'stages'],
  })
  .refine((c) => c.search.strategy === 'greedy' || !c.verifier.stages.some((s) => s.compare), {
    error:
      'a pairwise judge stage (compare: champion) compares with the one champion of search.strategy: greedy. Fix: use greedy, or grade pointwise (remove `compare`)',
    path: ['search', 'strategy'],
  })
  .refine((c) => (['score', 'holdout'] as const).every((k) => c.verifier.stages.filter((s) => s.kind === k && s.model_run).length <= 1), {
    error:
      'at most one `model_run` stage among the score stages and one among the holdout stages: each reports input_tokens_per_item, usd_per_item… under the same names. Fix: put the items of both in one file',
    path: ['verifier', 'stages'],
  });

/** The environment variables that hold the configured models' API keys. */
export function modelKeyNames(config: {
  model?: 'auto' | { api_key_env?: string };
  models?: { api_key_env?: string }[];
  judge?: { model: { api_key_env?: string } };
  verifier?: { stages: { model_run?: { model: { api_key_env?: string } } }[] };
}): string[] {
  const stageModels = (config.verifier?.stages ?? []).flatMap((s) => (s.model_run ? [s.model_run.model] : []));
  return [config.model, ...(config.models ?? []), config.judge?.model, ...stageModels].flatMap((m) =>
    typeof m === 'object' && m.api_key_env ? [m.api_key_env] : [],
  );
}

/** A validated config, as the engine uses it (durations in ms, defaults filled in). */
export type Config = z.output<typeof configSchema>;
/** What a user writes (YAML or `defineConfig`). */
export type ConfigInput = z.input<typeof configSchema>;
export type StageConfig = z.output<typeof stageSchema>;

/** A `kind: judge` stage (stored as a score stage with a rubric). */
export const isJudgeStage = (s: StageConfig): boolean => s.rubric !== undefined;
/** A stage in which evoloop calls a model over items with the candidate's prompt (evaluate/model-run/). */
export const isModelRunStage = (s: StageConfig): boolean => s.model_run !== undefined;
export type ModelConfig = z.output<typeof modelSchema>;
