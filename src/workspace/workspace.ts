// The git side of a run (its base commit: run-base.ts): a reusable pool of worktrees in
// which candidates are materialized, and recording each candidate as a commit on its ref.
// A pooled worktree is a plain folder (no .git: git never runs in it) that evoloop
// itself puts exactly at the base tree before every use, and writes into without ever
// following a link. Paths given to and returned from this module are relative to the
// problem folder unless they say otherwise.
import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import type { FileSet } from '../core/types.js';
import { checkoutExact, type ResetReport } from './base-checkout.js';
import { git, repoInfo, type RepoInfo } from './git.js';
import { ObjectWriter, readBlobs } from './git-objects.js';
import { isRealDir, makeDir, pathParts, readNoFollow, removeEmptyParents, removeTree, unlinkIfThere, writeNew } from './safe-write.js';
import { isFolderStamp, provenBytes, sameSnapshot, stamp, takeSnapshot, type Snapshot } from './snapshot.js';

export type { ResetReport } from './base-checkout.js';

export interface Worktree {
  /** Absolute path of the worktree's top level. */
  root: string;
  /** Absolute path of the problem folder inside it (the verifier's cwd). */
  problemDir: string;
  index: number;
}

/** What differs in a worktree from the base (worktree-relative paths, `/`-separated). */
export interface WorktreeChanges {
  /** Regular files added or whose content may have changed. */
  files: string[];
  /** Files and links of the base that are gone. */
  deleted: string[];
  /** Symlinks added or changed. */
  links: string[];
  /** Anything else added or changed: fifos, sockets, devices. */
  special: string[];
}

/** What the pool knows about a worktree. */
interface PoolState {
  /** The worktree as it was when last exactly the base (plus evoloop's own writes since). */
  pristine?: Snapshot;
  /** Worktree-relative files materialize() wrote since then. */
  written: Set<string>;
  lastReset?: ResetReport;
  /** Bytes the worktree takes on disk (allocatedBytes), known from the proof at acquire and kept up to date by materialize; handed out once. */
  allocated?: number;
}

/** The `.git` file above the pooled worktrees: a git command run inside one stops here, never reaching your checkout. */
const BARRIER = 'gitdir: /evoloop-pooled-worktrees-are-not-git-repositories\n';

export class Workspace {
  private readonly free: Worktree[] = [];
  private readonly waiters: ((wt: Worktree) => void)[] = [];
  private readonly baseCache = new Map<string, string | undefined>();
  /** Base blobs of the files evoloop writes (editable ones), for the fast reset. */
  private readonly blobCache = new Map<string, Buffer>();
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
  static async open(opts: {
    problemDir: string;
    baseCommit: string;
    poolSize: number;
    /** The pool's folder under .evoloop/ (a worker's is its own). */ pool?: string;
  }): Promise<Workspace> {
    const problemDir = path.resolve(opts.problemDir);
    const repo = await repoInfo(problemDir);
    const objects = await ObjectWriter.open(repo.root, repo.commonDir, opts.baseCommit);
    const poolDir = path.join(problemDir, '.evoloop', opts.pool ?? 'worktrees');
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
  /** Takes a worktree from the pool (creating one while under the pool size), exactly at the base. */
  async acquire(): Promise<Worktree> {
    const wt = this.free.pop() ?? (this.created < this.poolSize ? await this.create(this.created++) : await new Promise<Worktree>((r) => this.waiters.push(r)));
    const state = this.state.get(wt)!;
    state.lastReset = await this.reset(wt, state);
    return wt;
  }

  release(wt: Worktree): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(wt);
    else this.free.push(wt);
  }

  /** Removes the pool's folders once a run stops (the next session recreates them): a stopped run leaves no copies of the problem. */
  removePool(): void {
    removeTree(this.poolDir);
    this.free.length = 0;
    this.state.clear();
    this.created = 0;
  }

