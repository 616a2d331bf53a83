// `agent`: an external coding-agent command edits the parent's files in a pooled worktree.
// It gets the assembled prompt as a file ($EVOLOOP_PROMPT_FILE, or `{prompt}` in the
// command), a scrubbed environment and a timeout that kills its whole process group. Its
// change is read back from the worktree against the pool's snapshot of the base (untracked
// files included, ignored ones not); the engine then applies the same protect/edit rules as
// to any proposal.
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import type { FileSet } from '../../core/types.js';
import { StageContainment } from '../../evaluate/containment.js';
import { DEFAULT_LIMITS, stageLimits } from '../../evaluate/limits.js';
import { runProcessTree } from '../../evaluate/process-tree.js';
import { stageEnv } from '../../evaluate/run-stage.js';
import { SANDBOX_HOME, sandboxArgv } from '../../evaluate/sandbox.js';
import { stageScope } from '../../evaluate/stage-token.js';
import { renderPrompt } from '../../propose/prompt.js';
import { readNoFollow } from '../../workspace/safe-write.js';
import { sameSnapshot, takeSnapshot } from '../../workspace/snapshot.js';
import type { Workspace, Worktree } from '../../workspace/workspace.js';
import { StopProposing, type Operator, type OperatorContext, type ProposalResult } from '../operator.js';
import { gatherPromptInput, type ProblemInfo } from '../prompt-input.js';

export type AgentConfig = NonNullable<Config['agent']>;

export interface AgentDeps {
  problem: ProblemInfo;
  workspace: Workspace;
  agent: AgentConfig;
  /** Protected files and folders of the problem (problem-relative): read-only for the agent. */
  protectedPaths: () => string[];
  env?: NodeJS.ProcessEnv;
}

const OUTPUT_BYTES = 64 * 1024;

