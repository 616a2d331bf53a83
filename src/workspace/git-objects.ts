// Recording candidates as git commits without spawning git: blobs, trees and commits
// are written as loose objects straight into the object database, and refs as files.
// A candidate's tree is the base tree with its changed files swapped in; only the
// trees along changed paths are rewritten, so the cost does not grow with the repo.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { git, gitIdentity } from './git.js';

/** An entry of the base tree: mode as git writes it (40000 tree, 100644, 100755, 120000 link, 160000 submodule). */
export interface TreeEntry {
  mode: string;
  sha: string;
  /** Present for sub-trees: their entries (loaded from the base listing). */
  children?: Map<string, TreeEntry>;
}

export class ObjectWriter {
  private tmpCounter = 0;
  /** Folders known to exist (object fan-out, ref folders): made once, not asked about per write. */
  private readonly dirs = new Set<string>();

  private constructor(
    private readonly commonDir: string,
    private readonly baseRoot: Map<string, TreeEntry>,
    readonly baseCommit: string,
    /** "Name <email>" every commit is authored and committed by. */
    readonly identity: string,
  ) {}

  /** Loads the base commit's tree once (`git ls-tree -r -t`). */
  static async open(repoRoot: string, commonDir: string, baseCommit: string): Promise<ObjectWriter> {
    const out = await git(repoRoot, ['ls-tree', '-r', '-t', '-z', '--full-tree', baseCommit]);
    const root = new Map<string, TreeEntry>();
    for (const line of out.stdout.split('\0')) {
      if (!line) continue;
      const tab = line.indexOf('\t');
      const [mode, , sha] = line.slice(0, tab).split(' ');
      const parts = line.slice(tab + 1).split('/');
      let dir = root;
      for (const part of parts.slice(0, -1)) dir = dir.get(part)!.children!;
      dir.set(parts[parts.length - 1], mode === '040000' ? { mode: '40000', sha, children: new Map() } : { mode, sha });
    }
    return new ObjectWriter(commonDir, root, baseCommit, await gitIdentity(repoRoot));
  }

  /** The base commit's whole tree, name → entry, as listed once at open. */
  baseTree(): ReadonlyMap<string, TreeEntry> {
    return this.baseRoot;
  }

  /** Repo-relative paths of the base tree's files (not directories). */
  baseFiles(): string[] {
    const out: string[] = [];
    const walk = (dir: Map<string, TreeEntry>, prefix: string) => {
      for (const [name, e] of dir) {
        if (e.children) walk(e.children, `${prefix}${name}/`);
        else out.push(`${prefix}${name}`);
      }
    };
    walk(this.baseRoot, '');
    return out;
  }

  baseEntry(repoPath: string): TreeEntry | undefined {
    let dir: Map<string, TreeEntry> | undefined = this.baseRoot;
    const parts = repoPath.split('/');
    for (const part of parts.slice(0, -1)) dir = dir?.get(part)?.children;
    return dir?.get(parts[parts.length - 1]);
  }

  baseMode(repoPath: string): string | undefined {
    return this.baseEntry(repoPath)?.mode;
  }

  /** The tree of the base with `files` (repo-relative path → content) replaced or added; null deletes a file. */
  writeTree(files: Record<string, string | null>): string {
    // Group changes by directory so each touched tree is rebuilt once.
    const changes: Changes = new Map();
    for (const [p, content] of Object.entries(files)) {
      const parts = p.split('/');
      let node = changes;
      for (const part of parts.slice(0, -1)) {
        let next = node.get(part);
        if (!(next instanceof Map)) node.set(part, (next = new Map()));
        node = next;
      }
      node.set(parts[parts.length - 1], content === null ? null : this.writeObject('blob', Buffer.from(content)));
    }
    return this.rebuild(this.baseRoot, changes) ?? this.writeObject('tree', Buffer.alloc(0));
  }

