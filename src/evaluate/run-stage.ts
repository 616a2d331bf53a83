// Runs one verifier stage command for one candidate and turns whatever happened
// into a StageResult. Verifier misbehaviour (hangs, crashes, floods, garbage, memory
// exhaustion, fork bombs) is a recorded failure, never an exception.
import { mkdir } from 'node:fs/promises';
import { constants } from 'node:os';
import { join, relative, isAbsolute } from 'node:path';
import { checkEnvAllowList, isSecretName } from '../core/secret-names.js';
import type { FailureKind, StageKind, StageResult } from '../core/types.js';
import { MetricsFile } from './metrics-file.js';
import { parseMetrics, type MetricsChannel } from './parse-metrics.js';
import { StageContainment } from './containment.js';
import { limitFailure, stageLimits, type LimitKey, type StageLimits } from './limits.js';
import { runProcessTree, type TreeResult } from './process-tree.js';
import { stageScope } from './stage-token.js';
import { SANDBOX_HOME, sandboxArgv, type ReadOnlyBind, type SandboxMode } from './sandbox.js';

export interface StageSpec {
  name: string;
  kind: StageKind;
  /** Shell command, run as `/bin/sh -c <run>`. */
  run: string;
  timeoutMs: number;
  /** Names of environment variables passed through; a trailing `*` matches a prefix (`MY_*`). */
  env: string[];
  /** Memory of the stage: all its processes (cgroup) and each one (RLIMIT_DATA). Default and the rest: limits.ts. */
  memoryMb?: number;
  /** Tasks of the stage (pids cgroup when available, else a count polled through /proc). */
  maxProcs?: number;
  /** Growth of the worktree and the scratch folder, polled while the stage runs. */
  diskMb?: number;
  /** Size of a sandboxed stage's private /tmp (RAM). */
  tmpMb?: number;
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
  /** The problem's state folder (.evoloop): the next run of the problem sweeps what this stage left if evoloop dies. */
  stateDir?: string;
  /** More host paths a sandboxed stage sees read-only (the config's `sandbox_expose`). */
  expose?: string[];
  /** What the worktree takes on disk before the stage, when the caller knows it (the pool's proof); otherwise it is walked. */
  worktreeBytes?: number;
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
  const limits = stageLimits(spec);
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
    worktree: inv.worktree,
    cwd: inv.cwd,
    writable: [inv.scratchDir, metricsFile.dir],
    readOnlyBinds: inv.readOnlyBinds ?? [],
    hidden: inv.hidden,
    path: env.PATH,
    expose: inv.expose,
    tmpMb: limits.tmpMb,
  };
  const { argv, sandboxed } = await sandboxArgv(inv.sandbox, ['/bin/sh', '-c', spec.run], layout);
  if (sandboxed) {
    env.TMPDIR = '/tmp'; // the sandbox's private /tmp; anything else is read-only
    env.HOME = SANDBOX_HOME; // the user's home is not in the sandbox
  }

  const result = (failure: { kind: FailureKind; message: string } | undefined, tree?: TreeResult): StageResult => ({
    stage: spec.name,
    kind: spec.kind,
    repeat: inv.repeat,
    seed: inv.seed,
    ok: failure === undefined,
    ...(failure && { failure }),
    metrics: {},
    exitCode: tree?.exitCode ?? null,
    signal: tree?.signal ?? null,
    durationMs: tree?.durationMs ?? 0,
    stdoutTail: tree?.stdout ?? '',
    stderrTail: tree?.stderr ?? '',
  });

  const containment = await StageContainment.open({
    limits,
    diskDirs: [inv.worktree, inv.scratchDir],
    firstDirBytes: inv.worktreeBytes,
    sandboxed,
    scope: stageScope(inv.stateDir ?? ''),
  });
  let tree: TreeResult;
  let hit: LimitKey | undefined;
  try {
    tree = await runProcessTree(containment.command(argv), {
      cwd: inv.cwd,
      env: { ...env, ...containment.env },
      timeoutMs: spec.timeoutMs,
      maxOutputBytes: spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      killAfterOutputBytes: spec.killAfterOutputBytes ?? DEFAULT_KILL_AFTER_OUTPUT_BYTES,
      signal: inv.signal,
      killStragglers: () => containment.killAll(),
      watch: containment.watch,
      onExit: () => metricsFile.markExit(),
    });
    hit = await containment.finish(tree);
  } finally {
    await containment.close();
  }
  if (tree.killedFor === 'abort') throw inv.signal?.reason ?? new DOMException('the stage was aborted', 'AbortError');

  const report = metricsFile.read();
  const parsed = tree.spawnError
    ? undefined
    : 'untrusted' in report && spec.metrics !== 'json' && spec.metrics !== 'lines'
      ? { error: { kind: 'bad-metrics' as const, message: report.untrusted } }
      : parseMetrics(tree.stdout, 'text' in report ? report.text : undefined, spec.metrics);
  const failure = classify(spec, limits, inv.cwd, tree, parsed, hit);
  const res = result(failure, tree);
  if (parsed && 'metrics' in parsed) {
    if (!failure) res.metrics = parsed.metrics;
    if (parsed.feedback !== undefined) res.feedback = parsed.feedback;
  }
  return res;
}

