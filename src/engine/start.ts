// Starting or resuming a run: load and validate the config, open the store, decide
// whether the latest run continues (same config, not finished) or a new one begins,
// and fix the base commit. Everything that can refuse the user's input happens here,
// before anything is written.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findConfigFile, loadConfigFile, validateConfig } from '../config/load.js';
import type { Config, ConfigInput } from '../config/schema.js';
import { UsageError } from '../core/errors.js';
import { compileObjective } from '../core/fitness.js';
import { planOperators } from '../operators/select.js';
import { isEditable, protectedBy, type EditRules } from '../propose/edit-rules.js';
import { openStore, storePath, type RunRecord, type Store } from '../store/store.js';
import { ownerAlive } from '../store/summary.js';
import { repoInfo } from '../workspace/git.js';
import { resolveBase } from '../workspace/workspace.js';
import { sandboxStatus } from '../evaluate/sandbox.js';

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
  const config = opts.config ? validateConfig(opts.config, 'config') : loadConfigFile(configFile!);
  try {
    compileObjective(config.objective);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  planOperators(config, { model: opts.model, baseUrl: opts.baseUrl, env: opts.llm?.env });
  const rules: EditRules = {
    edit: config.edit,
    protect: config.protect,
    alwaysProtected: configFile ? [path.relative(problemDir, configFile)] : [],
  };
  const sandbox = config.sandbox === 'off' ? { available: false, reason: 'sandbox: off in the config' } : await sandboxStatus();
  if (config.sandbox === 'required' && !sandbox.available) {
    throw new UsageError(`sandbox: required, but bubblewrap cannot be used (${sandbox.reason}). Fix: apt-get install bubblewrap, or set sandbox: auto.`);
  }
  const hash = configHash(config);
  // Nothing is written until the input is known to be good: an existing store is opened to
  // look for a run to resume; a new one is created only once the base commit is settled.
  let store = existsSync(storePath(problemDir)) ? openStore(problemDir) : undefined;
  try {
    const latest = store?.latestRun();
    if (latest && !opts.newRun && (await resumable(latest, problemDir, hash))) {
      if (latest.configHash !== hash) {
        throw new UsageError(
          `the config's edit/protect/verifier/objective/accept/sandbox changed since run ${latest.id} started, so its verdicts would not be comparable and it cannot be resumed as the same run. Fix: restore those keys, or pass --new to start a new run with the current config. (Budget, parallelism and models may change between sessions.)`,
        );
      }
      const alive = latest.status === 'running' && latest.ownerPid !== process.pid && ownerAlive(latest);
      if (alive) throw new UsageError(`run ${latest.id} is already running (pid ${latest.ownerPid}). Fix: wait for it, or stop it first (Ctrl-C / kill ${latest.ownerPid}).`);
      store!.updateRun(latest.id, { status: 'running', ownerPid: process.pid, heartbeatAt: Date.now(), configJson: JSON.stringify(config, stringifyFunctions) });
      return { problemDir, config, configFile, rules, store: store!, run: store!.getRun(latest.id)!, resumed: true, sandbox };
    }
    const matters = (p: string) => isEditable(p, rules) || protectedBy(p, rules) !== undefined || usedByVerifier(p, config);
    const { baseCommit, repoRoot } = await resolveBase(problemDir, matters, opts.allowDirty ?? false);
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

/**
 * Whether `evoloop run` continues this run: it was running (killed) or interrupted, or it
 * used up a budget the user may since have raised — as long as the checkout is still at
 * its base and the verdict-relevant config is the same (otherwise a new run starts).
 */
async function resumable(run: RunRecord, problemDir: string, hash: string): Promise<boolean> {
  const repo = await repoInfo(problemDir);
  if (run.repoRoot !== repo.root) return false; // a store copied along with the folder from another repository
  if (run.status === 'running' || run.status === 'interrupted') return true;
  if (run.status !== 'finished' || !run.stopReason?.startsWith('budget') || run.configHash !== hash) return false;
  return repo.head === run.baseCommit;
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
export function configHash(config: Config): string {
  const { edit, protect, verifier, objective, accept, sandbox } = config;
  const text = JSON.stringify({ edit, protect, verifier, objective, accept, sandbox }, (_key, v) => (typeof v === 'function' ? v.toString() : v));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function newRunId(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}
