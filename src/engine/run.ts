// The library entry point: start (or resume) a run, observe its events, stop it.
// The CLI's `run` command is a thin layer over this.
import path from 'node:path';
import type { ConfigInput } from '../config/schema.js';
import { containmentNotice } from '../evaluate/containment.js';
import { describeSandboxView } from '../evaluate/sandbox.js';
import { killStrayProcesses } from '../evaluate/strays.js';
import { selectOperators, type ModelOptions } from '../operators/select.js';
import { verifierModels } from '../evaluate/verifier-models.js';
import { Workspace } from '../workspace/workspace.js';
import { baseProtectedFiles } from '../evaluate/backends/local.js';
import { backends } from '../evaluate/backends/registry.js';
import type { EvaluationBackend } from '../evaluate/backend.js';
import { strategies } from '../population/registry.js';
import { admission } from '../propose/admission.js';
import { noveltyFilter } from '../propose/novelty.js';
import { isEditable } from '../propose/edit-rules.js';
import type { EvolutionEvent } from './events.js';
import { Evolution } from './evolution.js';
import { flatScoreWatch } from './flat-scores.js';
import type { RunOverrides } from './overrides.js';
import { startRun } from './start.js';
import { summarize, type RunSummary } from '../store/summary.js';
import { stopRequestedSince } from '../store/stop-request.js';
import { periodicBackups } from '../store/backup.js';

export interface RunOptions {
  /** The folder holding evoloop.yaml (or the program, when `config` is given). */
  problemDir: string;
  config?: ConfigInput;
  /** Overrides budget.candidates for this invocation: the run's total, candidates of earlier sessions included. */
  maxCandidates?: number;
  /** This many candidates more than the run has already (instead of maxCandidates). */
  moreCandidates?: number;
  /** Per-invocation overrides of the search and budget settings (CLI --parallel, --seed, --time, --usd, --patience). */
  overrides?: RunOverrides;
  allowDirty?: boolean;
  /** Start a new run even if the latest one could be resumed. */
  newRun?: boolean;
  onEvent?: (event: EvolutionEvent) => void;
  /** `--model provider:name` (overrides `model`/`models`; not part of the config hash). */
  model?: string;
  /** `--base-url URL` for that model (or the one configured model). */
  baseUrl?: string;
  /** Model-call knobs for libraries and tests: environment (API keys), retry backoff, outage pause. */
  llm?: Pick<ModelOptions, 'env' | 'backoff' | 'pause'>;
  /**
   * Once the model clients hold their keys, take every secret (the models' api_key_env and any
   * secret-looking variable) out of this process's environment, so candidate code cannot read
   * them from /proc/<pid>/environ. The CLI sets it; a library caller decides for its own process.
   */
  scrubEnvironment?: boolean;
  /** Leave the worktree pool in place when the run stops, to look at what candidates left there (`evoloop gc` removes it). */
  keepWorktrees?: boolean;
  /** Measure through Redis workers (`evoloop worker`): the queue's URL, and how many candidates this process measures itself meanwhile (default 0). */
  redis?: { url: string; localSlots?: number };
}

/** The summary, and why the run could not go on when that is what stopped it (stuck, a model refused or unreachable). */
export interface RunResult extends RunSummary {
  error?: string;
}

export interface RunHandle {
  /** Resolves when the run stops (budget, target, patience, stop(), or a run error: `error`). Rejects on bad input (UsageError) or a failure to start or measure (RunError). */
  done: Promise<RunResult>;
  /** Stop proposing and let in-flight candidates finish; with `abandon`, kill them too (they are resumed next time). */
  stop(opts?: { abandon?: boolean }): void;
}

const HEARTBEAT_MS = 5_000;
/** How often the run looks for a stop request written by the dashboard. */
const STOP_POLL_MS = 1_000;