  private async create(index: number): Promise<Worktree> {
    const root = path.join(this.poolDir, String(index));
    mkdirSync(this.poolDir, { recursive: true });
    const barrier = path.join(this.poolDir, '.git');
    if (readIfFile(barrier) !== BARRIER) {
      removeTree(barrier);
      writeNew(this.poolDir, '.git', BARRIER);
    }
    const st = lstatSync(root, { throwIfNoEntry: false });
    if (st && (!st.isDirectory() || lstatSync(path.join(root, '.git'), { throwIfNoEntry: false }))) {
      // A git worktree of an older evoloop (its registration is pruned below), or not a folder at all.
      removeTree(root);
      await git(this.repo.root, ['worktree', 'prune']);
    }
    if (!isRealDir(root)) makeDir(root);
    const wt = { root, problemDir: path.join(root, this.repo.prefix), index };
    this.state.set(wt, { written: new Set() });
    return wt;
  }

  /**
   * Back to the base exactly, and proven so by a fresh snapshot. Fast path: only evoloop's
   * own files were written, so they are written back and a stat walk shows nothing else
   * changed. Otherwise every entry is compared with the last proven snapshot (or, the first
   * time in a process, hashed against the base): what the base lacks is removed, what
   * differs is written again. A worktree that still cannot be proven exact is rebuilt.
   */
  private async reset(wt: Worktree, state: PoolState): Promise<ResetReport> {
    const proven = state.pristine !== undefined && (await this.restoreWritten(wt, state)) ? provenBytes(wt.root, state.pristine) : false;
    state.written.clear();
    state.allocated = proven === false ? undefined : proven;
    if (proven !== false) return { removed: [], restored: [] };
    try {
      if (!isRealDir(wt.root)) throw new Error('not a folder');
      const { report, expected } = await checkoutExact(wt.root, this.objects.baseTree(), state.pristine, this.readBlobs);
      if (!sameSnapshot(takeSnapshot(wt.root), expected)) throw new Error('changed while being reset');
      state.pristine = expected;
      return report;
    } catch {
      state.pristine = await this.rebuild(wt);
      return { removed: [], restored: [], rebuilt: true };
    }
  }

  /** Removes a worktree whole and writes the base into it afresh. */
  private async rebuild(wt: Worktree): Promise<Snapshot> {
    const fail = (why: string) =>
      new Error(
        `pooled worktree ${wt.root} could not be put back to the base: ${why}. Fix: stop whatever still writes there (a process left by a candidate?), delete the folder, and run again.`,
      );
    try {
      removeTree(wt.root);
      makeDir(wt.root);
    } catch (err) {
      throw fail((err as Error).message);
    }
    const { expected } = await checkoutExact(wt.root, this.objects.baseTree(), undefined, this.readBlobs);
    if (!sameSnapshot(takeSnapshot(wt.root), expected)) throw fail('it changed while being rebuilt');
    return expected;
  }

  private readonly readBlobs = (shas: string[]) => readBlobs(this.repo.root, shas);

  /** Puts the files materialize() wrote back to their base content (never through a link); false when only a full reset can. */
  private async restoreWritten(wt: Worktree, state: PoolState): Promise<boolean> {
    const entries = [...state.written].map((rel) => [rel, this.objects.baseEntry(rel)] as const);
    const missing = entries.flatMap(([, e]) => (e && !this.blobCache.has(e.sha) ? [e.sha] : []));
    for (const [sha, blob] of await this.readBlobs(missing)) this.blobCache.set(sha, blob);
    const pristine = state.pristine!;
    try {
      for (const [rel, entry] of entries) {
        const abs = path.join(wt.root, rel);
        if (!entry) {
          if (!this.realParents(wt.root, rel)) return false;
          unlinkIfThere(abs); // a folder there throws: the full reset deals with it
          removeEmptyParents(wt.root, rel, (dir) => pristine.has(dir));
        } else if (entry.mode === '100644' || entry.mode === '100755') {
          writeNew(wt.root, rel, this.blobCache.get(entry.sha)!, entry.mode === '100755');
          pristine.set(rel, stamp(abs)!);
        } else return false;
      }
    } catch {
      return false;
    }
    return true;
  }