  /** The rebuilt tree's sha, or undefined when nothing is left in it (git stores no empty trees). */
  private rebuild(base: Map<string, TreeEntry> | undefined, changes: Changes): string | undefined {
    const entries = new Map<string, { mode: string; sha: string }>();
    for (const [name, e] of base ?? []) entries.set(name, { mode: e.mode, sha: e.sha });
    for (const [name, change] of changes) {
      if (change === null) {
        entries.delete(name);
      } else if (typeof change === 'string') {
        const mode = base?.get(name)?.mode;
        entries.set(name, { mode: mode && mode !== '40000' ? mode : '100644', sha: change });
      } else {
        const sha = this.rebuild(base?.get(name)?.children, change);
        if (sha) entries.set(name, { mode: '40000', sha });
        else entries.delete(name);
      }
    }
    if (entries.size === 0) return undefined;
    // Git orders tree entries by name, comparing directories as if they ended in '/'.
    const key = (name: string, mode: string) => (mode === '40000' ? `${name}/` : name);
    const sorted = [...entries].sort(([a, ea], [b, eb]) => Buffer.compare(Buffer.from(key(a, ea.mode)), Buffer.from(key(b, eb.mode))));
    const body = Buffer.concat(sorted.flatMap(([name, e]) => [Buffer.from(`${e.mode} ${name}\0`), Buffer.from(e.sha, 'hex')]));
    return this.writeObject('tree', body);
  }

  /** `time` (Unix seconds) makes the commit reproducible: the same content gives the same id. */
  writeCommit(tree: string, parents: string[], message: string, time = Math.floor(Date.now() / 1000)): string {
    const who = `${this.identity} ${time} +0000`;
    const lines = [`tree ${tree}`, ...parents.map((p) => `parent ${p}`), `author ${who}`, `committer ${who}`, '', message.trimEnd(), ''];
    return this.writeObject('commit', Buffer.from(lines.join('\n')));
  }

  /** Points a ref (e.g. `refs/evoloop/run/12`) at a commit; atomic via rename. */
  setRef(ref: string, sha: string): void {
    this.atomicWrite(path.join(this.commonDir, ref), `${sha}\n`);
  }

  private writeObject(type: 'blob' | 'tree' | 'commit', body: Buffer): string {
    const header = Buffer.from(`${type} ${body.length}\0`);
    const sha = objectSha(header, body);
    const file = path.join(this.commonDir, 'objects', sha.slice(0, 2), sha.slice(2));
    if (!existsSync(file)) this.atomicWrite(file, deflateSync(Buffer.concat([header, body]), { level: 1 }));
    return sha;
  }

  private atomicWrite(file: string, data: string | Buffer): void {
    const dir = path.dirname(file);
    const tmp = `${file}.tmp-${process.pid}-${this.tmpCounter++}`;
    if (!this.dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.dirs.add(dir);
    }
    try {
      writeFileSync(tmp, data);
    } catch (err) {
      // A `git gc` meanwhile removes emptied object folders: make it again.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(dir, { recursive: true });
      writeFileSync(tmp, data);
    }
    renameSync(tmp, file);
  }
}

type Changes = Map<string, string | null | Changes>;

const objectSha = (header: Buffer, body: Buffer) => createHash('sha1').update(header).update(body).digest('hex');

/** The id git gives a file's content (so a file can be checked against the base without git). */
export function blobSha(content: Buffer): string {
  return objectSha(Buffer.from(`blob ${content.length}\0`), content);
}

/** Blobs by id, read with one `git cat-file --batch` (raw bytes: no filter or conversion runs). */
export async function readBlobs(repoRoot: string, shas: Iterable<string>): Promise<Map<string, Buffer>> {
  const wanted = [...new Set(shas)];
  const out = new Map<string, Buffer>();
  if (wanted.length === 0) return out;
  const { stdout } = await git(repoRoot, ['cat-file', '--batch'], { input: wanted.map((s) => `${s}\n`).join(''), raw: true });
  // Each object: "<sha> <type> <size>\n<content>\n".
  for (let at = 0; at < stdout.length;) {
    const eol = stdout.indexOf(10, at);
    const [sha, type, size] = stdout.subarray(at, eol).toString().split(' ');
    if (type !== 'blob') throw new Error(`git cat-file: ${sha} is ${type ?? 'unreadable'}, not a blob of the base commit`);
    out.set(sha, stdout.subarray(eol + 1, eol + 1 + Number(size)));
    at = eol + 1 + Number(size) + 1;
  }
  return out;
}
