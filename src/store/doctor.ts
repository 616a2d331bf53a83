// `evoloop doctor`: checks the store and what hangs off it (backups, runs, git refs, the
// worktree pool) and, with `repair`, fixes what it can. Each check ends ok, problem (with
// the fix) or fixed (what the repair did). Nothing is deleted that could still hold data:
// a damaged store is kept beside the restored one, a failing backup is renamed *.bad.
import { existsSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UsageError } from '../core/errors.js';
import { git, repoInfo } from '../workspace/git.js';
import { notWritable, StoreNotWritableError } from './access.js';
import { databaseProblems, describeTime, lastWriteAt, listBackups, newestGoodBackup, restoreBackup, takeBackup, type Backup } from './backup.js';
import { corrupt, damageFix, inspectStoreFile, StoreDamagedError } from './damage.js';
import { deadSessions, forgetSessions } from './sessions.js';
import { Store, storePath } from './store.js';
import { ownerAlive } from './summary.js';

export type CheckName = 'store' | 'backups' | 'runs' | 'refs' | 'worktrees';

export interface Check {
  check: CheckName;
  status: 'ok' | 'problem' | 'fixed';
  detail: string;
  fix?: string;
}

const ok = (check: CheckName, detail: string): Check => ({ check, status: 'ok', detail });
const problem = (check: CheckName, detail: string, fix: string): Check => ({ check, status: 'problem', detail, fix });
const fixed = (check: CheckName, detail: string): Check => ({ check, status: 'fixed', detail });

export async function doctor(problemDir: string, opts: { repair?: boolean } = {}): Promise<Check[]> {
  const dir = path.resolve(problemDir);
  const file = storePath(dir);
  if (!existsSync(file) && !inspectStoreFile(file)) {
    throw new UsageError(`no evoloop store in ${dir} (no .evoloop/evoloop.db, no backup). Fix: give the problem folder that holds .evoloop/.`);
  }
  const ctx: Ctx = { dir, file, repair: opts.repair ?? false, denied: notWritable(file) };
  const { check, store } = await checkStore(ctx);
  const checks = [check];
  try {
    checks.push(await checkBackups(ctx, store));
    if (store) checks.push(checkRuns(ctx, store), await checkRefs(ctx, store));
    checks.push(checkPool(ctx, store));
  } finally {
    store?.close();
  }
  return checks;
}

interface Ctx {
  dir: string;
  file: string;
  repair: boolean;
  /** Why the store cannot be written, if it cannot. */
  denied: ReturnType<typeof notWritable>;
}

const rel = (ctx: Ctx, p: string) => path.relative(ctx.dir, p);
const describeBackup = (ctx: Ctx, b: Backup) => `${rel(ctx, b.file)} (taken ${describeTime(b.takenAt)})`;

async function checkStore(ctx: Ctx): Promise<{ check: Check; store?: Store }> {
  let damage = inspectStoreFile(ctx.file);
  if (!damage) {
    try {
      const store = new Store(ctx.file, { readonly: ctx.denied !== undefined });
      const problems = store.problems();
      if (problems.length === 0) {
        const runs = store.count('runs');
        const candidates = store.count('candidates');
        return { store, check: ok('store', `${rel(ctx, ctx.file)} passes integrity_check and foreign_key_check (${runs} run(s), ${candidates} candidates)`) };
      }
      store.close();
      damage = corrupt(ctx.file, problems.join('; '));
    } catch (err) {
      if (!(err instanceof StoreDamagedError)) {
        // Refusals that are not damage (a newer schema, an unreadable read-only WAL) carry their own fix.
        const [detail, fix] = (err as Error).message.split(' Fix: ');
        return { check: problem('store', detail, fix ?? 'see the message') };
      }
      damage = err.damage;
    }
  }
  const what = `${rel(ctx, ctx.file)} ${damage.what}`;
  if (!ctx.repair) return { check: problem('store', what, damageFix(damage)) };
  if (ctx.denied) return { check: problem('store', what, new StoreNotWritableError(ctx.denied).message) };
  const holders = openedBy(ctx.file);
  if (holders.length > 0) return { check: problem('store', what, `process ${holders.join(', ')} has the store open (an evoloop run?): stop it, then repair.`) };
  const { good } = newestGoodBackup(ctx.file);
  if (damage.kind === 'lost-wal') {
    const kept = keepAfterLostWal(ctx, good);
    if (kept)
      return {
        store: new Store(ctx.file),
        check: fixed('store', `${what}; kept the database as of ${describeTime(kept)} (no good backup is newer): what was written after that is lost`),
      };
  }
  if (!good) return { check: problem('store', what, damageFix(damage)) };
  const damagedAs = restoreBackup(ctx.file, good);
  const kept = damagedAs ? `; the damaged file is kept as ${rel(ctx, damagedAs)}` : '';
  return {
    store: new Store(ctx.file),
    check: fixed('store', `${what}; restored the newest good backup, ${describeBackup(ctx, good)}: what was recorded after it is lost${kept}`),
  };
}