  /** Whether every existing folder on the way to root/rel is a real folder (a missing one is fine: nothing to remove). */
  private realParents(root: string, rel: string): boolean {
    let dir = root;
    for (const part of pathParts(rel).slice(0, -1)) {
      dir = path.join(dir, part);
      const st = lstatSync(dir, { throwIfNoEntry: false });
      if (!st) return true;
      if (!st.isDirectory()) return false;
    }
    return true;
  }

  /** What the reset at the last acquire() had to do: removed and restored entries, or a rebuild (for logs). */
  lastReset(wt: Worktree): ResetReport | undefined {
    return this.state.get(wt)?.lastReset;
  }

  /** Writes a candidate's files (its full change against the base) into a clean worktree, never through a link. */
  materialize(wt: Worktree, files: FileSet): void {
    const state = this.state.get(wt)!;
    for (const [p, content] of Object.entries(files)) {
      const rel = this.toRepoPath(p);
      state.written.add(rel);
      // What the write frees and takes (the file and the folders on its way), so the disk baseline stays exact without a walk.
      if (state.allocated !== undefined) state.allocated -= blocksOnPath(wt.root, rel);
      writeNew(wt.root, rel, content, this.objects.baseMode(rel) === '100755');
      if (state.allocated !== undefined) state.allocated += blocksOnPath(wt.root, rel);
      if (Number.isNaN(state.allocated)) state.allocated = undefined;
    }
  }

  /**
   * What the worktree takes on disk right now (as disk-usage.ts's allocatedBytes([root])
   * would say), when evoloop knows it without a walk: since acquire() proved it and only
   * materialize() wrote. Given out once: the stage that runs next changes it.
   */
  takeAllocated(wt: Worktree): number | undefined {
    const state = this.state.get(wt);
    const bytes = state?.allocated;
    if (state) state.allocated = undefined;
    return bytes;
  }

  /**
   * What the last user of a worktree did to it that only tampering explains, for the engine
   * to check after each stage: a `.git` where a git command in the worktree would look for
   * one (pooled worktrees never have one, so it can only be meant to make git run code or
   * reach your checkout), a file evoloop wrote replaced by a link or another kind of entry,
   * the worktree's own folders replaced. Empty when there is nothing to say.
   */
  audit(wt: Worktree): string[] {
    const out: string[] = [];
    const shown = (rel: string) => path.posix.relative(this.repo.prefix, rel) || '.';
    const chain = ['', ...(this.repo.prefix ? this.repo.prefix.split('/').map((_, i, a) => a.slice(0, i + 1).join('/')) : [])];
    for (const dir of chain) {
      if (!isRealDir(path.join(wt.root, dir))) {
        out.push(`replaced the folder ${shown(dir)} of its worktree with something else`);
        return out;
      }
      const dotGit = dir ? `${dir}/.git` : '.git';
      const st = lstatSync(path.join(wt.root, dotGit), { throwIfNoEntry: false });
      if (st)
        out.push(
          `created ${shown(dotGit)} (${kindOf(st, path.join(wt.root, dotGit))}) where evoloop keeps no git repository: only useful to make git run candidate code or reach your checkout`,
        );
    }
    for (const rel of this.state.get(wt)?.written ?? []) {
      const abs = path.join(wt.root, rel);
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (st && !st.isFile()) out.push(`replaced ${shown(rel)}, a file evoloop wrote, with ${kindOf(st, abs)}`);
    }
    return out;
  }

