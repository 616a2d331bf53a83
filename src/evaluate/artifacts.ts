// What a stage left in $EVOLOOP_ARTIFACTS, read once the stage (and everything it started)
// is gone: regular files only (a symlink could point at a host file the stage could not
// read itself), in name order, within the per-stage cap. A file past the cap, past the
// file count or not a regular file is dropped with a note; the candidate is never failed for it.
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { fmtBytes } from '../core/artifact-types.js';
import type { StageArtifacts } from '../store/artifacts.js';

/** Files kept of one stage run at most, whatever their size. */
export const MAX_ARTIFACT_FILES = 100;
/** Entries looked at at most (a stage could leave a million empty files). */
const MAX_ENTRIES = 5000;
const MAX_DEPTH = 8;

export function collectArtifacts(dir: string, maxStageBytes: number): StageArtifacts {
  const found: { name: string; full: string; size: number }[] = [];
  const dropped: StageArtifacts['dropped'] = [];
  let seen = 0;
  const walk = (folder: string, prefix: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(folder).sort();
    } catch {
      return; // no folder: the stage wrote nothing (or is a function stage)
    }
    for (const entry of names) {
      if (++seen > MAX_ENTRIES) return;
      const full = path.join(folder, entry);
      const name = prefix + entry;
      const st = lstatSync(full);
      if (st.isDirectory()) {
        if (depth < MAX_DEPTH) walk(full, `${name}/`, depth + 1);
        else dropped.push({ name, size: 0, note: `not kept: folders deeper than ${MAX_DEPTH} levels are not looked into` });
      } else if (st.isFile()) {
        found.push({ name, full, size: st.size });
      } else {
        dropped.push({ name, size: 0, note: `not kept: not a regular file (${st.isSymbolicLink() ? 'a symbolic link' : 'a device, socket or pipe'})` });
      }
    }
  };
  walk(dir, '', 1);
  if (seen > MAX_ENTRIES) dropped.push({ name: '…', size: 0, note: `not kept: the stage left more than ${MAX_ENTRIES} entries; the rest were not looked at` });

  const kept: StageArtifacts['kept'] = [];
  let total = 0;
  for (const f of found) {
    if (kept.length >= MAX_ARTIFACT_FILES) {
      dropped.push({ name: f.name, size: f.size, note: `not kept: a stage run keeps at most ${MAX_ARTIFACT_FILES} files` });
    } else if (total + f.size > maxStageBytes) {
      dropped.push({
        name: f.name,
        size: f.size,
        note: `not kept: ${fmtBytes(f.size)} would pass artifacts.stage_mb (${fmtBytes(maxStageBytes)} per stage run, ${fmtBytes(total)} kept). Raise artifacts.stage_mb or write less.`,
      });
    } else {
      const bytes = readRegular(f.full, f.size);
      if (bytes) (kept.push({ name: f.name, bytes }), (total += bytes.length));
      else dropped.push({ name: f.name, size: f.size, note: 'not kept: it changed while it was read' });
    }
  }
  return { kept, dropped };
}

/** The file's bytes, never through a link swapped in since it was listed. */
function readRegular(file: string, size: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size !== size) return undefined;
    const buf = Buffer.alloc(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, buf, at, size - at, at);
      if (n === 0) return undefined;
      at += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}
