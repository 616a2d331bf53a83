// Verifier integrity: the protected files (verifier, its data, the config) as the base
// commit has them, and the folders that hold nothing else ("protected trees").
//   - In the sandbox, each protected tree is laid read-only over the worktree as a whole
//     directory (a new file in it is impossible: EROFS), and each other protected file alone.
//   - In every mode, before and after each stage, the guard lists every protected tree and
//     stats every protected file: an added, removed, renamed or rewritten entry (a shadowing
//     module, a planted `__pycache__`, a folder renamed away and back) makes the candidate
//     `tampered`. Any change of an entry's inode or ctime counts, even when the content is the
//     same again afterwards: the verifier may have run against the replacement meanwhile.
//   - New code files (a module that could shadow an import) created beside a protected file
//     that is not in a protected tree count as tampering too.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReadOnlyBind } from './sandbox.js';

/** Problem-relative path → "kind:size:mtime:ctime:inode:mode" of every entry that matters. */
type Listing = Map<string, string>;

/** Files that an interpreter could pick up instead of a standard module (Python's sys.path[0], Node's relative imports). */
const CODE_FILE = /\.(py|pyc|pyo|pth|so|pyd|js|mjs|cjs|node|rb|pl|pm|lua|sh)$/i;

export class IntegrityGuard {
  /** Listing per worktree folder whose protected files were verified against the base hashes. */
  private readonly verified = new Map<string, string>();

  private constructor(
    /** problem-relative path → sha256 of its base content */
    private readonly hashes: Map<string, string>,
    /** Protected folders holding nothing but protected files (problem-relative, no trailing slash). */
    readonly trees: string[],
    private readonly copyDir: string,
  ) {
    this.baseDirs = new Set([...trees, ...[...hashes.keys()].flatMap(ancestors).filter((d) => this.inTree(d))]);
  }

  /** The trees and every folder of the base inside them. */
  private readonly baseDirs: Set<string>;

  /**
   * @param base problem-relative path → content at the base, for every protected file
   * @param allFiles every file of the base in the problem folder (to find the protected trees)
   * @param copyDir where read-only copies for the sandbox go (outside every worktree)
   */
  static create(base: Record<string, string>, allFiles: string[], copyDir: string): IntegrityGuard {
    const hashes = new Map<string, string>();
    for (const [p, content] of Object.entries(base)) {
      const copy = path.join(copyDir, p);
      mkdirSync(path.dirname(copy), { recursive: true });
      writeFileSync(copy, content);
      hashes.set(p, sha(content));
    }
    return new IntegrityGuard(hashes, protectedTrees(Object.keys(base), allFiles), copyDir);
  }

  get paths(): string[] {
    return [...this.hashes.keys()];
  }

  /** Read-only binds of the base's protected trees (whole folders) and other protected files over a worktree's problem folder. */
  binds(problemDir: string): ReadOnlyBind[] {
    return protectedEntries(this.paths, this.trees).map((p) => ({ source: path.join(this.copyDir, p), target: path.join(problemDir, p) }));
  }

  /** What the protected entries look like now; pass it to `changed` after the stage. */
  listing(problemDir: string): Listing {
    const out: Listing = new Map();
    for (const tree of this.trees) {
      out.set(tree, stamp(path.join(problemDir, tree)));
      walk(problemDir, tree, out);
    }
    for (const p of this.paths.filter((f) => !this.inTree(f))) {
      out.set(p, stamp(path.join(problemDir, p)));
      for (const name of codeFilesBeside(problemDir, p)) out.set(name, stamp(path.join(problemDir, name)));
    }
    return out;
  }