export function runEvolution(opts: RunOptions): RunHandle {
  let evolution: Evolution | undefined;
  let stopRequest: { abandon?: boolean } | undefined;
  const done = (async () => {
    const started = await startRun(opts);
    const { store, run, config } = started;
    const watchScores = flatScoreWatch(
      (id) => store.getCandidate(id)?.score,
      (message) => emit({ type: 'notice', message }),
    );
    const emit = (e: EvolutionEvent) => {
      const candidateId = 'candidateId' in e ? e.candidateId : null;
      store.addEvent(run.id, e.type, candidateId, e as unknown as Record<string, unknown>);
      opts.onEvent?.(e);
      watchScores(e);
    };
    // Each beat also stores the time run so far, so budget.time holds across kill -9.
    const heartbeat = setInterval(() => store.updateRun(run.id, { heartbeatAt: Date.now(), elapsedMs: evolution?.elapsedMs() ?? run.elapsedMs }), HEARTBEAT_MS);
    heartbeat.unref();
    const backups = periodicBackups(store, (err) => opts.onEvent?.({ type: 'notice', message: `store backup failed: ${err.message}` }));
    const sessionStart = Date.now();
    const stopPoll = setInterval(() => {
      if (!stopRequest && stopRequestedSince(store, run.id, sessionStart)) {
        emit({ type: 'notice', message: 'stop requested from the dashboard: finishing the candidates in flight' });
        handle.stop();
      }
    }, STOP_POLL_MS);
    stopPoll.unref();
    try {
      const workspace = await Workspace.open({ problemDir: started.problemDir, baseCommit: run.baseCommit, poolSize: config.search.parallel + 1 });
      workspace.setRef(`refs/evoloop/${run.id}/base`, run.baseCommit);
      const strays = await killStrayProcesses(path.join(started.problemDir, '.evoloop'));
      if (strays > 0) emit({ type: 'notice', message: `killed ${strays} verifier process group(s) left running by an earlier evoloop process` });
      const operators = selectOperators(config, {
        ...opts.llm,
        model: opts.model,
        baseUrl: opts.baseUrl,
        store,
        runId: run.id,
        problemDir: started.problemDir,
        configFile: started.configFile,
        workspace,
        notice: (message) => emit({ type: 'notice', message }),
        maxCandidates: opts.maxCandidates,
      });
      const { judge, modelRun } = verifierModels(config, {
        ...opts.llm,
        store,
        runId: run.id,
        notice: (message) => emit({ type: 'notice', message }),
        scrub: !!opts.scrubEnvironment,
      });
      const b = config.budget;
      // Every candidate but the baseline counts against the candidates budget, across sessions.
      const done = Math.max(0, Object.values(store.countByStatus(run.id)).reduce((sum, n) => sum + n, 0) - (run.baselineId !== null ? 1 : 0));
      const maxCandidates = opts.moreCandidates !== undefined ? done + opts.moreCandidates : (opts.maxCandidates ?? b.candidates);
      emit({
        type: 'notice',
        message: started.sandbox.available
          ? describeSandboxView({ path: process.env.PATH, expose: config.sandbox_expose })
          : `sandbox: none (${started.sandbox.reason ?? 'bubblewrap not found'}) — NOT contained: candidate code runs as you, so it can read your files (keys, holdout data, other processes' environments), write outside its worktree, use the network and leave changes behind; detected and never accepted: changes to protected files and to git's config and hooks (put back). Install bubblewrap (apt-get install bubblewrap), or set sandbox: required to refuse to run without it.`,
      });
      emit({ type: 'notice', message: await containmentNotice(started.sandbox.available) });
      // What the operators will do here (tune: the literals it moves, with their ranges), told once.
      const described = await operators.describe({
        editableFiles: workspace.baseFiles().filter((p) => isEditable(p, started.rules)),
        readBase: (p) => workspace.readBase(p),
      });
      emit({
        type: 'run-start',
        runId: run.id,
        resumed: started.resumed,
        done,
        baseCommit: run.baseCommit,
        operators: operators.names,
        notice: [operators.notice, described].filter(Boolean).join('\n') || undefined,
        budget: { candidates: maxCandidates, timeMs: b.time, usd: b.usd, target: b.target, patience: b.patience },
      });
      let outcome;
      let backend: EvaluationBackend | undefined;
      try {
        const abandon = new AbortController();
        const deps = {
          config,
          runId: run.id,
          store,
          workspace,
          signal: abandon.signal,
          protectedFiles: await baseProtectedFiles(workspace, started.rules),
          notice: (message: string) => emit({ type: 'notice', message }),
          judge,
          modelRun,
        };
        backend = opts.redis ? backends.redis({ ...deps, redis: { url: opts.redis.url, localSlots: opts.redis.localSlots ?? 0 } }) : backends.local(deps);
        const population = strategies[config.search.strategy]({
          config,
          store,
          run,
          workspace,
          backend,
          emit,
          signal: abandon.signal,
          chooseIsland: operators.chooseIsland,
        });
        const novelty = config.novelty && noveltyFilter(config.novelty.threshold, { store, run, workspace, rules: started.rules });
        const admit = admission({ store, run, workspace, rules: started.rules, protectedPaths: backend.protectedPaths, novelty });
        evolution = new Evolution({
          config,
          rules: started.rules,
          store,
          run,
          workspace,
          operators,
          population,
          admit,
          emit,
          abandon,
          maxCandidates,
        });
        if (stopRequest) evolution.stop(stopRequest);
        outcome = await evolution.run();
      } catch (err) {
        if (!opts.keepWorktrees) pruneWorktrees(workspace, emit);
        store.updateRun(run.id, { status: 'failed', stopReason: (err as Error).message, elapsedMs: evolution?.elapsedMs() ?? run.elapsedMs, ownerPid: null });
        emit({ type: 'run-stop', runId: run.id, status: 'failed', reason: (err as Error).message });
        throw err;
      } finally {
        await backend?.close?.();
      }
      if (!opts.keepWorktrees) pruneWorktrees(workspace, emit);
      store.updateRun(run.id, { status: outcome.status, stopReason: outcome.reason, elapsedMs: evolution.elapsedMs(), ownerPid: null });
      emit({ type: 'run-stop', runId: run.id, status: outcome.status, reason: outcome.reason, ...(outcome.error ? { error: true } : {}) });
      return { ...summarize(store, run.id), ...(outcome.error ? { error: outcome.reason } : {}) };
    } finally {
      clearInterval(heartbeat);
      clearInterval(stopPoll);
      await backups.stop(); // the backup at every clean stop
      store.close();
    }
  })();
  const handle: RunHandle = {
    done,
    stop(o = {}) {
      stopRequest = { abandon: o.abandon || stopRequest?.abandon };
      evolution?.stop(stopRequest);
    },
  };
  return handle;
}

/** The pool is recreated by the next session; one that cannot be removed now (a file a candidate made unremovable) is told, not fatal. */
function pruneWorktrees(workspace: Workspace, emit: (e: EvolutionEvent) => void): void {
  try {
    workspace.removePool();
  } catch (err) {
    emit({ type: 'notice', message: `could not remove the worktree pool: ${(err as Error).message} (\`evoloop gc\` or the next run retries)` });
  }
}
