// `evoloop gc`: frees what finished runs keep. Per run: its candidate and champion refs and old
// per-champion branches (not the base ref, the evoloop/<run>/best branch, the champion's ref
// or pending candidates'), its scratch and protected copies, and — once it is over — its
// artifacts; and the worktree pool when no run is live. The store keeps every record.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { fmtBytes } from '../core/artifact-types.js';
import { UsageError } from '../core/errors.js';
import { allocatedBytes } from '../evaluate/disk-usage.js';
import type { RunRecord, Store } from '../store/store.js';
import { liveStatus } from '../store/summary.js';
import { repoInfo } from '../workspace/git.js';
import { deleteRefs, prunableRefs } from '../workspace/run-refs.js';
import { removeTree } from '../workspace/safe-write.js';
import { openProblemStore, parsePositiveInt, printJson } from './context.js';

interface Freed {
  run: string;
  refs: number;
  folders: number;
  artifacts: number;
  bytes: number;
}

export function registerGc(program: Command): void {
  program
    .command('gc')
    .description("free what stopped runs keep: candidate refs, old champion branches, scratch, artifacts, the worktree pool (the store's records stay)")
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'only this run')
    .option('--all-but-last <n>', 'every run except the newest N', parsePositiveInt)
    .option('--json', 'print JSON')
    .action(async (problem: string, opts: { run?: string; allButLast?: number; json?: boolean }) => {
      if (opts.run && opts.allButLast) throw new UsageError('--run and --all-but-last pick runs two ways. Fix: give one of them.');
      const { store, dir } = openProblemStore(problem);
      try {
        const runs = store.listRuns();
        const chosen = opts.run ? runs.filter((r) => r.id === opts.run) : opts.allButLast ? runs.slice(0, Math.max(0, runs.length - opts.allButLast)) : runs;
        if (opts.run && chosen.length === 0) throw new UsageError(`no run ${opts.run}. Known runs: ${runs.map((r) => r.id).join(', ') || 'none'}.`);
        const live = runs.filter((r) => liveStatus(r).status === 'running');
        const root = (await repoInfo(dir)).root;
        const stateDir = path.join(dir, '.evoloop');
        const freed: Freed[] = [];
        const skipped: string[] = [];
        for (const run of chosen) {
          if (live.includes(run)) {
            skipped.push(run.id);
            continue;
          }
          freed.push(await collect(run, root, stateDir, store, live.length === 0));
        }
        // The pool is shared by the problem's runs and recreated by the next one.
        const pool = path.join(stateDir, 'worktrees');
        const poolBytes = live.length === 0 && existsSync(pool) ? allocatedBytes([pool]) : 0;
        if (live.length === 0 && existsSync(pool)) removeTree(pool);
        const total = freed.reduce((n, f) => n + f.bytes, poolBytes);
        if (opts.json) return printJson({ runs: freed, skipped, worktreePoolBytes: poolBytes, bytes: total });
        const lines = freed.map(
          (f) =>
            `run ${f.run}: ${f.refs} ref${f.refs === 1 ? '' : 's'}, ${f.folders} folder${f.folders === 1 ? '' : 's'}, ${f.artifacts} artifact${f.artifacts === 1 ? '' : 's'} — ${fmtBytes(f.bytes)}`,
        );
        for (const id of skipped) lines.push(`run ${id}: running, left alone`);
        if (poolBytes > 0) lines.push(`worktree pool: ${fmtBytes(poolBytes)} (the next run recreates it)`);
        lines.push(
          freed.length === 0 && poolBytes === 0
            ? 'nothing to free.'
            : `freed ${fmtBytes(total)} on disk; the commits of removed refs are left to git (\`git gc\` reclaims them).`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        store.close();
      }
    });
}

/** `quiet`: no run is live, so no artifact is being written while unreferenced contents are deleted. */
async function collect(run: RunRecord, repoRoot: string, stateDir: string, store: Store, quiet: boolean): Promise<Freed> {
  // Kept: the champion (the best branch holds it) and candidates still to be measured on resume.
  const keep = [run.championId, ...store.listCandidates(run.id, { status: ['pending'] }).map((c) => c.id)].filter((id): id is number => id !== null);
  const refs = await prunableRefs(repoRoot, run.id, keep);
  await deleteRefs(repoRoot, refs);
  store.forgetRefs(run.id, keep);
  // Scratch and protected copies of the run and of its reverifications (<run>-reverify…).
  const folders = ['scratch', 'protected'].flatMap((kind) => {
    const parent = path.join(stateDir, kind);
    return existsSync(parent)
      ? readdirSync(parent)
          .filter((n) => n === run.id || n.startsWith(`${run.id}-`))
          .map((n) => path.join(parent, n))
      : [];
  });
  let bytes = allocatedBytes(folders);
  for (const f of folders) removeTree(f);
  let artifacts = 0;
  if (quiet && (run.status === 'finished' || run.status === 'failed')) {
    const deleted = store.artifacts.deleteRun(run.id);
    artifacts = deleted.artifacts;
    bytes += deleted.bytes;
  }
  return { run: run.id, refs: refs.length, folders: folders.length, artifacts, bytes };
}