/**
 * A store whose WAL is gone is consistent as of its last checkpoint, unless a checkpoint was
 * cut short. Kept (its dead sessions forgotten) when sound and newer than every good backup;
 * returns the time of its last write then, else undefined (restore instead).
 */
function keepAfterLostWal(ctx: Ctx, good: Backup | undefined): number | undefined {
  const db = new Database(ctx.file);
  try {
    if (databaseProblems(db).length > 0) return undefined;
    const at = lastWriteAt(db);
    if (good) {
      const backup = new Database(good.file, { readonly: true });
      const backupAt = lastWriteAt(backup);
      backup.close();
      if (backupAt > at) return undefined;
    }
    forgetSessions(db, deadSessions(db));
    return at;
  } finally {
    db.close();
  }
}

async function checkBackups(ctx: Ctx, store: Store | undefined): Promise<Check> {
  const all = listBackups(ctx.file);
  const { good, bad } = newestGoodBackup(ctx.file);
  if (good && bad.length === 0) return ok('backups', `the newest backup, ${describeBackup(ctx, good)}, passes integrity_check (${all.length} kept)`);
  const nothingYet = store !== undefined && store.count('runs') === 0;
  if (all.length === 0 && nothingYet) return ok('backups', 'none yet, and nothing recorded to back up');
  const what =
    bad.length > 0
      ? `the newest backup${bad.length > 1 ? 's' : ''} ${bad.map((b) => rel(ctx, b.backup.file)).join(', ')} fail${bad.length > 1 ? '' : 's'} integrity_check (${bad[0].problems[0]})`
      : 'there is no backup of the store yet';
  const fix = `\`evoloop doctor --repair ${ctx.dir}\` ${bad.length > 0 ? 'renames the failing ones to *.bad and ' : ''}takes a fresh backup.`;
  if (!ctx.repair) return problem('backups', what, fix);
  if (!store) return problem('backups', what, 'repair the store first: a damaged store cannot be backed up.');
  if (store.readonly) return problem('backups', what, new StoreNotWritableError(ctx.denied!).message);
  for (const b of bad) renameSync(b.backup.file, `${b.backup.file}.bad`);
  const taken = await takeBackup(store);
  return fixed('backups', `${what}: ${bad.length > 0 ? 'renamed them to *.bad and ' : ''}took ${describeBackup(ctx, taken)}`);
}

function checkRuns(ctx: Ctx, store: Store): Check {
  const runs = store.listRuns();
  const running = runs.filter((r) => r.status === 'running');
  const stale = running.filter((r) => !ownerAlive(r));
  const live = running.filter((r) => ownerAlive(r)).map((r) => `run ${r.id} is running (pid ${r.ownerPid})`);
  if (stale.length === 0) return ok('runs', `${runs.length} run(s); ${live.join(', ') || 'none is running'}`);
  const what = stale.map((r) => `run ${r.id} is marked running, but its process (pid ${r.ownerPid ?? '?'}) is gone`).join('; ');
  if (!ctx.repair) return problem('runs', what, `\`evoloop doctor --repair ${ctx.dir}\` marks it interrupted (\`evoloop run\` resumes it either way).`);
  if (store.readonly) return problem('runs', what, new StoreNotWritableError(ctx.denied!).message);
  for (const r of stale) {
    store.updateRun(r.id, { status: 'interrupted', stopReason: 'the evoloop process is gone (killed?); `evoloop run` resumes the run', ownerPid: null });
  }
  return fixed('runs', `${what}: marked interrupted; \`evoloop run\` resumes it`);
}

