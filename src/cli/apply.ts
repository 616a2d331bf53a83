// `evoloop apply <id|best> --branch NAME`: the candidate's whole change as one commit on a
// new branch, from the run's base (default) or merged onto another commit (--onto HEAD).
// The user's checkout is not touched.
import type { Command } from 'commander';
import { RunError, UsageError } from '../core/errors.js';
import { git } from '../workspace/git.js';
import { mergeOnto } from '../workspace/merge-onto.js';
import { Workspace } from '../workspace/workspace.js';
import { applyMessage } from './apply-message.js';
import { fmtScore, openRun, printJson, resolveCandidate } from './context.js';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description(
      "create a branch holding a candidate's change: on top of the run's base commit, or with --onto HEAD merged onto your current commit; your checkout is not touched",
    )
    .argument('<candidate>', 'a candidate id or `best`')
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'a run id (default: the latest)')
    .option('-b, --branch <name>', 'branch name (default: evoloop/<run>/best-<id>)')
    .option('--onto <commit>', "three-way merge of the change onto this commit (e.g. HEAD) instead of the run's base; on a conflict nothing is written")
    .option('--force', 'move the branch if it exists')
    .option('--json', 'print JSON')
    .action(async (ref: string, problem: string, opts: { run?: string; branch?: string; onto?: string; force?: boolean; json?: boolean }) => {
      const ctx = openRun(problem, opts.run);
      try {
        const c = resolveCandidate(ctx, ref);
        if (Object.keys(c.files).length === 0) throw new UsageError(`candidate ${c.id} makes no change to the base; nothing to apply.`);
        const branch = opts.branch ?? `evoloop/${ctx.run.id}/best-${c.id}`;
        const goal = JSON.parse(ctx.run.configJson).objective?.goal === 'minimize' ? 'minimize' : 'maximize';
        const message = applyMessage(ctx.store, ctx.run, c, goal);
        const base = await Workspace.open({ problemDir: ctx.problemDir, baseCommit: ctx.run.baseCommit, poolSize: 0 });
        const onto = opts.onto === undefined ? ctx.run.baseCommit : await resolveCommit(ctx.problemDir, opts.onto);
        let files = ctx.store.candidateFiles(c);
        const target = onto === ctx.run.baseCommit ? base : await Workspace.open({ problemDir: ctx.problemDir, baseCommit: onto, poolSize: 0 });
        if (target !== base) {
          const merged = await mergeOnto(
            files,
            (p) => base.readBase(p),
            (p) => target.readBase(p),
          );
          if ('conflicts' in merged) {
            throw new RunError(
              `candidate ${c.id} does not merge onto ${opts.onto} (${onto.slice(0, 12)}); nothing was written:\n${merged.conflicts.map((x) => `  ${x.path}: ${x.why}`).join('\n')}\nFix: apply it on the base (without --onto) and merge that branch yourself (git merge ${branch}), resolving the conflicts there.`,
            );
          }
          files = merged.files;
        }
        const sha = await target.createBranch(branch, files, message, !!opts.force);
        if (opts.json) return printJson({ branch, commit: sha, candidate: c.id, base: ctx.run.baseCommit, onto });
        const where = target === base ? `on top of the run's base ${onto.slice(0, 12)}` : `merged onto ${opts.onto} (${onto.slice(0, 12)})`;
        process.stdout.write(
          `branch ${branch} → ${sha.slice(0, 12)}: candidate ${c.id} (score ${fmtScore(c.score)}) ${where}\nYour checkout is unchanged. Next: git switch ${branch}  or  git merge ${branch}\n`,
        );
      } finally {
        ctx.store.close();
      }
    });
}

async function resolveCommit(problemDir: string, rev: string): Promise<string> {
  const r = await git(problemDir, ['rev-parse', '--verify', '-q', '--end-of-options', `${rev}^{commit}`], { allowFail: true });
  if (r.code !== 0) throw new UsageError(`--onto ${rev}: not a commit of this repository. Fix: give a commit, branch or HEAD.`);
  return r.stdout.trim();
}
