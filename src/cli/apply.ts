// `evoloop apply <id|best> --branch NAME`: the candidate's whole change as one commit on a
// new branch from the base. The user's checkout is not touched.
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { Workspace } from '../workspace/workspace.js';
import { fmtScore, openRun, printJson, resolveCandidate } from './context.js';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description("create a branch holding a candidate's change on top of the run's base commit")
    .argument('<candidate>', 'a candidate id or `best`')
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'a run id (default: the latest)')
    .option('-b, --branch <name>', 'branch name (default: evoloop/<run>/best-<id>)')
    .option('--force', 'move the branch if it exists')
    .option('--json', 'print JSON')
    .action(async (ref: string, problem: string, opts: { run?: string; branch?: string; force?: boolean; json?: boolean }) => {
      const ctx = openRun(problem, opts.run);
      try {
        const c = resolveCandidate(ctx, ref);
        if (Object.keys(c.files).length === 0) throw new UsageError(`candidate ${c.id} makes no change to the base; nothing to apply.`);
        const branch = opts.branch ?? `evoloop/${ctx.run.id}/best-${c.id}`;
        const ws = await Workspace.open({ problemDir: ctx.problemDir, baseCommit: ctx.run.baseCommit, poolSize: 0 });
        const message = `evoloop: candidate ${c.id} of run ${ctx.run.id} (score ${fmtScore(c.score)})\n\n${c.description}\n\nEvoloop-Run: ${ctx.run.id}\nEvoloop-Candidate: ${c.id}`;
        const sha = await ws.createBranch(branch, ctx.store.candidateFiles(c), message, !!opts.force);
        if (opts.json) return printJson({ branch, commit: sha, candidate: c.id, base: ctx.run.baseCommit });
        process.stdout.write(
          `branch ${branch} → ${sha.slice(0, 12)}: candidate ${c.id} (score ${fmtScore(c.score)}) on top of ${ctx.run.baseCommit.slice(0, 12)}\nYour checkout is unchanged. Next: git switch ${branch}  or  git merge ${branch}\n`,
        );
      } finally {
        ctx.store.close();
      }
    });
}
