// A throwaway problem whose first candidate is hostile, without any model: program.mjs
// holds one tunable literal, `const MODE = 0; // evoloop: -1..1`, inside its EVOLVE-BLOCK.
// The default offline operator (bayes, for one literal and a small budget; tune likewise)
// always moves it to -1 or +1 on the first proposal (a draw that leaves it at 0 is drawn
// again, and the range keeps it there), so candidate 2 runs with MODE !== 0:
// the program behaves normally at MODE 0 and does the hostile thing otherwise.
//
// The default verifier (verifier/score.mjs, protected) imports the program, so the hostile
// code runs inside the verifier's stage process, and prints {"score": value()}.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { EvolutionEvent } from '../../src/engine/events.js';
import { runEvolution } from '../../src/engine/run.js';
import type { RunSummary } from '../../src/store/summary.js';
import { openStore, type CandidateRecord, type MeasurementRecord } from '../../src/store/store.js';
import { startFakeLlmServer, type FakeLlmServer } from './fake-llm-server.js';
import { createProblem, runCli, type CliResult } from './problem.js';

export const SCORE_VERIFIER = `// Scores the program: imports it (running whatever it does at load) and reports value().
import path from 'node:path';
import { pathToFileURL } from 'node:url';
const program = await import(pathToFileURL(path.resolve('program.mjs')).href);
console.log(JSON.stringify({ score: program.value() }));
`;

export interface HostileOptions {
  /**
   * JavaScript run at program load when MODE !== 0 (top-level await allowed; fs, net,
   * child_process, path imported). A function gets the problem folder (the user's checkout).
   */
  hostile?: string | ((problemDir: string) => string);
  /** Expression over MODE for value(); default: 10, or 11 in hostile mode (a hostile run that counted would win). */
  value?: string;
  /** Contents of the EVOLVE-BLOCK; default the MODE literal alone. */
  block?: string;
  /** When the program is hostile, as an expression over the block's names; default MODE !== 0. */
  hostileWhen?: string;
  /** Merged over the default config (top-level keys replaced). */
  config?: Record<string, unknown>;
  /** Extra or replaced problem files (e.g. verifier scripts). */
  files?: Record<string, string>;
  /**
   * Who proposes candidate 2. 'tune' (default): the offline tuner moves MODE. 'model': the
   * loopback model server replies with a SEARCH/REPLACE edit setting MODE to 1 (llm-diff), so
   * the whole model path runs and every prompt it was sent can be inspected (`requests`).
   */
  via?: 'tune' | 'model';
  /** via: 'model': the model's replies, one per proposal in order (the last repeats); default [MODE_ON_REPLY]. */
  replies?: string[];
}

export interface HostileProblem {
  /** Temp folder: the repository, plus room for things outside it. */
  tmp: string;
  repo: string;
  /** The problem folder (repo/problem). */
  dir: string;
  /** A problem file as the run's first pooled worktree holds it now. */
  worktreeFile(rel: string): string;
  /**
   * One run of `maxCandidates` proposals, in process; returns the summary, every event and
   * (via: 'model') every request the model server got, in order.
   */
  run(maxCandidates?: number): Promise<{ summary: RunSummary; events: EvolutionEvent[]; requests: FakeLlmServer['requests'] }>;
  /** `evoloop <args>` through the built CLI, cwd = the problem folder. */
  cli(...args: string[]): Promise<CliResult>;
  /** `evoloop <args> --json`, parsed; fails the test on a non-zero exit. */
  cliJson<T = Record<string, any>>(...args: string[]): Promise<T>;
  candidate(id: number): CandidateRecord;
  measurements(id: number, epoch?: number): MeasurementRecord[];
  write(rel: string, content: string): void;
  git(...args: string[]): string;
  cleanup(): void;
}

