// Runs one verifier stage command for one candidate and turns whatever happened
// into a StageResult. Verifier misbehaviour (hangs, crashes, floods, garbage, memory
// exhaustion, fork bombs) is a recorded failure, never an exception.
import { mkdir } from 'node:fs/promises';
import { constants } from 'node:os';
import { join, relative, isAbsolute } from 'node:path';
import type { FailureKind, StageKind, StageResult } from '../core/types.js';
import { MetricsFile } from './metrics-file.js';
import { parseMetrics, type MetricsChannel } from './parse-metrics.js';
import { PidsCgroup, rlimitPrefix, runProcessTree, type TreeResult } from './process-tree.js';
import { findOnPath, SANDBOX_HOME, sandboxArgv, type ReadOnlyBind, type SandboxMode } from './sandbox.js';

export interface StageSpec {
  name: string;
  kind: StageKind;
  /** Shell command, run as `/bin/sh -c <run>`. */
  run: string;
  timeoutMs: number;
  /** Names of environment variables passed through; a trailing `*` matches a prefix (`MY_*`). */
  env: string[];
  /** Limit on allocated memory (RLIMIT_DATA) of every process of the stage. */
  memoryMb?: number;
  /** Limit on the number of processes (pids cgroup when available, else RLIMIT_NPROC). */
  maxProcs?: number;
  /** Bytes of each of stdout/stderr kept: first half and last half. Default 64 KiB. */
  maxOutputBytes?: number;
  /** Total output after which the stage is killed ('output-limit'). Default 256 MiB. */
  killAfterOutputBytes?: number;
  /** Where the stage reports its metrics (see parse-metrics.ts). Default 'auto'. */
  metrics?: MetricsChannel;
}

