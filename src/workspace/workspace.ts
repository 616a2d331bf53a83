// The git side of a run: the base commit, a reusable pool of worktrees in which
// candidates are materialized, and recording each candidate as a commit on its ref.
// Paths given to and returned from this module are relative to the problem folder.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import type { FileSet } from '../core/types.js';
import { changedPaths, git, repoInfo, type RepoInfo } from './git.js';
import { ObjectWriter } from './git-objects.js';
import { sameSnapshot, stamp, takeSnapshot, type Snapshot } from './snapshot.js';

export interface Worktree {
  /** Absolute path of the worktree's top level. */
  root: string;
  /** Absolute path of the problem folder inside it (the verifier's cwd). */
  problemDir: string;
  index: number;
}

/** What the pool knows about a worktree's state, for the git-free reset. */
interface PoolState {
  /** The worktree as it was right after its last full reset (plus evoloop's own writes). */
  snapshot?: Snapshot;
  /** Problem-relative files materialize() wrote since then. */
  written: Set<string>;
}

export class Workspace {
  private readonly free: Worktree[] = [];
  private readonly waiters: ((wt: Worktree) => void)[] = [];
  private readonly baseCache = new Map<string, string | undefined>();
  private readonly state = new Map<Worktree, PoolState>();
  private created = 0;

  private constructor(
    readonly repo: RepoInfo,
    readonly problemDir: string,
    readonly baseCommit: string,
    private readonly objects: ObjectWriter,
    private readonly poolDir: string,
    private readonly poolSize: number,
  ) {}

  /** Opens the workspace of a run whose base is `baseCommit`. */
  static async open(opts: { problemDir: string; baseCommit: string; poolSize: number }): Promise<Workspace> {
    const problemDir = path.resolve(opts.problemDir);
    const repo = await repoInfo(problemDir);
    const objects = await ObjectWriter.open(repo.root, repo.commonDir, opts.baseCommit);
    const poolDir = path.join(problemDir, '.evoloop', 'worktrees');
    await git(repo.root, ['worktree', 'prune']);
    return new Workspace(repo, problemDir, opts.baseCommit, objects, poolDir, opts.poolSize);
  }

  toRepoPath(p: string): string {
    return this.repo.prefix ? `${this.repo.prefix}/${p}` : p;
  }

  /** Files of the base commit inside the problem folder. */
  baseFiles(): string[] {
    const prefix = this.repo.prefix ? `${this.repo.prefix}/` : '';
    return this.objects
      .baseFiles()
      .filter((p) => p.startsWith(prefix))
      .map((p) => p.slice(prefix.length));
  }

