// Where probe candidates are measured: lanes, each a worktree pool of one with its own local
// backend (same sandbox, stages and integrity checks as a run), so an attack knows the
// worktree it will run in (its kit writes marks there) before it is admitted. Several lanes
// measure several probes at once; the runner opens more than one only when side-by-side
// measurements cannot change a verdict (runner.ts).
import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { FileSet } from '../core/types.js';
import type { CandidateSpec } from '../evaluate/backend.js';
import { backends } from '../evaluate/backends/registry.js';
import type { Measured } from '../evaluate/evaluator.js';
import type { VerifierModels } from '../evaluate/verifier-models.js';
import type { Store } from '../store/store.js';
import { Workspace } from '../workspace/workspace.js';
import { MARKS_FILE } from './context.js';

export interface Lane {
  index: number;
  workspace: Workspace;
  /** Its one worktree: the top level and the problem folder inside it (absolute). */
  worktree: { root: string; dir: string };
  verifierDigest: string;
  protectedPaths: string[];
  measure(spec: CandidateSpec, repeats: number): Promise<Measured>;
  /** The marks the kit left in this lane's worktree since the last call (read before the worktree is reset). */
  takeMarks(): string[];
}

export async function openLane(
  index: number,
  d: { problemDir: string; baseCommit: string; config: Config; runId: string; store: Store; protectedFiles: FileSet } & VerifierModels,
): Promise<Lane> {
  const pool = index === 0 ? 'audit/worktrees' : `audit/lanes/${index}`;
  const workspace = await Workspace.open({ problemDir: d.problemDir, baseCommit: d.baseCommit, poolSize: 1, pool });
  const root = path.join(d.problemDir, '.evoloop', pool, '0');
  const worktree = { root, dir: path.join(root, workspace.repo.prefix) };
  let marks: string[] = [];
  const pooled = new Proxy(workspace, {
    get(target, prop) {
      if (prop === 'release') {
        return (wt: Parameters<Workspace['release']>[0]) => {
          marks.push(...readMarks(path.join(wt.problemDir, MARKS_FILE)));
          target.release(wt);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const backend = backends.local({
    config: d.config,
    runId: d.runId,
    store: d.store,
    workspace: pooled,
    signal: new AbortController().signal,
    protectedFiles: d.protectedFiles,
    dirs: { scratch: 'audit', protected: 'audit' },
    judge: d.judge,
    modelRun: d.modelRun,
  });
  return {
    index,
    workspace,
    worktree,
    verifierDigest: backend.verifierDigest,
    protectedPaths: backend.protectedPaths,
    measure: (spec, repeats) => backend.measure(spec, { kinds: 'search', repeats }),
    takeMarks() {
      const out = marks;
      marks = [];
      return out;
    },
  };
}

/** Most characters read back from a marks file (a replay probe records whole outputs there). */
const MARKS_CAP = 4_000_000;

/** The marks the kit left (a regular file only: the candidate could have put a link there). */
function readMarks(file: string): string[] {
  if (!lstatSync(file, { throwIfNoEntry: false })?.isFile()) return [];
  try {
    return readFileSync(file, 'utf8').slice(0, MARKS_CAP).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
