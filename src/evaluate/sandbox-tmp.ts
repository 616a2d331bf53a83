// Whether a sandboxed stage has filled its private /tmp (a tmpfs of tmp_mb), seen from
// outside through /proc/<pid>/root of a process inside the sandbox's mount namespace.
// The kernel already refuses writes past the size; this only tells why the stage failed.
import { readlinkSync, statfsSync } from 'node:fs';

/** Less room than this left counts as full: a refused write leaves at most a page or so. */
const FULL_BELOW_BYTES = 64 * 1024;

/** True when /tmp of the sandbox holding one of `pids` is full; false when not, or when no such process is visible. */
export function sandboxTmpFull(pids: number[]): boolean {
  const ours = mountNamespace('self');
  for (const pid of pids) {
    const ns = mountNamespace(String(pid));
    if (!ns || ns === ours) continue;
    try {
      const fs = statfsSync(`/proc/${pid}/root/tmp`);
      return fs.bavail * fs.bsize < FULL_BELOW_BYTES;
    } catch {
      // exited meanwhile; try the next one
    }
  }
  return false;
}

function mountNamespace(pid: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}