  /** The first component of a path that is a symlink in the base tree (writing through it could leave the worktree). */
  symlinkOnPath(p: string): string | undefined {
    const parts = p.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.objects.baseMode(this.toRepoPath(prefix)) === '120000') return prefix;
    }
    return undefined;
  }

  /** A file's content at the base commit (cached), or undefined if it does not exist there. */
  async readBase(p: string): Promise<string | undefined> {
    if (!this.baseCache.has(p)) {
      const r = await git(this.repo.root, ['cat-file', 'blob', `${this.baseCommit}:${this.toRepoPath(p)}`], { allowFail: true });
      this.baseCache.set(p, r.code === 0 ? r.stdout : undefined);
    }
    return this.baseCache.get(p);
  }

  // ── the worktree pool ───────────────────────────────────────────────────────
  /** Takes a worktree from the pool (creating one while under the pool size), clean at the base. */
  async acquire(): Promise<Worktree> {
    const wt = this.free.pop() ?? (this.created < this.poolSize ? await this.create(this.created++) : await new Promise<Worktree>((r) => this.waiters.push(r)));
    await this.reset(wt);
    return wt;
  }

  release(wt: Worktree): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(wt);
    else this.free.push(wt);
  }

  private async create(index: number): Promise<Worktree> {
    const root = path.join(this.poolDir, String(index));
    const problemDir = path.join(root, this.repo.prefix);
    if (!(await this.isOurWorktree(root))) {
      // Missing, or left by another repository (a problem folder copied with its .evoloop/).
      rmSync(root, { recursive: true, force: true });
      await git(this.repo.root, ['worktree', 'prune']);
      mkdirSync(this.poolDir, { recursive: true });
      await git(this.repo.root, ['worktree', 'add', '--detach', '--force', root, this.baseCommit]);
    }
    return { root, problemDir, index };
  }

  private async isOurWorktree(root: string): Promise<boolean> {
    if (!existsSync(path.join(root, '.git'))) return false;
    const r = await git(root, ['rev-parse', '--git-common-dir'], { allowFail: true });
    if (r.code !== 0) return false;
    const common = path.resolve(root, r.stdout.trim());
    return realpathSync(common) === realpathSync(this.repo.commonDir);
  }

  /**
   * Back to the base commit exactly. Fast path, no git: write evoloop's own files back
   * from the base and check, by a stat walk, that nothing else changed. Otherwise git
   * restores tracked files and removes untracked ones (ignored files stay, as caches).
   */
  private async reset(wt: Worktree): Promise<void> {
    const state = this.state.get(wt) ?? { written: new Set() };
    this.state.set(wt, state);
    if (state.snapshot && (await this.restoreWritten(wt, state))) {
      const now = takeSnapshot(wt.root);
      if (now && sameSnapshot(now, state.snapshot)) return;
    }
    await git(wt.root, ['reset', '--hard', '-q', this.baseCommit]);
    await git(wt.root, ['clean', '-ffdq']);
    state.snapshot = takeSnapshot(wt.root);
    state.written.clear();
  }

  /** Puts the files materialize() wrote back to their base content; false if that is not possible. */
  private async restoreWritten(wt: Worktree, state: PoolState): Promise<boolean> {
    for (const p of state.written) {
      const file = path.join(wt.problemDir, p);
      const base = await this.readBase(p);
      try {
        if (base === undefined) {
          rmSync(file, { force: true });
          removeEmptyParents(path.dirname(file), wt.problemDir);
        } else writeFileSync(file, base);
      } catch {
        return false;
      }
      const key = path.relative(wt.root, file).split(path.sep).join('/');
      const now = stamp(file);
      if (now === undefined) state.snapshot!.delete(key);
      else state.snapshot!.set(key, now);
    }
    state.written.clear();
    return true;
  }

  /** Writes a candidate's files (its full change against the base) into a clean worktree. */
  materialize(wt: Worktree, files: FileSet): void {
    const written = this.state.get(wt)?.written;
    for (const [p, content] of Object.entries(files)) {
      const file = path.join(wt.problemDir, p);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      written?.add(p);
    }
  }

  readWorktreeFile(wt: Worktree, p: string): string | undefined {
    const file = path.join(wt.problemDir, p);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  // ── commits and refs ────────────────────────────────────────────────────────
  /** Records a candidate as a commit (its parent's commit as parent) and points `ref` at it. */
  commit(files: FileSet, parentSha: string, message: string, ref: string): string {
    const repoFiles = Object.fromEntries(Object.entries(files).map(([p, c]) => [this.toRepoPath(p), c]));
    const sha = this.objects.writeCommit(this.objects.writeTree(repoFiles), [parentSha], message);
    this.objects.setRef(ref, sha);
    return sha;
  }

  /** Points a ref at a recorded commit, e.g. `refs/heads/evoloop/<run>/<id>` for champions. */
  setRef(ref: string, sha: string): void {
    this.objects.setRef(ref, sha);
  }

  /**
   * Creates branch `name` holding a candidate's whole change as one commit on top of
   * the base. The user's checkout, index and current branch are not touched.
   */
  async createBranch(name: string, files: FileSet, message: string, force: boolean): Promise<string> {
    const ref = `refs/heads/${name}`;
    const valid = await git(this.repo.root, ['check-ref-format', ref], { allowFail: true });
    if (valid.code !== 0) throw new UsageError(`"${name}" is not a valid branch name. Fix: pick another name with --branch.`);
    // Like `git branch -f`: never move a branch that a checkout has, or its index and files would no longer match it.
    const list = await git(this.repo.root, ['worktree', 'list', '--porcelain']);
    if (list.stdout.split('\n').includes(`branch ${ref}`)) {
      throw new UsageError(`branch ${name} is checked out, so evoloop will not move it. Fix: choose another name with --branch, then merge it (git merge <name>).`);
    }
    const exists = await git(this.repo.root, ['rev-parse', '--verify', '-q', ref], { allowFail: true });
    if (exists.code === 0 && !force) {
      throw new UsageError(`branch ${name} already exists. Fix: choose another name with --branch, or pass --force to move it.`);
    }
    const sha = this.commit(files, this.baseCommit, message, ref);
    return sha;
  }
}

/**
 * The base of a new run: HEAD, refusing uncommitted changes to files that matter
 * (editable or protected), or — with allowDirty — a snapshot commit of them on top of HEAD.
 */
export async function resolveBase(
  problemDir: string,
  matters: (problemPath: string) => boolean,
  allowDirty: boolean,
): Promise<{ baseCommit: string; repoRoot: string; snapshot: string[] }> {
  const repo = await repoInfo(problemDir);
  const prefix = repo.prefix ? `${repo.prefix}/` : '';
  const dirty = (await changedPaths(repo.root, repo.prefix))
    .map((p) => p.slice(prefix.length))
    .filter((p) => !p.startsWith('.evoloop/') && matters(p));
  if (dirty.length === 0) return { baseCommit: repo.head, repoRoot: repo.root, snapshot: [] };
  if (!allowDirty) {
    const list = dirty.slice(0, 10).join(', ') + (dirty.length > 10 ? `, … (${dirty.length} in all)` : '');
    throw new UsageError(
      `uncommitted changes to files the run depends on: ${list}. Fix: commit them (git add -A && git commit), or pass --allow-dirty to run from a snapshot of the current files.`,
    );
  }
  const objects = await ObjectWriter.open(repo.root, repo.commonDir, repo.head);
  const files: Record<string, string | null> = {};
  for (const p of dirty) {
    const abs = path.join(problemDir, p);
    files[`${prefix}${p}`] = existsSync(abs) ? readFileSync(abs, 'utf8') : null; // null: deleted in the checkout
  }
  // Dated like HEAD, so the same uncommitted state always gives the same base (and a finished run can go on).
  const headTime = Number((await git(repo.root, ['show', '-s', '--format=%ct', repo.head])).stdout.trim());
  const sha = objects.writeCommit(objects.writeTree(files), [repo.head], `evoloop: snapshot of uncommitted changes\n\n${dirty.join('\n')}`, headTime);
  return { baseCommit: sha, repoRoot: repo.root, snapshot: dirty };
}

/** Removes folders left empty by deleting a file evoloop created, up to (not including) `stop`. */
function removeEmptyParents(dir: string, stop: string): void {
  while (dir.startsWith(stop + path.sep) && readdirSync(dir).length === 0) {
    rmdirSync(dir);
    dir = path.dirname(dir);
  }
}
