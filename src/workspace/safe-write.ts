// Writing into a folder a candidate controls without ever following a link it planted:
// every parent is checked with lstat to be a real folder (and created without following),
// the old entry is unlinked, and the new file is created with O_CREAT|O_EXCL|O_NOFOLLOW,
// so a link put back in between makes the write fail instead of landing outside.
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

/** The components of a relative `/`-separated path; refuses anything that could climb out. */
export function pathParts(rel: string): string[] {
  const parts = rel.split('/');
  if (rel === '' || path.isAbsolute(rel) || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) {
    throw new Error(`refusing the path "${rel}": not a plain relative path`);
  }
  return parts;
}

/** Whether `abs` is a folder itself (not a link to one). */
export function isRealDir(abs: string): boolean {
  return lstatSync(abs, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** Creates (without following links) the folders leading to root/rel; throws when one is not a real folder. */
export function ensureParents(root: string, rel: string): string {
  if (!isRealDir(root)) throw new Error(`${root} is not a folder`);
  const parts = pathParts(rel);
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (!st)
      makeDir(dir); // not recursive: fails rather than follow a link put there meanwhile
    else if (!st.isDirectory())
      throw new Error(`${path.relative(root, dir)} is not a folder (${st.isSymbolicLink() ? 'a symlink' : 'a file'}): refusing to write through it`);
  }
  return path.join(dir, parts[parts.length - 1]);
}

/** Folders evoloop makes are 0755 exactly, whatever the umask. */
export const DIR_MODE = 0o755;

export function makeDir(abs: string): void {
  mkdirSync(abs);
  chmodSync(abs, DIR_MODE);
}

/** Writes root/rel as a new file whatever was there (a file, a link: unlinked, never followed). */
export function writeNew(root: string, rel: string, content: string | Buffer, executable = false): void {
  const file = ensureParents(root, rel);
  unlinkIfThere(file);
  const fd = openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, executable ? 0o755 : 0o644); // exactly, whatever the umask: modes are part of the proof
    writeFileSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

/** Creates root/rel as a symlink to `target` (as committed in the base tree). */
export function linkNew(root: string, rel: string, target: string | Buffer): void {
  const file = ensureParents(root, rel);
  unlinkIfThere(file);
  symlinkSync(target, file);
}

/** Removes root/rel when it is a file or link; a folder there throws. */
export function unlinkIfThere(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** A regular file's content; a link (or anything but a file) throws instead of being followed. */
export function readNoFollow(file: string): Buffer {
  const fd = openSync(file, O_RDONLY | O_NOFOLLOW);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes the empty folders above root/rel, up to (not including) root, that `keep` does not name. */
export function removeEmptyParents(root: string, rel: string, keep: (dirRel: string) => boolean): void {
  for (let dir = path.posix.dirname(rel); dir !== '.' && !keep(dir); dir = path.posix.dirname(dir)) {
    const abs = path.join(root, dir);
    if (!isRealDir(abs) || readdirSync(abs).length > 0) return;
    rmdirSync(abs);
  }
}

/** Removes `abs` and everything under it, never following links, even after a chmod 000 inside. */
export function removeTree(abs: string): void {
  try {
    rmSync(abs, { recursive: true, force: true });
  } catch {
    makeRemovable(abs);
    rmSync(abs, { recursive: true, force: true });
  }
}

/** chmod -R u+rwX over the folders (only) under `abs`, without following links. */
function makeRemovable(abs: string): void {
  const st = lstatSync(abs, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return;
  chmodSync(abs, (st.mode & 0o7777) | 0o700);
  for (const name of readdirSync(abs)) makeRemovable(path.join(abs, name));
}