export function hostileProgram(opts: Pick<HostileOptions, 'value' | 'block' | 'hostileWhen'> & { hostile?: string }): string {
  return `// A program with a switch: as committed it is honest; the tuned literal turns the hostile part on.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import child_process from 'node:child_process';
// EVOLVE-BLOCK-START
${opts.block ?? 'const MODE = 0; // evoloop: -1..1'}
// EVOLVE-BLOCK-END
export const hostile = ${opts.hostileWhen ?? 'MODE !== 0'};
if (hostile) {
${opts.hostile ?? ''}
}
export function value() {
  return ${opts.value ?? 'hostile ? 11 : 10'};
}
`;
}

/** The scripted model's reply for `via: 'model'`: one SEARCH/REPLACE edit that turns MODE on. */
export const MODE_ON_REPLY = `Idea: switch the mode on
program.mjs
<<<<<<< SEARCH
const MODE = 0; // evoloop: -1..1
=======
const MODE = 1; // evoloop: -1..1
>>>>>>> REPLACE
`;

export function hostileConfig(): Record<string, unknown> {
  return {
    edit: ['program.mjs'],
    protect: ['verifier/**'],
    verifier: { stages: [{ name: 'score', kind: 'score', run: 'node verifier/score.mjs', timeout: '20s' }] },
    objective: { metric: 'score', goal: 'maximize' },
    // Deterministic verifier: one baseline sample, and `significant` then decides exactly.
    accept: { rule: 'significant', baseline_repeats: 1 },
    sandbox: 'off',
  };
}

export function createHostileProblem(opts: HostileOptions = {}): HostileProblem {
  // `{tmp}` in file contents is replaced by createProblem with the temp folder.
  const hostile = typeof opts.hostile === 'function' ? opts.hostile('{tmp}/repo/problem') : opts.hostile;
  const base = createProblem({
    configText: stringify({ ...hostileConfig(), ...(opts.via === 'model' && { operators: { 'llm-diff': 1 } }), ...opts.config }),
    files: { 'program.mjs': hostileProgram({ ...opts, hostile }), 'verifier/score.mjs': SCORE_VERIFIER, ...opts.files },
  });
  const { tmp, repo, dir, git, write } = base;

  const withStore = <T>(fn: (s: ReturnType<typeof openStore>) => T): T => {
    const store = openStore(dir);
    try {
      return fn(store);
    } finally {
      store.close();
    }
  };
  const cli = (...args: string[]) => runCli(args, dir);
  return {
    tmp,
    repo,
    dir,
    worktreeFile: (rel) => readFileSync(path.join(dir, '.evoloop', 'worktrees', '0', 'problem', rel), 'utf8'),
    async run(maxCandidates = 1) {
      const events: EvolutionEvent[] = [];
      if (opts.via !== 'model') {
        const summary = await runEvolution({ problemDir: dir, maxCandidates, newRun: true, keepWorktrees: true, onEvent: (e) => events.push(e) }).done;
        return { summary, events, requests: [] };
      }
      const server = await startFakeLlmServer({ steps: (opts.replies ?? [MODE_ON_REPLY]).map((reply) => ({ reply })), whenExhausted: 'repeat-last' });
      try {
        const summary = await runEvolution({
          problemDir: dir,
          maxCandidates,
          newRun: true,
          keepWorktrees: true, // worktreeFile() shows what the attack left
          model: 'openai:scripted',
          baseUrl: server.openaiBaseUrl,
          llm: {
            env: { PATH: process.env.PATH, EVOLOOP_TEST_MODEL_KEY: 'sk-test-model-key-0123456789abcdef' },
            backoff: { baseDelayMs: 5, maxDelayMs: 20 },
            pause: { baseMs: 20, maxMs: 100 },
          },
          onEvent: (e) => events.push(e),
        }).done;
        return { summary, events, requests: server.requests };
      } finally {
        await server.close();
      }
    },
    cli,
    async cliJson(...args) {
      const r = await cli(...args, '--json');
      if (r.code !== 0) throw new Error(`evoloop ${args.join(' ')} --json exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    candidate: (id) => withStore((s) => s.getCandidate(id)!),
    measurements: (id, epoch = 0) => withStore((s) => s.measurements(id, epoch)),
    write,
    git,
    cleanup: base.cleanup,
  };
}

/** Pids of live processes whose command line contains `marker` (to prove nothing outlived a stage). */
export function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