function classify(
  spec: StageSpec,
  limits: StageLimits,
  cwd: string,
  tree: TreeResult,
  parsed: ReturnType<typeof parseMetrics> | undefined,
  hit: LimitKey | undefined,
): { kind: FailureKind; message: string } | undefined {
  const stage = `stage "${spec.name}"`;
  const stderr = stderrLines(tree.stderr);
  if (tree.spawnError)
    return {
      kind: 'spawn-error',
      message: `${stage} could not be started in ${cwd}: ${tree.spawnError.message}. Check that the folder exists and /bin/sh is executable.`,
    };
  if (tree.lost) return { kind: 'crash', message: `${stage} ended without a result, so it counts as failed: ${tree.lost.message}.${stderr}` };
  // A limit hit explains whatever followed (a crash, a timeout of a fork bomb, or an exit 0 with refused forks).
  if (hit) {
    const failure = limitFailure(spec.name, hit, limits);
    return { kind: failure.kind, message: `${failure.message}${stderr}` };
  }
  if (tree.killedFor === 'timeout') {
    return {
      kind: 'timeout',
      message: `${stage} did not finish within its timeout of ${spec.timeoutMs / 1000} s and was killed with all its processes. If it is just slow, raise the stage's timeout.`,
    };
  }
  if (tree.killedFor === 'output-limit') {
    return {
      kind: 'output-limit',
      message: `${stage} printed more than ${spec.killAfterOutputBytes ?? DEFAULT_KILL_AFTER_OUTPUT_BYTES} bytes and was killed. Print less (write details to $EVOLOOP_ARTIFACTS) or raise killAfterOutputBytes.`,
    };
  }
  const signal = tree.signal ?? signalFromExitCode(tree.exitCode);
  if (signal) {
    const how = tree.signal ? `was killed by ${signal}` : `exited with code ${tree.exitCode} (128+n: probably killed by ${signal})`;
    return { kind: 'signal', message: `${stage} ${how}, not by evoloop.${stderr}` };
  }
  if (tree.exitCode !== 0) return { kind: 'crash', message: `${stage} exited with code ${tree.exitCode}.${stderr}` };
  // A gate's metrics count for nothing, so reports that disagree (progress lines, say) do not fail it.
  const ignored = spec.kind === 'gate' && parsed && 'error' in parsed && parsed.error.kind === 'ambiguous-metrics';
  if (parsed && 'error' in parsed && !ignored) return { kind: parsed.error.kind, message: `${stage}: ${parsed.error.message}` };
  if (spec.kind !== 'gate' && parsed && 'metrics' in parsed && Object.keys(parsed.metrics).length === 0) {
    if (parsed.quoted) {
      const named = parsed.quoted.map((q) => `"${q.key}" is the string ${JSON.stringify(q.text)} in ${q.where}`).join('; ');
      const { key, text } = parsed.quoted[0];
      return {
        kind: 'no-metrics',
        message: `${stage} exited 0 but reported no metrics: ${named}, not a number. Fix: write it without quotes ("${key}": ${text.trim()}).`,
      };
    }
    return {
      kind: 'no-metrics',
      message: `${stage} exited 0 but reported no metrics${CHANNEL_HELP[spec.metrics ?? 'auto']}. (Values must be finite JSON numbers — "12" is a string; a very long last line may be cut by the output cap, so prefer $EVOLOOP_METRICS.)`,
    };
  }
  return undefined;
}

const CHANNEL_HELP: Record<MetricsChannel, string> = {
  auto: '. Write a JSON object of numbers to $EVOLOOP_METRICS, print one as a line of stdout, or print METRIC name=value lines',
  file: ' in its $EVOLOOP_METRICS file (metrics: file). Write a JSON object of numbers to that file',
  json: ' as a JSON line of stdout (metrics: json). Print a JSON object of numbers on one line',
  lines: ' as METRIC lines (metrics: lines). Print METRIC name=value lines',
};

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
 * The scrubbed environment: base variables plus allowed ones, never secrets — neither
 * secret-looking names nor `secrets` (e.g. a model's api_key_env, whatever its name).
 */
export function stageEnv(allow: string[], source: NodeJS.ProcessEnv, secrets: string[] = []): Record<string, string> {
  const matches = (name: string) => BASE_ENV.includes(name) || allow.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && matches(name) && !isSecretName(name) && !secrets.includes(name)) env[name] = value;
  }
  return env;
}

function checkInvocation(spec: StageSpec, inv: StageInvocation): void {
  const bad = checkEnvAllowList(spec.env) ?? checkEnvAllowList(Object.keys(inv.extraEnv ?? {}));
  if (bad) throw new Error(bad);
  const rel = relative(inv.worktree, inv.cwd);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`stage "${spec.name}": cwd ${inv.cwd} is outside the worktree ${inv.worktree}`);
  if (!(spec.timeoutMs > 0)) throw new Error(`stage "${spec.name}": timeout must be a positive number of milliseconds, got ${spec.timeoutMs}`);
}
