// Putting a folder exactly at the base tree, without git: no hook, filter or config of
// anyone's runs, and everything the base does not have goes (ignored and untracked files
// included), so nothing a candidate leaves reaches the next one.
import { chmodSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { blobSha, type TreeEntry } from './git-objects.js';
import { DIR_MODE, linkNew, makeDir, readNoFollow, removeTree, writeNew } from './safe-write.js';
import { stamp, stampOf, type Snapshot } from './snapshot.js';

export interface ResetReport {
  /** Entries the base does not have, removed (worktree-relative, `/`-separated; a folder counts once). */
  removed: string[];
  /** Base entries that were missing, of another kind or changed, written again. */
  restored: string[];
  /** Set when the folder could not be proven exact in place and was rebuilt from nothing. */
  rebuilt?: true;
}

/** Reads blobs of the base by id. */
export type BlobReader = (shas: string[]) => Promise<Map<string, Buffer>>;

const NO_ENTRIES: ReadonlyMap<string, TreeEntry> = new Map();
/** Blobs are read and written in batches, so a large tree is never held in memory whole. */
const BLOBS_PER_READ = 1000;
/** Folders of the tree; a submodule is checked out as an empty folder. */
const folderEntries = (e: TreeEntry) => (e.mode === '40000' || e.mode === '160000' ? (e.children ?? NO_ENTRIES) : undefined);

/**
 * Makes `root` (a real folder) exactly `tree`. `proven` is the snapshot taken when it was
 * last exact: an entry with the same stamp is unchanged and is not read. Without one, each
 * file's content is hashed against its blob. Returns what it changed, and the snapshot of
 * the tree as it left it: a fresh snapshot that differs means something else wrote meanwhile.
 */
export async function checkoutExact(
  root: string,
  tree: ReadonlyMap<string, TreeEntry>,
  proven: Snapshot | undefined,
  readBlobs: BlobReader,
): Promise<{ report: ResetReport; expected: Snapshot }> {
  const report: ResetReport = { removed: [], restored: [] };
  const expected: Snapshot = new Map();
  const pending: { rel: string; entry: TreeEntry }[] = [];

  const folder = (rel: string, entries: ReadonlyMap<string, TreeEntry>) => {
    const abs = rel ? path.join(root, rel) : root;
    if ((lstatSync(abs).mode & 0o7777) !== DIR_MODE) chmodSync(abs, DIR_MODE); // also undoes a chmod 000
    if (rel) expected.set(rel, stamp(abs)!);
    const present = readdirSync(abs);
    for (const name of present) {
      const childRel = rel ? `${rel}/${name}` : name;
      const childAbs = path.join(abs, name);
      const entry = entries.get(name);
      if (!entry) {
        removeTree(childAbs);
        report.removed.push(childRel);
        continue;
      }
      const st = lstatSync(childAbs, { bigint: true });
      const children = folderEntries(entry);
      if (children) {
        if (!st.isDirectory()) {
          removeTree(childAbs);
          makeDir(childAbs);
          report.restored.push(childRel);
        }
        folder(childRel, children);
        continue;
      }
      if (proven?.get(childRel) === stampOf(st)) {
        expected.set(childRel, stampOf(st));
        continue;
      }
      if (!proven && st.isFile() && Boolean(st.mode & 0o100n) === (entry.mode === '100755') && blobSha(readNoFollow(childAbs)) === entry.sha) {
        expected.set(childRel, stamp(childAbs)!);
        continue;
      }
      if (st.isDirectory()) removeTree(childAbs);
      pending.push({ rel: childRel, entry });
    }
    const seen = new Set(present);
    for (const [name, entry] of entries) {
      if (seen.has(name)) continue;
      const childRel = rel ? `${rel}/${name}` : name;
      const children = folderEntries(entry);
      if (children) {
        makeDir(path.join(root, childRel));
        report.restored.push(childRel);
        folder(childRel, children);
      } else pending.push({ rel: childRel, entry });
    }
  };
  folder('', tree);

  for (let at = 0; at < pending.length; at += BLOBS_PER_READ) {
    const batch = pending.slice(at, at + BLOBS_PER_READ);
    const contents = await readBlobs(batch.map((p) => p.entry.sha));
    for (const { rel, entry } of batch) write(rel, entry, contents.get(entry.sha)!);
  }
  return { report, expected };

  function write(rel: string, entry: TreeEntry, content: Buffer) {
    const abs = path.join(root, rel);
    if (entry.mode === '120000') {
      // An unproven link is kept when it still names the committed target.
      const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
      if (st?.isSymbolicLink() && readlinkSync(abs, { encoding: 'buffer' }).equals(content)) {
        expected.set(rel, stampOf(st));
        return;
      }
      linkNew(root, rel, content);
    } else {
      writeNew(root, rel, content, entry.mode === '100755');
    }
    report.restored.push(rel);
    expected.set(rel, stamp(abs)!);
  }
}
