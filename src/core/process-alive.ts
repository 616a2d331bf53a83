// Whether a pid names a live process here: for lock owners, writer sessions and metrics folders
// whose process may have been killed with -9.
import { readFileSync } from 'node:fs';

/** Whether a process exists on this machine and is not a zombie (killed, waiting to be reaped). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (not Linux): the signal check has to do
  }
}
