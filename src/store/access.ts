// Whether evoloop may write its store here. Asked before opening, so a read-only store is
// read read-only (status, ls, show, export) and a command that must write says why it cannot
// instead of failing deep inside SQLite. access(2) answers for root too: a read-only mount
// gives EROFS and an immutable file (chattr +i) EPERM.
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { RunError } from '../core/errors.js';

export interface NotWritable {
  path: string;
  code: string;
}

/** The first of the store's files (or the folder that would hold them) that cannot be written. */
export function notWritable(file: string): NotWritable | undefined {
  let dir = path.dirname(file);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  for (const p of [dir, file, `${file}-wal`, `${file}-shm`]) {
    if (!existsSync(p)) continue;
    try {
      accessSync(p, constants.W_OK);
    } catch (err) {
      return { path: p, code: (err as NodeJS.ErrnoException).code ?? 'EACCES' };
    }
  }
  return undefined;
}

export class StoreNotWritableError extends RunError {
  constructor(readonly reason: NotWritable) {
    super(
      `evoloop cannot write its store: ${reason.path} ${WHY[reason.code] ?? `is not writable (${reason.code})`}. Commands that record (run, reverify, doctor --repair) need to write it; status, ls, show and export work read-only. Fix: ${FIX[reason.code] ?? FIX.EACCES}`,
    );
  }
}

const WHY: Record<string, string> = {
  EROFS: 'is on a read-only file system',
  EPERM: 'is immutable (chattr +i) or otherwise not writable (EPERM)',
  EACCES: 'is not writable (permission denied)',
};

const FIX: Record<string, string> = {
  EROFS: 'remount it read-write, or copy the problem folder (with .evoloop/) somewhere writable.',
  EPERM: 'clear the flag (chattr -R -i .evoloop).',
  EACCES: 'give yourself write permission (chmod -R u+w .evoloop, or chown it to your user).',
};