export function agentOperator(deps: AgentDeps): Operator {
  return {
    name: 'agent',
    async propose(ctx): Promise<ProposalResult> {
      const rendered = renderPrompt(await gatherPromptInput(deps.problem, ctx), { kind: 'agent' });
      const scratch = path.join(deps.problem.problemDir, '.evoloop', 'agent', deps.problem.runId);
      await mkdir(scratch, { recursive: true });
      const dir = await mkdtemp(path.join(scratch, 'p-'));
      const promptFile = path.join(dir, 'prompt.md');
      const descriptionFile = path.join(dir, 'description.txt');
      await writeFile(promptFile, `${rendered.system}\n\n${rendered.prompt}\n`);
      const wt = await deps.workspace.acquire();
      try {
        deps.workspace.materialize(wt, ctx.parents[0].files);
        const r = await runAgent(
          deps,
          wt,
          ['/bin/sh', '-c', deps.agent.run.replaceAll('{prompt}', shellQuote(promptFile))],
          dir,
          {
            EVOLOOP_PROMPT_FILE: promptFile,
            EVOLOOP_DESCRIPTION_FILE: descriptionFile,
            EVOLOOP_RUN: deps.problem.runId,
            EVOLOOP_PARENT: String(ctx.parents[0].id),
          },
          ctx.signal,
        );
        const fail = (error: string): ProposalResult => ({ operator: 'agent', error });
        if (r.killedFor === 'abort') throw new StopProposing('stopped while the agent was running', 'interrupted');
        if (r.spawnError) return fail(`the agent command could not start: ${r.spawnError.message}; check agent.run`);
        if (r.lost) return fail(`the agent ended without a result: ${r.lost.message}`);
        if (r.killedFor === 'timeout') return fail(`the agent did not finish within ${deps.agent.timeout / 1000}s and was killed with its process group`);
        if (r.stalled)
          return fail(`the agent printed nothing and changed no file for ${deps.agent.stall / 1000}s (agent.stall) and was killed with its process group`);
        if (r.limit) return fail(`the agent hit its ${r.limit} limit and was killed with its process group`);
        if (r.killedFor === 'output-limit') return fail('the agent printed more than 64 MB and was killed');
        if (r.exitCode !== 0) return fail(`the agent exited with ${r.exitCode ?? r.signal}: ${tail(r.stderr || r.stdout)}`);
        const read = await changedFiles(deps.workspace, wt, ctx);
        if ('error' in read) return fail(read.error);
        const written = (await readFile(descriptionFile, 'utf8').catch(() => '')).trim().split('\n')[0];
        const said = r.stdout.trim().split('\n').pop()?.trim();
        const description = (written || said || `agent changed ${Object.keys(read.changes).join(', ') || 'nothing'}`).slice(0, 200);
        return { operator: 'agent', description, changes: read.changes };
      } finally {
        deps.workspace.release(wt);
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Runs the agent in its worktree like a verifier stage — same sandbox (but with the network:
 * it calls its own model), protected files read-only, the store hidden, the same limits and
 * process sweep — plus a stall watchdog: no output and no file change for `agent.stall`
 * kills it.
 */
async function runAgent(deps: AgentDeps, wt: Worktree, command: string[], scratch: string, extraEnv: Record<string, string>, signal: AbortSignal | undefined) {
  const { config, problemDir } = deps.problem;
  const stateDir = path.join(problemDir, '.evoloop');
  const env: Record<string, string> = { ...agentEnv(deps.agent.env, deps.env ?? process.env), ...extraEnv };
  const { argv, sandboxed } = await sandboxArgv(config.sandbox, command, {
    worktree: wt.root,
    cwd: wt.problemDir,
    writable: [scratch],
    // The worktree was just put at the base: its own protected entries are the base's.
    readOnlyBinds: deps.protectedPaths().map((p) => ({ source: path.join(wt.problemDir, p), target: path.join(wt.problemDir, p) })),
    hidden: [stateDir],
    path: env.PATH,
    expose: config.sandbox_expose,
    tmpMb: DEFAULT_LIMITS.tmpMb,
    network: true,
  });
  if (sandboxed) Object.assign(env, { TMPDIR: '/tmp', HOME: SANDBOX_HOME });
  const limits = stageLimits({});
  const containment = await StageContainment.open({ limits, diskDirs: [wt.root], sandboxed, scope: stageScope(stateDir) });
  let lastActivity = Date.now();
  let stalled = false;
  let seen = takeSnapshot(wt.root);
  try {
    const r = await runProcessTree(containment.command(argv), {
      cwd: wt.problemDir,
      env: { ...env, ...containment.env },
      timeoutMs: deps.agent.timeout,
      maxOutputBytes: OUTPUT_BYTES,
      killAfterOutputBytes: 64 * 1024 * 1024,
      signal,
      killStragglers: () => containment.killAll(),
      onOutput: () => (lastActivity = Date.now()),
      watch: (leader, stop) => {
        const unwatch = containment.watch(leader, stop);
        const timer = setInterval(
          () => {
            const now = takeSnapshot(wt.root);
            if (!sameSnapshot(now, seen)) lastActivity = Date.now();
            seen = now;
            if (Date.now() - lastActivity >= deps.agent.stall) {
              stalled = true;
              stop();
            }
          },
          Math.min(5000, Math.max(50, deps.agent.stall / 4)),
        );
        return () => {
          clearInterval(timer);
          unwatch();
        };
      },
    });
    const limit = await containment.finish(r);
    return { ...r, stalled: stalled && !limit, limit };
  } finally {
    await containment.close();
  }
}

/**
 * The files whose content now differs from the parent's, relative to the problem folder,
 * found without git: the worktree against the pool's snapshot of the base (the agent's
 * commits count for nothing, only its files). Deletions, symlinks, other non-regular files
 * and files outside the problem folder are refused with a reason.
 */
async function changedFiles(workspace: Workspace, wt: Worktree, ctx: OperatorContext): Promise<{ changes: FileSet } | { error: string }> {
  const prefix = workspace.repo.prefix ? `${workspace.repo.prefix}/` : '';
  const shown = (repoPath: string) => (repoPath.startsWith(prefix) ? repoPath.slice(prefix.length) : repoPath);
  const found = await workspace.changes(wt);
  if (found.deleted.length > 0) return { error: `the agent deleted ${shown(found.deleted[0])}; deleting files is not supported, change their content instead` };
  const touched = new Set<string>([...Object.keys(ctx.parents[0].files).map((p) => prefix + p), ...found.files, ...found.links, ...found.special]);
  const changes: FileSet = {};
  for (const repoPath of [...touched].sort()) {
    if (!repoPath.startsWith(prefix)) return { error: `the agent changed ${repoPath}, outside the problem folder; only files inside it may change` };
    const rel = repoPath.slice(prefix.length);
    const abs = path.join(wt.problemDir, rel);
    const stat = await lstat(abs).catch(() => undefined);
    if (!stat) {
      if ((await ctx.readFile(rel)) !== undefined) return { error: `the agent deleted ${rel}; deleting files is not supported, change their content instead` };
      continue;
    }
    if (stat.isSymbolicLink()) return { error: `the agent made ${rel} a symlink; only regular files may change (a link could lead out of the worktree)` };
    if (!stat.isFile()) return { error: `the agent made ${rel} a ${stat.isDirectory() ? 'folder' : 'special file'}; only regular files may change` };
    const content = readNoFollow(abs).toString('utf8');
    if (content !== (await ctx.readFile(rel))) changes[rel] = content;
  }
  return { changes };
}

/** PATH, HOME, LANG, TERM, TMPDIR and agent.env; a secret (an API key the agent needs) passes only when named exactly. */
export function agentEnv(allow: string[], source: NodeJS.ProcessEnv): Record<string, string> {
  const env = stageEnv(allow, source);
  for (const name of allow) if (!name.endsWith('*') && source[name] !== undefined) env[name] = source[name]!;
  return env;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-10).join('\n') || '(no output)';
}