  /**
   * What differs from the base (content, or entries added to or missing from a protected tree)
   * and, when `before` is given, every entry whose stat changed since it was taken.
   */
  changed(problemDir: string, before?: Listing): string[] {
    const now = this.listing(problemDir);
    const out = new Set<string>();
    if (before) {
      for (const [p, s] of now) if (before.get(p) !== s) out.add(this.describe(p, before.get(p), s));
      for (const p of before.keys()) if (!now.has(p)) out.add(`${p} (deleted)`);
    }
    for (const [p, s] of now) {
      if (this.hashes.has(p)) {
        if (s === 'missing') out.add(`${p} (deleted)`);
        else if (!s.startsWith('file:')) out.add(`${p} (no longer a regular file)`);
        else if (!this.matchesBase(problemDir, p, s)) out.add(p);
      } else if (this.baseDirs.has(p)) {
        if (!s.startsWith('dir:')) out.add(`${p} (no longer a folder)`);
      } else if (this.inTree(p)) {
        out.add(`${p} (added)`);
      }
    }
    for (const p of this.hashes.keys()) if (!now.has(p)) out.add(`${p} (deleted)`);
    // A folder whose entries changed is named through them, not as "rewritten" itself.
    const named = [...out].map((e) => e.replace(/ \(.*\)$/, ''));
    return [...out].filter((e) => !(e.endsWith(' (replaced or rewritten)') && named.some((n) => n.startsWith(`${e.replace(/ \(.*\)$/, '')}/`)))).sort();
  }

  private describe(p: string, before: string | undefined, now: string): string {
    const what = before === undefined || before === 'missing' ? 'added' : now === 'missing' ? 'deleted' : 'replaced or rewritten';
    // Code beside a lone protected file is not protected itself, but is checked for the verifier's sake.
    const beside = !this.hashes.has(p) && !this.baseDirs.has(p) && !this.inTree(p);
    return beside ? `${p} (code beside a protected file, ${what} while the stage ran)` : `${p} (${what})`;
  }

  private matchesBase(problemDir: string, p: string, s: string): boolean {
    const key = path.join(problemDir, p);
    if (this.verified.get(key) === s) return true;
    let same = false;
    try {
      same = sha(readFileSync(key)) === this.hashes.get(p);
    } catch {
      same = false;
    }
    if (same) this.verified.set(key, s);
    else this.verified.delete(key);
    return same;
  }

  private inTree(p: string): boolean {
    return this.trees.some((t) => p.startsWith(`${t}/`));
  }
}

/**
 * The topmost folders every base file under which is protected: the verifier's own folders.
 * The problem folder itself never is one (the program lives there).
 */
export function protectedTrees(protectedFiles: string[], allFiles: string[]): string[] {
  const guarded = new Set(protectedFiles);
  const mixed = new Set<string>(); // folders holding at least one unprotected file
  for (const f of allFiles) if (!guarded.has(f)) for (const d of ancestors(f)) mixed.add(d);
  const trees = new Set<string>();
  for (const f of protectedFiles) {
    const top = ancestors(f).find((d) => !mixed.has(d));
    if (top) trees.add(top);
  }
  return [...trees].sort();
}

/** What a sandbox binds read-only: each protected tree as a whole, and the protected files outside them. */
export function protectedEntries(protectedFiles: string[], trees: string[]): string[] {
  return [...trees, ...protectedFiles.filter((p) => !trees.some((t) => p.startsWith(`${t}/`)))];
}

/** 'a/b/c.txt' → ['a', 'a/b'] (outermost first). */
function ancestors(p: string): string[] {
  const parts = p.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

function walk(problemDir: string, rel: string, out: Listing): void {
  let entries: string[];
  try {
    entries = readdirSync(path.join(problemDir, rel));
  } catch {
    return; // missing or not a folder: its stamp says so
  }
  for (const name of entries) {
    const child = `${rel}/${name}`;
    const s = stamp(path.join(problemDir, child));
    out.set(child, s);
    if (s.startsWith('dir:')) walk(problemDir, child, out);
  }
}

/** Code files in the folder of a lone protected file, other than protected files themselves. */
function codeFilesBeside(problemDir: string, p: string): string[] {
  const dir = path.posix.dirname(p);
  let names: string[];
  try {
    names = readdirSync(path.join(problemDir, dir));
  } catch {
    return [];
  }
  return names.filter((n) => CODE_FILE.test(n) || n === '__pycache__' || n === 'node_modules').map((n) => (dir === '.' ? n : `${dir}/${n}`));
}

function stamp(abs: string): string {
  try {
    const st = lstatSync(abs, { bigint: true });
    const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other';
    return `${kind}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.mode}`;
  } catch {
    return 'missing';
  }
}

function sha(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