  /**
   * What differs in a worktree from the base since acquire() (evoloop's own writes count
   * as changes). Added entries that the repository's ignore rules cover (build output,
   * caches) are left out, as git would leave them out.
   */
  async changes(wt: Worktree): Promise<WorktreeChanges> {
    const pristine = this.state.get(wt)?.pristine;
    if (!pristine) throw new Error('changes() needs a worktree taken with acquire()');
    const now = takeSnapshot(wt.root);
    const out: WorktreeChanges = { files: [], deleted: [], links: [], special: [] };
    const added: string[] = [];
    const changed: string[] = [];
    for (const [rel, st] of now) {
      const before = pristine.get(rel);
      if (before === st) continue;
      if (!isFolderStamp(st)) (before === undefined ? added : changed).push(rel);
      else if (before !== undefined && !isFolderStamp(before)) out.deleted.push(rel); // a file replaced by a folder
    }
    for (const [rel, before] of pristine) if (!now.has(rel) && !isFolderStamp(before)) out.deleted.push(rel);
    const ignored = await this.ignored(added);
    for (const rel of [...changed, ...added.filter((p) => !ignored.has(p))]) {
      const st = lstatSync(path.join(wt.root, rel));
      (st.isFile() ? out.files : st.isSymbolicLink() ? out.links : out.special).push(rel);
    }
    for (const list of Object.values(out)) list.sort();
    return out;
  }

  /** Which of these worktree-relative paths the repository's ignore rules cover (read from your checkout, run by git there). */
  private async ignored(paths: string[]): Promise<Set<string>> {
    if (paths.length === 0) return new Set();
    const r = await git(this.repo.root, ['check-ignore', '--no-index', '-z', '--stdin'], { input: paths.join('\0') + '\0', allowFail: true });
    if (r.code > 1) throw new Error(`git check-ignore failed (exit ${r.code}): ${r.stderr.trim()}`);
    return new Set(r.stdout.split('\0').filter(Boolean));
  }

  // ── commits and refs ────────────────────────────────────────────────────────
  /** Records a candidate as a commit (its parent's commit as parent) and points `ref` at it. */
  commit(files: FileSet, parentSha: string, message: string, ref: string): string {
    const repoFiles = Object.fromEntries(Object.entries(files).map(([p, c]) => [this.toRepoPath(p), c]));
    const sha = this.objects.writeCommit(this.objects.writeTree(repoFiles), [parentSha], message);
    this.objects.setRef(ref, sha);
    return sha;
  }

  /** Points a ref at a recorded commit, e.g. a champion's (run-refs.ts). */
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
      throw new UsageError(
        `branch ${name} is checked out, so evoloop will not move it. Fix: choose another name with --branch, then merge it (git merge <name>).`,
      );
    }
    const exists = await git(this.repo.root, ['rev-parse', '--verify', '-q', ref], { allowFail: true });
    if (exists.code === 0 && !force) {
      throw new UsageError(`branch ${name} already exists. Fix: choose another name with --branch, or pass --force to move it.`);
    }
    const sha = this.commit(files, this.baseCommit, message, ref);
    return sha;
  }
}

/** Allocated bytes of root/rel and of the folders above it up to root (included); a file with more than one link makes the count unknowable here. */
function blocksOnPath(root: string, rel: string): number {
  const parts = pathParts(rel);
  let bytes = 0;
  for (let i = 0; i <= parts.length; i++) {
    const st = lstatSync(path.join(root, ...parts.slice(0, i)), { throwIfNoEntry: false });
    if (!st) break;
    const last = i === parts.length;
    if (!st.isDirectory() && (!last || st.nlink > 1)) return Number.NaN; // never looked through; writeNew refuses it anyway
    bytes += st.blocks * 512;
  }
  return bytes;
}

function kindOf(st: ReturnType<typeof lstatSync> & object, abs: string): string {
  if (st.isSymbolicLink()) return `a symlink to ${readlinkSync(abs)}`;
  return st.isDirectory() ? 'a folder' : st.isFile() ? 'a file' : 'a special file';
}

function readIfFile(file: string): string | undefined {
  try {
    return readNoFollow(file).toString('utf8');
  } catch {
    return undefined;
  }
}
