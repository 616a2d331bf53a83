// Takes secrets (model API keys and anything secret-looking) out of this process's
// environment once the model clients hold them. Without a sandbox, candidate code runs as
// the same user and can read /proc/<evoloop pid>/environ. Deleting from process.env is not
// enough: the kernel shows the environment block the process started with, which unsetenv
// leaves in place, so the values are also overwritten there (through /proc/self/mem, which
// a process may always write for itself).
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

/**
 * Removes every variable `isSecret` names from process.env and blanks its value in the
 * process's initial environment block. Returns the names removed; the caller must already
 * hold what it needs (a copy of the environment taken before).
 */
export function scrubSecretsFromEnvironment(isSecret: (name: string) => boolean): string[] {
  const names = Object.keys(process.env).filter((n) => isSecret(n) && process.env[n] !== undefined);
  for (const name of names) delete process.env[name];
  if (names.length > 0) blankInitialEnvironment(names);
  return names;
}

function blankInitialEnvironment(names: string[]): void {
  let fd: number | undefined;
  try {
    // Fields 50 and 51 of /proc/self/stat (1-based) bound the initial environment block.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[50 - 3]);
    const end = Number(fields[51 - 3]);
    if (!(start > 0 && end > start && end - start < 1 << 24)) return;
    fd = openSync('/proc/self/mem', 'r+');
    const block = Buffer.alloc(end - start);
    readSync(fd, block, 0, block.length, start);
    let offset = 0;
    for (const entry of block.toString('latin1').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0 && names.includes(entry.slice(0, eq))) {
        const valueLength = entry.length - eq - 1;
        // "NAME=" stays (harmless); the value becomes x's of the same length.
        writeSync(fd, Buffer.alloc(valueLength, 'x'), 0, valueLength, start + offset + eq + 1);
      }
      offset += entry.length + 1;
    }
  } catch {
    // Not Linux, or /proc/self/mem not writable here: process.env is clean at least.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
