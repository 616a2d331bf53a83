// A fingerprint of a candidate's change, so that a child identical to one already
// evaluated (up to line endings and trailing whitespace) is recorded as a duplicate.
import { createHash } from 'node:crypto';
import type { FileSet } from '../core/types.js';

/** CRLF → LF, trailing whitespace of each line and trailing blank lines dropped. */
function normalize(content: string): string {
  return content
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}

/** sha256 (hex) over the sorted paths and normalized contents of the candidate's full overlay vs base. */
export function changeHash(changes: FileSet): string {
  const entries = Object.keys(changes)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((p) => [p, normalize(changes[p])]);
  // JSON keeps path/content boundaries unambiguous.
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}
