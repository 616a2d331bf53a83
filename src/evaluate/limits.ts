// A stage's resource limits: the defaults every stage gets (raised per stage in
// evoloop.yaml), and the failure each one reports when hit — its kind, its config key and
// value, and the fix — so a verdict never hides which limit ended a stage.
import { DEFAULT_LIMITS } from '../core/stage-defaults.js';
import type { FailureKind } from '../core/types.js';

export { DEFAULT_LIMITS };

export interface StageLimits {
  /** memory_mb: all processes of the stage together (cgroup, tmpfs included) and each one's allocations (RLIMIT_DATA). */
  memoryMb: number;
  /** max_procs: tasks of the stage; the kernel counts threads as well as processes. */
  maxProcs: number;
  /** disk_mb: growth of the worktree and the stage's scratch folder, in allocated blocks. */
  diskMb: number;
  /** tmp_mb: size of the sandbox's private /tmp, which lives in RAM. */
  tmpMb: number;
}

/** The config key of the limit that was hit. */
export type LimitKey = 'memory_mb' | 'max_procs' | 'disk_mb' | 'tmp_mb';

/** A stage's limits: its own values where it sets them, the defaults elsewhere. */
export function stageLimits(spec: { memoryMb?: number; maxProcs?: number; diskMb?: number; tmpMb?: number }): StageLimits {
  return {
    memoryMb: spec.memoryMb ?? DEFAULT_LIMITS.memoryMb,
    maxProcs: spec.maxProcs ?? DEFAULT_LIMITS.maxProcs,
    diskMb: spec.diskMb ?? DEFAULT_LIMITS.diskMb,
    tmpMb: spec.tmpMb ?? DEFAULT_LIMITS.tmpMb,
  };
}

const KIND: Record<LimitKey, FailureKind> = { memory_mb: 'memory-limit', max_procs: 'process-limit', disk_mb: 'disk-limit', tmp_mb: 'disk-limit' };

/** The failure a stage that hit `key` records; whatever it measured meanwhile is not trusted. */
export function limitFailure(stage: string, key: LimitKey, limits: StageLimits): { kind: FailureKind; message: string } {
  const what = `stage "${stage}"`;
  const ended = 'so it was stopped with all its processes and its result is not trusted';
  const message = {
    memory_mb: `${what} ran out of memory under its limit of ${limits.memoryMb} MB (memory_mb), ${ended}. If it legitimately needs more, raise memory_mb.`,
    max_procs: `${what} hit its process limit (max_procs: ${limits.maxProcs}): forks were refused, ${ended}. If it legitimately needs more processes (threads count too), raise max_procs.`,
    disk_mb: `${what} wrote more than its limit of ${limits.diskMb} MB (disk_mb) into its worktree and scratch folder, ${ended}. If it legitimately needs the room, raise disk_mb.`,
    tmp_mb: `${what} filled its private /tmp, ${limits.tmpMb} MB of RAM (tmp_mb), ${ended}. If it legitimately needs more, raise tmp_mb or write large files into the worktree (counted in disk_mb).`,
  }[key];
  return { kind: KIND[key], message };
}