export interface StageInvocation {
  /** Where the command runs; inside `worktree`. */
  cwd: string;
  worktree: string;
  runId: string;
  candidateId: string;
  repeat: number;
  seed: number;
  /** Folder for this invocation only, outside the worktree: gets artifacts/. */
  scratchDir: string;
  sandbox: SandboxMode;
  /** Files laid read-only over the worktree. Only enforced when the stage is sandboxed. */
  readOnlyBinds?: ReadOnlyBind[];
  /** Folders hidden from a sandboxed stage (an empty tmpfs over them). */
  hidden?: string[];
  /** More host paths a sandboxed stage sees read-only (the config's `sandbox_expose`). */
  expose?: string[];
  /** Aborting kills the stage's process group and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Variables never passed whatever the allow-list says (the models' api_key_env names). */
  secrets?: string[];
  /** Set by evoloop itself (not the user); secret-looking names are refused all the same. */
  extraEnv?: Record<string, string>;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
export const DEFAULT_KILL_AFTER_OUTPUT_BYTES = 256 * 1024 * 1024;
const BASE_ENV = ['PATH', 'HOME', 'LANG', 'TERM', 'TMPDIR'];

export async function runStage(spec: StageSpec, inv: StageInvocation): Promise<StageResult> {
  checkInvocation(spec, inv);
  const artifactsDir = join(inv.scratchDir, 'artifacts');
  await mkdir(artifactsDir, { recursive: true });
  const metricsFile = MetricsFile.create();
  try {
    return await runWithMetricsFile(spec, inv, artifactsDir, metricsFile);
  } finally {
    metricsFile.remove();
  }
}

async function runWithMetricsFile(spec: StageSpec, inv: StageInvocation, artifactsDir: string, metricsFile: MetricsFile): Promise<StageResult> {
  const env: Record<string, string> = {
    ...stageEnv(spec.env, process.env, inv.secrets),
    ...inv.extraEnv,
    EVOLOOP_SEED: String(inv.seed),
    EVOLOOP_RUN: inv.runId,
    EVOLOOP_CANDIDATE: inv.candidateId,
    EVOLOOP_STAGE: spec.name,
    EVOLOOP_REPEAT: String(inv.repeat),
    EVOLOOP_METRICS: metricsFile.path,
    EVOLOOP_ARTIFACTS: artifactsDir,
    // No stage writes bytecode: a cache planted beside the verifier could replace its code.
    PYTHONDONTWRITEBYTECODE: '1',
  };
  const layout = {
    worktree: inv.worktree, cwd: inv.cwd, writable: [inv.scratchDir, metricsFile.dir], readOnlyBinds: inv.readOnlyBinds ?? [],
    hidden: inv.hidden, path: env.PATH, expose: inv.expose,
  };
  const { argv, sandboxed } = await sandboxArgv(inv.sandbox, ['/bin/sh', '-c', spec.run], layout);
  if (sandboxed) {
    env.TMPDIR = '/tmp'; // the sandbox's private /tmp; anything else is read-only
    env.HOME = SANDBOX_HOME; // the user's home is not in the sandbox
  }

  const result = (failure: { kind: FailureKind; message: string } | undefined, tree?: TreeResult): StageResult => ({
    stage: spec.name, kind: spec.kind, repeat: inv.repeat, seed: inv.seed,
    ok: failure === undefined, ...(failure && { failure }), metrics: {},
    exitCode: tree?.exitCode ?? null, signal: tree?.signal ?? null, durationMs: tree?.durationMs ?? 0,
    stdoutTail: tree?.stdout ?? '', stderrTail: tree?.stderr ?? '',
  });

  const rlimits = rlimitPrefix(spec, findOnPath('prlimit'));
  if ('error' in rlimits) return result({ kind: 'spawn-error', message: rlimits.error });
  const cgroup = spec.maxProcs === undefined ? undefined : await PidsCgroup.create(spec.maxProcs);
  let tree: TreeResult;
  let hitProcLimit = false;
  try {
    tree = await runProcessTree([...(cgroup?.joinPrefix() ?? []), ...rlimits, ...argv], {
      cwd: inv.cwd,
      env,
      timeoutMs: spec.timeoutMs,
      maxOutputBytes: spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      killAfterOutputBytes: spec.killAfterOutputBytes ?? DEFAULT_KILL_AFTER_OUTPUT_BYTES,
      signal: inv.signal,
      killStragglers: cgroup && (() => cgroup.killAll()),
      onExit: () => metricsFile.markExit(),
    });
    // Without a cgroup (RLIMIT_NPROC only), a refused fork shows only in stderr.
    hitProcLimit = (await cgroup?.hitLimit()) ?? (spec.maxProcs !== undefined && FORK_REFUSED.test(tree.stderr));
  } finally {
    await cgroup?.remove();
  }
  if (tree.killedFor === 'abort') throw inv.signal?.reason ?? new DOMException('the stage was aborted', 'AbortError');

  const report = metricsFile.read();
  const parsed = tree.spawnError
    ? undefined
    : 'untrusted' in report && spec.metrics !== 'json' && spec.metrics !== 'lines'
      ? { error: { kind: 'bad-metrics' as const, message: report.untrusted } }
      : parseMetrics(tree.stdout, 'text' in report ? report.text : undefined, spec.metrics);
  const failure = classify(spec, inv.cwd, tree, parsed, hitProcLimit);
  const res = result(failure, tree);
  if (parsed && 'metrics' in parsed) {
    if (!failure) res.metrics = parsed.metrics;
    if (parsed.feedback !== undefined) res.feedback = parsed.feedback;
  }
  return res;
}

function classify(
  spec: StageSpec,
  cwd: string,
  tree: TreeResult,
  parsed: ReturnType<typeof parseMetrics> | undefined,
  hitProcLimit: boolean,
): { kind: FailureKind; message: string } | undefined {
  const stage = `stage "${spec.name}"`;
  const procs = hitProcLimit ? ` It hit its process limit (max_procs: ${spec.maxProcs}): some forks were refused.` : '';
  const stderr = stderrLines(tree.stderr);
  if (tree.spawnError) return { kind: 'spawn-error', message: `${stage} could not be started in ${cwd}: ${tree.spawnError.message}. Check that the folder exists and /bin/sh is executable.` };
  if (tree.killedFor === 'timeout') {
    return { kind: 'timeout', message: `${stage} did not finish within its timeout of ${spec.timeoutMs / 1000} s and was killed with all its processes.${procs} If it is just slow, raise the stage's timeout.` };
  }
  if (tree.killedFor === 'output-limit') {
    return { kind: 'output-limit', message: `${stage} printed more than ${spec.killAfterOutputBytes ?? DEFAULT_KILL_AFTER_OUTPUT_BYTES} bytes and was killed. Print less (write details to $EVOLOOP_ARTIFACTS) or raise killAfterOutputBytes.` };
  }
  const signal = tree.signal ?? signalFromExitCode(tree.exitCode);
  if (spec.memoryMb !== undefined && (tree.exitCode !== 0) && (OUT_OF_MEMORY.test(tree.stderr) || signal === 'SIGKILL')) {
    return { kind: 'memory-limit', message: `${stage} ran out of memory under its limit of ${spec.memoryMb} MB (memory_mb). If it legitimately needs more, raise memory_mb.${stderr}` };
  }
  if (signal) {
    const how = tree.signal ? `was killed by ${signal}` : `exited with code ${tree.exitCode} (128+n: probably killed by ${signal})`;
    return { kind: 'signal', message: `${stage} ${how}, not by evoloop.${procs}${stderr}` };
  }
  if (tree.exitCode !== 0) return { kind: 'crash', message: `${stage} exited with code ${tree.exitCode}.${procs}${stderr}` };
  // It exited 0, but some of its forks were refused: whatever it measured is not trustworthy.
  if (hitProcLimit) {
    return { kind: 'process-limit', message: `${stage} exited 0, but it hit its process limit (max_procs: ${spec.maxProcs}) and some forks were refused, so its result is not trusted. If it legitimately needs more processes, raise max_procs.${stderr}` };
  }
  if (parsed && 'error' in parsed) return { kind: parsed.error.kind, message: `${stage}: ${parsed.error.message}` };
  if (spec.kind !== 'gate' && parsed && Object.keys(parsed.metrics).length === 0) {
    return { kind: 'no-metrics', message: `${stage} exited 0 but reported no metrics${CHANNEL_HELP[spec.metrics ?? 'auto']}. (Values must be finite JSON numbers — "12" is a string; a very long last line may be cut by the output cap, so prefer $EVOLOOP_METRICS.)` };
  }
  return undefined;
}

const CHANNEL_HELP: Record<MetricsChannel, string> = {
  auto: '. Write a JSON object of numbers to $EVOLOOP_METRICS, print one as a line of stdout, or print METRIC name=value lines',
  file: ' in its $EVOLOOP_METRICS file (metrics: file). Write a JSON object of numbers to that file',
  json: ' as a JSON line of stdout (metrics: json). Print a JSON object of numbers on one line',
  lines: ' as METRIC lines (metrics: lines). Print METRIC name=value lines',
};

const FORK_REFUSED = /cannot fork|fork: (retry: )?resource temporarily unavailable|EAGAIN/i;
const OUT_OF_MEMORY = /out of memory|cannot allocate memory|bad_alloc|MemoryError|ENOMEM|memory allocation.*failed|failed to allocate|Allocation failed/i;

function signalFromExitCode(code: number | null): string | undefined {
  if (code === null || code <= 128 || code > 128 + 31) return undefined;
  const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
  return name ?? `signal ${code - 128}`;
}

function stderrLines(stderr: string, lines = 20, maxChars = 2000): string {
  const tail = stderr.trimEnd().split('\n').slice(-lines).join('\n').slice(-maxChars);
  return tail ? ` Last lines of stderr:\n${tail}` : ' It printed nothing on stderr.';
}

/**
 * Why a stage's `env` allow-list is not acceptable, or undefined when it is. Model API
 * keys and other secrets are never passed to a verifier, which runs candidate code.
 */
export function checkEnvAllowList(names: string[]): string | undefined {
  for (const name of names) {
    if (name === '*') return 'env: a bare "*" would pass the whole environment to candidate code; name the variables (a prefix such as MY_* is fine).';
    if (!/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(name)) {
      return `env: "${name}" is not a variable name (letters, digits, _; optionally ending in * to match a prefix, e.g. MY_*).`;
    }
    if (isSecretName(name.replace(/\*$/, ''))) {
      return `env: "${name}" looks like a secret (API key, token, password); secrets are never passed to verifier stages, which run candidate code. Remove it from the stage's env; if the verifier needs a credential, give it a narrowly scoped one under a neutral name.`;
    }
  }
  return undefined;
}

/**
 * The scrubbed environment: base variables plus allowed ones, never secrets — neither
 * secret-looking names nor `secrets` (e.g. a model's api_key_env, whatever its name).
 */
export function stageEnv(allow: string[], source: NodeJS.ProcessEnv, secrets: string[] = []): Record<string, string> {
  const matches = (name: string) =>
    BASE_ENV.includes(name) || allow.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && matches(name) && !isSecretName(name) && !secrets.includes(name)) env[name] = value;
  }
  return env;
}

/** OPENAI_API_KEY, OPENROUTER_KEY, *_TOKEN, *_SECRET, AWS_SECRET_ACCESS_KEY, DB_PASSWORD, … (but not TOKENIZERS_PARALLELISM). */
export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  const words = upper.split('_');
  return (
    /(API_?KEY|ACCESS_KEY|PRIVATE_KEY)$/.test(upper) ||
    words.some((w) => ['KEY', 'KEYS', 'TOKEN', 'SECRET', 'PASSWORD', 'PASSWD', 'CREDENTIAL', 'CREDENTIALS'].includes(w))
  );
}

function checkInvocation(spec: StageSpec, inv: StageInvocation): void {
  const bad = checkEnvAllowList(spec.env) ?? checkEnvAllowList(Object.keys(inv.extraEnv ?? {}));
  if (bad) throw new Error(bad);
  const rel = relative(inv.worktree, inv.cwd);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`stage "${spec.name}": cwd ${inv.cwd} is outside the worktree ${inv.worktree}`);
  if (!(spec.timeoutMs > 0)) throw new Error(`stage "${spec.name}": timeout must be a positive number of milliseconds, got ${spec.timeoutMs}`);
}
