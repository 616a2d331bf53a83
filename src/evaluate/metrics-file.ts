// The $EVOLOOP_METRICS file of one stage run, placed where the candidate's program cannot
// find it by looking: a random 128-bit name in this evoloop's metrics folder under the
// system temp folder (outside the problem, the repository and every other bind), mode 0111
// so it cannot be listed, and owned by `nobody` when evoloop is root so that a sandboxed
// stage (root without capabilities) cannot chmod it back. Only the path in the stage's
// environment leads to it. What the file holds when the stage's top process exits is
// the report; a change after that (a process it left behind) makes it untrusted.
// The folder is made once per evoloop process, not per stage: removing a folder costs a
// journal write on ext4 (1-4 ms on a busy disk), a file's unlink almost nothing. It is named
// for the process, so the folders of one that died without its exit handler (kill -9) are
// found and removed by the next evoloop.
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, constants, fstatSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../core/process-alive.js';

const MAX_BYTES = 1024 * 1024;
const NOBODY = 65534;

/** What the file held at one moment: its identity and content (undefined when absent). */
interface Snapshot {
  stamp: string;
  text: string | undefined;
}

export type MetricsFileReport = { text: string | undefined } | { untrusted: string };

export class MetricsFile {
  private atExit: Snapshot | undefined;

  private constructor(
    /** The folder; bound writable into the sandbox at the same path. */
    readonly dir: string,
    readonly path: string,
  ) {}

  static create(): MetricsFile {
    const dir = metricsFolder();
    const file = join(dir, `${randomBytes(16).toString('hex')}.json`);
    whileWritable(dir, () => writeFileSync(file, '', { mode: 0o600 }));
    return new MetricsFile(dir, file);
  }

  /** Call when the stage's top process exits (synchronously, before any straggler is killed). */
  markExit(): void {
    this.atExit = snapshot(this.path);
  }

  /** The report: the file as it was at the top process's exit, unless it changed since. */
  read(): MetricsFileReport {
    const now = snapshot(this.path);
    if (this.atExit && this.atExit.stamp !== now.stamp) {
      return {
        untrusted:
          `the $EVOLOOP_METRICS file changed after the stage's top process had exited (a process it left behind wrote it), so it is not trusted. ` +
          `Fix: have the verifier wait for every process it starts (and their children) before it exits.`,
      };
    }
    return { text: (this.atExit ?? now).text };
  }

  remove(): void {
    whileWritable(this.dir, () => rmSync(this.path, { force: true }));
  }
}

const IS_ROOT = process.getuid?.() === 0;
let folder: string | undefined;

const FOLDER_PREFIX = 'evoloop-m-';
/** A metrics folder's name, with the pid of the process that made it. */
const FOLDER_NAME = new RegExp(`^${FOLDER_PREFIX}(\\d+)-`);
/** A dead process's folder is left this long untouched before it is removed (a process of another pid namespace sharing /tmp looks dead here). */
const ABANDONED_AFTER_MS = 10 * 60_000;

/** This process's metrics folder, made on first use and removed when the process exits. */
function metricsFolder(): string {
  if (folder) return folder;
  removeAbandonedFolders();
  const dir = mkdtempSync(join(tmpdir(), `${FOLDER_PREFIX}${process.pid}-`));
  chmodSync(dir, 0o111);
  if (IS_ROOT) chownSync(dir, NOBODY, NOBODY);
  process.once('exit', () => {
    try {
      chmodSync(dir, 0o700);
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // already gone
    }
  });
  folder = dir;
  return dir;
}

/** The metrics folders of processes that are gone and did not remove them (killed with -9), untouched for a while. */
export function removeAbandonedFolders(now = Date.now()): void {
  const temp = tmpdir();
  for (const name of readdirSync(temp)) {
    const pid = Number(FOLDER_NAME.exec(name)?.[1]);
    if (!pid || processAlive(pid)) continue;
    const dir = join(temp, name);
    try {
      if (now - statSync(dir).mtimeMs < ABANDONED_AFTER_MS) continue;
      chmodSync(dir, 0o700);
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // another user's, or gone meanwhile
    }
  }
}

/**
 * Runs `write` (a file's creation or removal in `dir`) with write permission on the folder:
 * root has it anyway; another user gets it for the synchronous call only, and never read
 * permission, so the folder is not listable at any moment.
 */
function whileWritable(dir: string, write: () => void): void {
  if (IS_ROOT) return write();
  chmodSync(dir, 0o311);
  try {
    write();
  } finally {
    chmodSync(dir, 0o111);
  }
}

/** One buffer for every read (they are synchronous): zero-filling a fresh megabyte twice per stage cost more than the read. */
const readBuffer = Buffer.allocUnsafe(MAX_BYTES + 1);

function snapshot(path: string): Snapshot {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { stamp: 'missing', text: undefined }; // deleted: no report through this channel
    return { stamp: `unreadable:${code}`, text: `(not a readable regular file: ${code})` };
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    const stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    if (!st.isFile()) return { stamp, text: '(not a regular file)' };
    const bytes = readSync(fd, readBuffer, 0, readBuffer.length, 0);
    const text = bytes > MAX_BYTES ? `(larger than ${MAX_BYTES} bytes)` : readBuffer.toString('utf8', 0, bytes);
    // Content too: two writes within one clock tick can leave the timestamps equal.
    return { stamp: `${stamp}:${text}`, text };
  } finally {
    closeSync(fd);
  }
}
