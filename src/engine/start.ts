// Starting or resuming a run: load and validate the config, open the store, decide
// whether the latest run continues (same config, not finished) or a new one begins,
// and fix the base commit. Everything that can refuse the user's input happens here,
// before anything is written.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findConfigFile, loadConfigFile, validateConfig } from '../config/load.js';
import { judgeClient } from '../evaluate/judge/judge.js';
import { modelRunClients } from '../evaluate/model-run/model-run.js';
import { isJudgeStage, isModelRunStage, type Config, type ConfigInput } from '../config/schema.js';
import { UsageError } from '../core/errors.js';
import { compileObjective } from '../core/fitness.js';
import { planOperators } from '../operators/select.js';
import { contextShowProblem } from '../propose/context-files.js';
import { editRulesFor, isEditable, protectedBy, type EditRules } from '../propose/edit-rules.js';
import { hasStore, openStore, type RunRecord, type Store } from '../store/store.js';
import { ownerAlive } from '../store/summary.js';
import { git, repoInfo } from '../workspace/git.js';
import { resolveBase } from '../workspace/run-base.js';
import { sandboxStatus } from '../evaluate/sandbox.js';
import { applyOverrides, type RunOverrides } from './overrides.js';

export interface StartOptions {
  problemDir: string;
  /** A config object (library use); when absent, evoloop.yaml in problemDir is loaded. */
  config?: ConfigInput;
  allowDirty?: boolean;
  /** Start a new run even when the latest one could be resumed. */
  newRun?: boolean;
  /** CLI model flags and the environment, checked here so that a missing model or key changes nothing. */
  model?: string;
  baseUrl?: string;
  llm?: { env?: NodeJS.ProcessEnv };
  /** CLI --parallel, --seed, --time, --usd, --patience. */
  overrides?: RunOverrides;
  /** Measured through Redis workers: what they cannot measure (judge stages) is refused before anything is written. */
  redis?: { url: string };
}

export interface Started {
  problemDir: string;
  config: Config;
  configFile?: string;
  rules: EditRules;
  store: Store;
  run: RunRecord;
  resumed: boolean;
  sandbox: { available: boolean; reason?: string };
}

export async function startRun(opts: StartOptions): Promise<Started> {
  const problemDir = path.resolve(opts.problemDir);
  const configFile = opts.config ? undefined : findConfigFile(problemDir);
  const config = applyOverrides(opts.config ? validateConfig(opts.config, 'config') : loadConfigFile(configFile!), opts.overrides);
  try {
    compileObjective(config.objective);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  planOperators(config, { model: opts.model, baseUrl: opts.baseUrl, env: opts.llm?.env });
  judgeClient(config, opts.llm?.env ?? process.env);
  modelRunClients(config, opts.llm?.env ?? process.env);
  const modelRun = config.verifier.stages.find(isModelRunStage);
  if (modelRun && opts.redis) {
    throw new UsageError(
      `stage ${modelRun.name} is a model_run stage, which cannot be measured through Redis: evoloop calls its model with a key only this machine holds (workers never get keys). Fix: run without --redis / EVOLOOP_REDIS_URL. Nothing was started.`,
    );
  }
  const judged = config.verifier.stages.find(isJudgeStage);
  if (judged && opts.redis) {
    throw new UsageError(
      `stage ${judged.name} is a judge stage, which cannot be measured through Redis: it grades the outputs a candidate leaves in its worktree (on a worker) with the judge model's key, which only this machine holds (workers never get keys). Fix: run without --redis / EVOLOOP_REDIS_URL, or measure the judge stage in a run of its own here. Nothing was started.`,
    );
  }
  const rules: EditRules = editRulesFor(config, problemDir, configFile);
  if (config.instructions_file && !existsSync(path.join(problemDir, config.instructions_file))) {
    throw new UsageError(
      `instructions_file: ${config.instructions_file} does not exist in ${problemDir}. Fix: write the model's instructions there (e.g. autoresearch's program.md), or remove the key.`,
    );
  }
  const sandbox = config.sandbox === 'off' ? { available: false, reason: 'sandbox: off in the config' } : await sandboxStatus();
  if (config.sandbox === 'required' && !sandbox.available) {
    throw new UsageError(`sandbox: required, but bubblewrap cannot be used (${sandbox.reason}). Fix: apt-get install bubblewrap, or set sandbox: auto.`);
  }
  const hash = configHash(config);
  // Nothing is written until the input is known to be good: an existing store is opened to
  // look for a run to resume; a new one is created only once the base commit is settled.
  let store = hasStore(problemDir) ? openStore(problemDir) : undefined;
  const resume = (run: RunRecord): Started => {
    store!.updateRun(run.id, {
      status: 'running',
      stopReason: null,
      ownerPid: process.pid,
      heartbeatAt: Date.now(),
      configJson: JSON.stringify(config, stringifyFunctions),
    });
    return { problemDir, config, configFile, rules, store: store!, run: store!.getRun(run.id)!, resumed: true, sandbox };
  };
  try {
    const latest = store?.latestRun();
    // One evoloop process per problem folder: two would share the worktrees and the store.
    if (latest?.status === 'running' && latest.ownerPid !== process.pid && ownerAlive(latest)) {
      throw new UsageError(
        `run ${latest.id} is already running (pid ${latest.ownerPid}). Fix: wait for it, or stop it first (Ctrl-C / kill ${latest.ownerPid}).`,
      );
    }
    const repo = await repoInfo(problemDir);
    const ours = latest !== undefined && latest.repoRoot === repo.root; // not a store copied from another repository
    if (ours && !opts.newRun && (latest.status === 'running' || latest.status === 'interrupted')) {
      if (latest.configHash !== hash) {
        const before = JSON.parse(latest.configJson) as Record<string, unknown>;
        const now = JSON.parse(JSON.stringify(config, stringifyFunctions)) as Record<string, unknown>;
        const changed = VERDICT_KEYS.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(now[k]));
        throw new UsageError(
          `${changed.join(', ') || 'the verdict settings'} changed since run ${latest.id} started, so old and new verdicts would not be comparable and it cannot be resumed as the same run. Fix: restore ${changed.length === 1 ? 'it' : 'them'}, or pass --new to start a new run with the current config. (Budget, parallelism and models may change between sessions.)`,
        );
      }
      await checkContext(repo.root, latest.baseCommit, repo.prefix, config, rules);
      return resume(latest);
    }
    const matters = (p: string) => isEditable(p, rules) || protectedBy(p, rules) !== undefined || usedByVerifier(p, config);
    const { baseCommit, repoRoot } = await resolveBase(problemDir, matters, opts.allowDirty ?? false);
    await checkContext(repo.root, baseCommit, repo.prefix, config, rules);
    // A run that used up its budget goes on when run again on the same base and verdict config (e.g. with a larger budget).
    if (
      ours &&
      !opts.newRun &&
      latest.status === 'finished' &&
      latest.stopReason?.startsWith('budget') &&
      latest.configHash === hash &&
      latest.baseCommit === baseCommit
    ) {
      return resume(latest);
    }
    await checkEditable(repo.root, baseCommit, repo.prefix, rules);
    store ??= openStore(problemDir);
    const run = store.createRun({
      id: newRunId(),
      problemDir,
      repoRoot,
      baseCommit,
      configJson: JSON.stringify(config, stringifyFunctions),
      configHash: hash,
      status: 'running',
      ownerPid: process.pid,
    });
    return { problemDir, config, configFile, rules, store, run, resumed: false, sandbox };
  } catch (err) {
    store?.close();
    throw err;
  }
}

