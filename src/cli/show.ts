// `evoloop show <id|best>` and `evoloop diff <id|best>`: one candidate in full.
import type { Command } from 'commander';
import { fmtBytes } from '../core/artifact-types.js';
import { sampleScoring } from '../store/samples.js';
import { bestBranch } from '../workspace/run-refs.js';
import { gitDiffAgainstBase } from '../workspace/diff.js';
import { fmtScore, openRun, printJson, resolveCandidate } from './context.js';

export function registerShow(program: Command): void {
  program
    .command('show')
    .description('show one candidate: status, score, metrics per stage and repeat, verdict, verifier output')
    .argument('<candidate>', 'a candidate id, `best` or `baseline`')
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'a run id (default: the latest)')
    .option('--json', 'print JSON')
    .action((ref: string, problem: string, opts: { run?: string; json?: boolean }) => {
      const ctx = openRun(problem, opts.run);
      try {
        const c = resolveCandidate(ctx, ref);
        const measurements = ctx.store.measurements(c.id);
        const artifacts = ctx.store.artifacts.list(c.id);
        if (opts.json) {
          // The run's best branch holds the current champion only; earlier champions keep their ref.
          const branch = c.id === ctx.run.championId && c.status === 'accepted' ? bestBranch(c.runId) : null;
          return printJson({
            id: c.id,
            run: c.runId,
            parent: c.parentId,
            status: c.status,
            reason: c.reason,
            score: c.score,
            metrics: c.metrics,
            verdict: c.verdict,
            samples: ctx.store.objectiveSamples(c.id, sampleScoring(JSON.parse(ctx.run.configJson))),
            operator: c.operator,
            model: c.model,
            description: c.description,
            tokens: { input: c.tokensIn, output: c.tokensOut },
            usd: c.usd,
            flags: c.flags,
            commit: c.commitSha,
            ref: c.ref,
            branch,
            patch: c.patch,
            evalMs: c.evalMs,
            measurements: measurements.map(({ stdoutTail, stderrTail, ...m }) => ({ ...m, stdoutTail, stderrTail })),
            artifacts: artifacts.map((a) => ({
              stage: a.stage,
              repeat: a.repeat,
              epoch: a.epoch,
              name: a.name,
              type: a.type,
              mediaType: a.mediaType,
              size: a.size,
              path: a.path,
              note: a.note,
            })),
          });
        }
        const out = [
          `candidate ${c.id} (run ${c.runId}) — ${c.status}${c.reason ? `: ${c.reason}` : ''}`,
          `parent ${c.parentId ?? '—'} · operator ${c.operator}${c.model ? ` (${c.model})` : ''} · score ${fmtScore(c.score)}`,
          c.description && `change: ${c.description}`,
          c.commitSha && `commit ${c.commitSha}${c.ref ? ` (${c.ref})` : ''}`,
          c.metrics &&
            `metrics (median): ${Object.entries(c.metrics)
              .map(([k, v]) => `${k}=${fmtScore(v)}`)
              .join(' ')}`,
          c.flags.length > 0 && `flags: ${c.flags.join(', ')}`,
          measurements.length > 0 && 'measurements:',
          ...measurements.map(
            (m) =>
              `  ${m.stage}#${m.repeat} seed ${m.seed}: ${m.ok ? 'ok' : `FAILED (${m.failure?.kind})`} ${Math.round(m.durationMs)}ms ${Object.entries(m.metrics)
                .map(([k, v]) => `${k}=${fmtScore(v)}`)
                .join(
                  ' ',
                )}${m.feedback ? `\n    feedback: ${m.feedback}` : ''}${!m.ok && m.stderrTail ? `\n    stderr: ${m.stderrTail.trim().split('\n').slice(-5).join('\n            ')}` : ''}`,
          ),
          artifacts.length > 0 && 'artifacts (copy them out with `evoloop artifacts`):',
          ...artifacts.map((a) => `  ${a.stage}#${a.repeat} ${a.name} (${a.type}, ${fmtBytes(a.size)})${a.note ? ` — ${a.note}` : ''}`),
          c.patch && `\n${c.patch}`,
        ];
        process.stdout.write(`${out.filter(Boolean).join('\n')}\n`);
      } finally {
        ctx.store.close();
      }
    });

  program
    .command('diff')
    .description("a candidate's change against the base (as `git diff`), or against its parent with --parent")
    .argument('<candidate>', 'a candidate id, `best` or `baseline`')
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'a run id (default: the latest)')
    .option('--parent', 'against its parent instead of the base')
    .option('--json', 'print JSON: {id, against, commit, diff}')
    .action(async (ref: string, problem: string, opts: { run?: string; parent?: boolean; json?: boolean }) => {
      const ctx = openRun(problem, opts.run);
      try {
        const c = resolveCandidate(ctx, ref);
        const diff = opts.parent ? c.patch : c.commitSha ? await gitDiffAgainstBase(ctx.problemDir, ctx.run.baseCommit, c.commitSha) : '';
        if (opts.json) return printJson({ id: c.id, against: opts.parent ? { parent: c.parentId } : { base: ctx.run.baseCommit }, commit: c.commitSha, diff });
        if (!diff) process.stderr.write(`candidate ${c.id} makes no change ${opts.parent ? 'to its parent' : 'to the base'}.\n`);
        process.stdout.write(diff);
      } finally {
        ctx.store.close();
      }
    });
}
