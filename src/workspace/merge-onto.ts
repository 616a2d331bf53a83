// A candidate's change (base → candidate) laid onto another commit (base → onto) by a
// three-way merge per file, in memory: either every file merges cleanly or nothing is
// written, so `apply --onto` never leaves a change half applied.
import { diff3Merge } from 'node-diff3';
import type { FileSet } from '../core/types.js';

export interface MergeConflict {
  path: string;
  why: string;
}

export type MergeResult = { files: FileSet } | { conflicts: MergeConflict[] };

type Read = (path: string) => Promise<string | undefined>;

/** Merges each changed file of `change` (contents against `readBase`) onto the contents `readOnto` gives. */
export async function mergeOnto(change: FileSet, readBase: Read, readOnto: Read): Promise<MergeResult> {
  const files: FileSet = {};
  const conflicts: MergeConflict[] = [];
  for (const [path, mine] of Object.entries(change)) {
    const base = await readBase(path);
    const onto = await readOnto(path);
    if (onto === base || onto === mine) files[path] = mine;
    else if (onto === undefined) conflicts.push({ path, why: 'deleted in the target commit, changed by the candidate' });
    else if (base === undefined) conflicts.push({ path, why: 'added both by the candidate and in the target commit, differently' });
    else {
      const merged = mergeText(onto, base, mine);
      if ('text' in merged) files[path] = merged.text;
      else conflicts.push({ path, why: `both changed ${merged.lines} of the base` });
    }
  }
  return conflicts.length > 0 ? { conflicts } : { files };
}

function mergeText(onto: string, base: string, mine: string): { text: string } | { lines: string } {
  const regions = diff3Merge(onto.split('\n'), base.split('\n'), mine.split('\n'), { excludeFalseConflicts: true });
  const clash = regions.find((r) => r.conflict);
  if (clash?.conflict) {
    const { oIndex, o } = clash.conflict;
    return { lines: o.length > 1 ? `lines ${oIndex + 1}–${oIndex + o.length}` : `line ${oIndex + 1}` };
  }
  return { text: regions.flatMap((r) => r.ok ?? []).join('\n') };
}