/** The edit globs must name at least one file of the base, or every proposal would be void. */
async function checkEditable(root: string, base: string, prefix: string, rules: EditRules): Promise<void> {
  const listed = await git(root, ['ls-tree', '-r', '--name-only', '-z', base, '--', prefix || '.']);
  const files = listed.stdout
    .split('\0')
    .filter(Boolean)
    .map((f) => (prefix ? f.slice(prefix.length + 1) : f));
  if (files.some((f) => isEditable(f, rules))) return;
  throw new UsageError(
    `edit: no committed file in the problem folder matches ${JSON.stringify(rules.edit)} (outside protect), so nothing could ever be changed. Fix: list the program's files, relative to the problem folder (e.g. edit: ["solver.py"]), and commit them.`,
  );
}

/** context.show may not name a holdout file, and each of its globs must name a committed file (context may change on resume, so checked then too). */
async function checkContext(root: string, base: string, prefix: string, config: Config, rules: EditRules): Promise<void> {
  if (!config.context.show) return;
  const listed = await git(root, ['ls-tree', '-r', '--name-only', '-z', base, '--', prefix || '.']);
  const files = listed.stdout
    .split('\0')
    .filter(Boolean)
    .map((f) => (prefix ? f.slice(prefix.length + 1) : f));
  const read = async (f: string) => {
    const r = await git(root, ['show', `${base}:${prefix ? `${prefix}/` : ''}${f}`], { allowFail: true });
    return r.code === 0 ? r.stdout : undefined;
  };
  const problem = await contextShowProblem(files, config, rules, read);
  if (problem) throw new UsageError(problem);
}

/** A file named in a stage command (e.g. `node verifier/score.mjs`) matters to the base too. */
function usedByVerifier(p: string, config: Config): boolean {
  return config.verifier.stages.some((s) => s.run?.split(/\s+/).includes(p));
}

const stringifyFunctions = (_key: string, value: unknown) => (typeof value === 'function' ? `[function ${value.toString().length}b]` : value);

/**
 * What makes two configs the same run: everything that decides what may change and how a
 * candidate is judged. Budget, parallelism, models and instructions may change between
 * sessions (raise the budget and resume); the verdicts recorded so far stay comparable.
 */
const VERDICT_KEYS = ['edit', 'protect', 'verifier', 'objective', 'accept', 'sandbox'] as const;

export function configHash(config: Config): string {
  const verdictConfig = Object.fromEntries(VERDICT_KEYS.map((k) => [k, config[k]]));
  const text = JSON.stringify(verdictConfig, (_key, v) => (typeof v === 'function' ? v.toString() : v));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function newRunId(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}
