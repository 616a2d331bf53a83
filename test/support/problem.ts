// A throwaway git repository holding a small evoloop problem, so integration tests
// run real git, real SQLite and real verifier processes without touching this repo.
//
// The default problem: program.mjs exports three literals (two floats, one integer)
// inside an EVOLVE-BLOCK; verifier/score.sh scores them deterministically (higher is
// better, best at a=4, b=1, n=8) and appends a line per invocation to `logFile`, which
// lives outside the repository, so tests can count verifier runs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(PROJECT_ROOT, 'bin', 'evoloop.js');

export const PROGRAM = `// A toy problem: the verifier scores these parameters.
export function params() {
  // EVOLVE-BLOCK-START
  const a = 1.5; // evoloop: -10..10
  const b = -2.0; // evoloop: -10..10
  const n = 3; // evoloop: 0..20
  // EVOLVE-BLOCK-END
  return { a, b, n };
}
`;

/**
 * The score stage. Logs "start <candidate> <stage> <repeat>" and "end ..." to the log,
 * sleeps SLEEP seconds in between when asked, prints {"score": ...}. The program is
 * evaluated by node; the wrapper is sh so the log lines are cheap.
 */
export function scoreScript(log: string, opts: { sleep?: number } = {}): string {
  return `#!/bin/sh
echo "start $EVOLOOP_CANDIDATE $EVOLOOP_STAGE $EVOLOOP_REPEAT $$" >> '${log}'
${opts.sleep ? `sleep ${opts.sleep}` : ''}
node --input-type=module -e "
import { params } from './program.mjs';
const { a, b, n } = params();
console.log(JSON.stringify({ score: 100 - (a - 4) ** 2 - (b - 1) ** 2 - (n - 8) ** 2, seed: Number(process.env.EVOLOOP_SEED) }));
" || exit $?
echo "end $EVOLOOP_CANDIDATE $EVOLOOP_STAGE $EVOLOOP_REPEAT" >> '${log}'
`;
}

export interface ProblemOptions {
  /** Folder of the problem inside the repository ('' = the repository root). Default 'problem'. */
  sub?: string;
  /** Overrides merged over the default config (top-level keys replaced). */
  config?: Record<string, unknown>;
  /** Raw evoloop.yaml text, instead of `config`. */
  configText?: string;
  /** Extra or replaced files (problem-relative); `{tmp}` in their text becomes the temp folder. */
  files?: Record<string, string>;
  /** Seconds the default score stage sleeps. */
  sleep?: number;
  /** Copy this folder (e.g. an example) as the problem instead of the default files. */
  from?: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Problem {
  /** Temp folder holding the repository and, beside it, logs and markers. */
  tmp: string;
  repo: string;
  dir: string;
  /** Verifier invocation log, outside the repository. */
  logFile: string;
  /** `git` in the repository; returns trimmed stdout. */
  git(...args: string[]): string;
  /** `evoloop <args>` with cwd = the repository; `{dir}` in args is the problem folder. */
  cli(...args: string[]): Promise<CliResult>;
  /** Starts `evoloop <args>` as the leader of its own process group, for kill tests. */
  spawnCli(...args: string[]): ChildProcess;
  /** The verifier log as [event, candidate, stage, repeat, pid?] rows. */
  log(): string[][];
  write(rel: string, content: string): void;
  read(rel: string): string;
  cleanup(): void;
}

export function defaultConfig(): Record<string, unknown> {
  return {
    edit: ['program.mjs'],
    protect: ['verifier/**'],
    verifier: { stages: [{ name: 'score', kind: 'score', run: 'sh verifier/score.sh', timeout: '30s' }] },
    objective: { metric: 'score', goal: 'maximize' },
    budget: { candidates: 10 },
    // A fixed seed: the offline operator's draws, and so whether a short run improves, are the same every time.
    search: { strategy: 'greedy', parallel: 1, seed: 1 },
    // Deterministic verifier: the naive rule is exact and needs one sample per candidate.
    accept: { rule: 'better', baseline_repeats: 1 },
    // Verifiers here log to a file outside the worktree, which a sandbox would forbid.
    sandbox: 'off',
    // Tests describe tune's proposals; a test of the default offline choice passes operators: undefined.
    operators: { tune: 1 },
  };
}

export function createProblem(opts: ProblemOptions = {}): Problem {
  const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-test-'));
  const repo = path.join(tmp, 'repo');
  const sub = opts.sub ?? 'problem';
  const dir = sub ? path.join(repo, sub) : repo;
  const logFile = path.join(tmp, 'verifier.log');
  mkdirSync(dir, { recursive: true });
  writeFileSync(logFile, '');

  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } }).trim();
  const write = (rel: string, content: string) => {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    if (rel.startsWith('verifier/') && /\.(sh|mjs)$/.test(rel)) chmodSync(file, 0o755);
  };

  git('init', '-q', '-b', 'main');
  writeFileSync(path.join(repo, 'README.md'), '# a test repository\n');
  writeFileSync(path.join(repo, '.gitignore'), '.evoloop/\n');
  if (opts.from) {
    cpSync(opts.from, dir, { recursive: true, filter: (src) => path.basename(src) !== '.evoloop' });
  } else {
    write('program.mjs', PROGRAM);
    write('verifier/score.sh', scoreScript(logFile, { sleep: opts.sleep }));
    write('evoloop.yaml', opts.configText ?? stringify({ ...defaultConfig(), ...opts.config }));
  }
  for (const [rel, content] of Object.entries(opts.files ?? {})) write(rel, content.replaceAll('{tmp}', tmp));
  git('add', '-A');
  git('commit', '-q', '-m', 'base');

  const expand = (args: string[]) => args.map((a) => a.replace('{dir}', dir));
  return {
    tmp,
    repo,
    dir,
    logFile,
    git,
    cli: (...args) => runCli(expand(args), repo),
    spawnCli: (...args) => spawn(process.execPath, [CLI, ...expand(args)], { cwd: repo, env: cliEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] }),
    log: () =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')),
    write,
    read: (rel) => readFileSync(path.join(dir, rel), 'utf8'),
    cleanup: () => rmSync(tmp, { recursive: true, force: true }),
  };
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@localhost',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@localhost',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** The test's environment without model API keys, so no run ever reaches a real provider. */
function cliEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/(API_KEY|_TOKEN|_SECRET)$/i.test(name)));
  return { ...env, ...GIT_ENV, NO_COLOR: '1', FORCE_COLOR: '0' };
}

export function runCli(args: string[], cwd: string): Promise<CliResult> {
  if (!existsSync(path.join(PROJECT_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` before the integration tests.');
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Polls until `check` returns a truthy value; fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Collects a spawned evoloop's output and waits for `check` while it runs; its exit first fails with that output. */
export async function waitWhileRunning<T>(
  child: ChildProcess,
  check: () => T | undefined | false,
  timeoutMs: number,
  what: string,
): Promise<{ value: T; output: () => string }> {
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const value = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`evoloop exited early (${child.exitCode}):\n${output}`);
      return check();
    },
    timeoutMs,
    what,
  );
  return { value, output: () => output };
}

/** Whether a process exists and is not a zombie (a container's init may not reap orphans). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