/** Every candidate with a commit has its ref (refs/evoloop/<run>/candidates/<id>) on that commit, and every run its base ref. */
async function checkRefs(ctx: Ctx, store: Store): Promise<Check> {
  let root: string;
  try {
    root = (await repoInfo(ctx.dir)).root;
  } catch (err) {
    return problem('refs', `cannot check the git refs: ${(err as Error).message}`, 'run doctor in the repository the runs were made in.');
  }
  const runs = store.listRuns().filter((r) => r.repoRoot === root);
  const expected = new Map(runs.map((r) => [`refs/evoloop/${r.id}/base`, r.baseCommit]));
  for (const r of store.candidateRefs(runs.map((r) => r.id))) expected.set(r.ref, r.sha);
  if (expected.size === 0) return ok('refs', 'no run of this repository to check');
  const listed = await git(root, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/evoloop/']);
  const actual = new Map(
    listed.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string]),
  );
  const wrong = [...expected].filter(([ref, sha]) => actual.get(ref) !== sha);
  if (wrong.length === 0) return ok('refs', `all ${expected.size} refs under refs/evoloop/ point at the commits the store records`);
  const what = `${wrong.length} of ${expected.size} refs are missing or point elsewhere (${wrong
    .slice(0, 3)
    .map(([ref]) => ref)
    .join(', ')}${wrong.length > 3 ? ', …' : ''})`;
  if (!ctx.repair) return problem('refs', what, `\`evoloop doctor --repair ${ctx.dir}\` points them back at the recorded commits.`);
  const objects = await git(root, ['cat-file', '--batch-check'], { input: wrong.map(([, sha]) => `${sha}^{commit}\n`).join('') });
  const found = objects.stdout.split('\n');
  const present = wrong.filter((_, i) => found[i] !== undefined && !found[i].endsWith(' missing'));
  if (present.length > 0) await git(root, ['update-ref', '--stdin'], { input: present.map(([ref, sha]) => `update ${ref} ${sha}\n`).join('') });
  const gone = wrong.length - present.length;
  if (gone === 0) return fixed('refs', `${what}: pointed them back at the recorded commits`);
  return problem(
    'refs',
    `${what}; restored ${present.length}, but ${gone} commit(s) are gone from the repository`,
    'nothing to do for status, show, diff or apply: they read the candidates from the store, not from git.',
  );
}

/** The pool holds only folders 0..N-1 (and its .git barrier); anything else is removed with the pool, which the next run recreates. */
function checkPool(ctx: Ctx, store: Store | undefined): Check {
  const pool = path.join(ctx.dir, '.evoloop', 'worktrees');
  if (!existsSync(pool)) return ok('worktrees', 'no worktree pool (the next run creates one)');
  const entries = readdirSync(pool, { withFileTypes: true });
  const isSlot = (e: (typeof entries)[number]) => e.isDirectory() && /^(0|[1-9]\d*)$/.test(e.name);
  const slots = entries
    .filter(isSlot)
    .map((e) => Number(e.name))
    .sort((a, b) => a - b);
  // The pool's own .git file is a barrier that stops git from climbing out of a pooled folder.
  const strays = entries.filter((e) => !isSlot(e) && !(e.name === '.git' && e.isFile())).map((e) => e.name);
  const gaps = slots.some((n, i) => n !== i);
  if (strays.length === 0 && !gaps) return ok('worktrees', `pool of ${slots.length} folder(s), numbered 0..${slots.length - 1}`);
  const what = [
    strays.length > 0 && `.evoloop/worktrees holds entries that are not pool folders (${strays.slice(0, 5).join(', ')}${strays.length > 5 ? ', …' : ''})`,
    gaps && `its folders are not numbered 0..N (${slots.join(', ')})`,
  ]
    .filter(Boolean)
    .join('; ');
  if (!ctx.repair)
    return problem('worktrees', what, `\`evoloop doctor --repair ${ctx.dir}\` removes the pool, which is always safe: the next run recreates it.`);
  const live = store?.listRuns().find((r) => r.status === 'running' && ownerAlive(r));
  if (live) return problem('worktrees', what, `run ${live.id} is running (pid ${live.ownerPid}) and uses the pool: stop it, then repair.`);
  try {
    rmSync(pool, { recursive: true, force: true });
  } catch (err) {
    return problem('worktrees', `${what}; removing it failed: ${(err as Error).message}`, `remove ${pool} by hand (it holds nothing evoloop needs).`);
  }
  return fixed('worktrees', `${what}: removed the pool; the next run recreates it`);
}

/** Other processes holding the file open (Linux: their /proc/<pid>/fd links); empty where that cannot be seen. */
function openedBy(file: string): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return [];
  }
  const real = path.join(realpathSync(path.dirname(file)), path.basename(file));
  const targets = new Set([real, `${real}-wal`]);
  return pids
    .filter((pid) => {
      try {
        return readdirSync(`/proc/${pid}/fd`).some((fd) => {
          try {
            return targets.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
          } catch {
            return false;
          }
        });
      } catch {
        return false;
      }
    })
    .map(Number);
}
