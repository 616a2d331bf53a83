// Everything that bounds one stage and cleans up after it: the shell prelude that puts the
// stage in its cgroup and caps each process's data segment before the stage's command runs
// (so no fork escapes either), a watch that stops the stage as soon as a limit is hit
// (memory, processes, disk, the sandbox's /tmp), and the kill of every process the stage
// started, however it detached. Without a cgroup, the stage's processes are found through
// /proc (see stage-processes.ts) and max_procs is a polled count.
import { performance } from 'node:perf_hooks';
import { StageCgroup, cgroupSupport } from './cgroup.js';
import { allocatedBytes } from './disk-usage.js';
import type { LimitKey, StageLimits } from './limits.js';
import { sandboxTmpFull } from './sandbox-tmp.js';
import { StageProcesses, bootTicksAgo, pidCursor } from './stage-processes.js';
import { STAGE_TOKEN_ENV, newStageToken } from './stage-token.js';

export interface ContainmentOptions {
  limits: StageLimits;
  /** Folders whose growth counts toward disk_mb: the worktree and the stage's scratch folder. */
  diskDirs: string[];
  /** What diskDirs[0] takes now (allocatedBytes), when the caller knows it without a walk (the pool's proof of the worktree). */
  firstDirBytes?: number;
  sandboxed: boolean;
  /** Whose stage this is: see stageScope (the next run of the same problem sweeps what a dead evoloop left). */
  scope: string;
  /** false: no cgroup even where one could be made (to exercise the /proc fallback). */
  cgroup?: boolean;
}

/** How the stage ended, as far as telling an unreported limit goes. */
export interface StageEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when evoloop itself ended the stage. */
  killedFor?: string;
  stderr: string;
}

/** Checks of the cgroup's counters, the /tmp fill and the fallback's process count. */
const TICK_MS = { cgroup: 250, proc: 100 };
/** The disk walk runs at most this often, and at most 1/20 of the time (a large tree is walked less often). */
const DISK_MIN_INTERVAL_MS = 500;
const DISK_COST_FACTOR = 20;

const OUT_OF_MEMORY = /out of memory|cannot allocate memory|bad_alloc|MemoryError|ENOMEM|memory allocation.*failed|failed to allocate|Allocation failed/i;
const NO_SPACE = /No space left on device|ENOSPC/;

export class StageContainment {
  /** The first limit the stage hit, once one was. */
  hit?: LimitKey;
  private processes?: StageProcesses;
  private nextDiskCheck = 0;
  /** Before the stage was spawned, in the clock ticks of process start times: older processes cannot hold its token. */
  private readonly openedAt = bootTicksAgo();
  /** Where pid allocation stood before the stage was spawned: the stage's processes have pids given out since. */
  private readonly pidsAtOpen = pidCursor();

  private constructor(
    private readonly opts: ContainmentOptions,
    readonly token: string,
    private readonly cgroup: StageCgroup | undefined,
    /** Bytes the disk folders took before the stage: only its growth counts. */
    private readonly baseline: number,
  ) {}

  static async open(opts: ContainmentOptions): Promise<StageContainment> {
    const token = newStageToken(opts.scope);
    const cgroup = opts.cgroup === false ? undefined : await StageCgroup.create(token, opts.limits);
    const baseline = opts.firstDirBytes === undefined ? allocatedBytes(opts.diskDirs) : opts.firstDirBytes + allocatedBytes(opts.diskDirs.slice(1));
    return new StageContainment(opts, token, cgroup, baseline);
  }

  /** Variables every process of the stage inherits: how the stage's processes are found without a cgroup, and after a crash. */
  get env(): Record<string, string> {
    return { [STAGE_TOKEN_ENV]: this.token };
  }

  /**
   * The stage's argv with the containment put in front: join the cgroup, set RLIMIT_DATA
   * (ulimit -d, in KiB; soft and hard, so the stage cannot raise it), then run the command.
   * RLIMIT_DATA, not RLIMIT_AS: Node, the JVM and Go reserve gigabytes of address space they
   * never touch, while RLIMIT_DATA counts what is really allocated (heap and private writable
   * mappings). Both happen before the command's first instruction, so no fork escapes either.
   * A plain `/bin/sh -c <run>` gets them as the first line of its own script (one shell, no
   * exec in between: a process start is most of what a stage costs beyond the verifier);
   * anything else (the sandbox, which must join from outside) is exec'd by a shell that does them.
   */
  command(argv: string[]): string[] {
    const joins = (this.cgroup?.procsFiles() ?? []).map((f) => `echo $$ > ${quote(f)} || exit 125; `).join('');
    const prelude = `${joins}ulimit -d ${this.opts.limits.memoryMb * 1024} || exit 125`;
    if (argv.length === 3 && argv[0] === '/bin/sh' && argv[1] === '-c') return ['/bin/sh', '-c', `${prelude}\n${argv[2]}`];
    return ['/bin/sh', '-c', `${prelude}; exec "$@"`, 'evoloop-stage', ...argv];
  }

  /** Starts watching the stage whose leader is `leaderPid`; `stop` ends it at the first limit hit. Returns the disposer. */
  watch = (leaderPid: number, stop: () => void): (() => void) => {
    this.processes = new StageProcesses(this.token, leaderPid, this.openedAt, this.pidsAtOpen);
    let timer: NodeJS.Timeout | undefined;
    let watching = true;
    const tick = async () => {
      const hit = await this.check();
      if (!watching) return;
      if (hit) {
        this.hit ??= hit;
        stop();
        return;
      }
      timer = setTimeout(() => void tick(), this.cgroup ? TICK_MS.cgroup : TICK_MS.proc);
    };
    timer = setTimeout(() => void tick(), this.cgroup ? TICK_MS.cgroup : TICK_MS.proc);
    return () => {
      watching = false;
      clearTimeout(timer);
    };
  };

  /** SIGKILLs every process of the stage: its cgroup's, then any carrying its token or descending from it. */
  async killAll(): Promise<void> {
    await this.cgroup?.killAll();
    // Never watched: its launcher died before the leader's pid came back, but the stage may be running.
    this.processes ??= new StageProcesses(this.token, undefined, this.openedAt);
    await this.processes.killAll();
  }

  /**
   * After the stage: the limit it hit, from the kernel's counters and one last disk walk,
   * or else inferred from how it died (an allocation refused under RLIMIT_DATA, a full /tmp).
   */
  async finish(end: StageEnd): Promise<LimitKey | undefined> {
    this.hit ??= (await this.cgroup?.hit()) ?? (this.diskOver() ? 'disk_mb' : undefined) ?? this.inferred(end);
    return this.hit;
  }

  async close(): Promise<void> {
    await this.cgroup?.remove();
  }

  private async check(): Promise<LimitKey | undefined> {
    const counted = await this.cgroup?.hit();
    if (counted) return counted;
    // Without a cgroup, every tick is also a /proc scan that records the stage's ancestry.
    const counting = !this.cgroup?.has('pids');
    if (counting || this.opts.sandboxed) {
      const members = this.cgroup ? await this.cgroup.members() : this.processes!.scan().map((p) => p.pid);
      if (counting && members.length > this.opts.limits.maxProcs) return 'max_procs';
      if (this.opts.sandboxed && sandboxTmpFull(members)) return 'tmp_mb';
    }
    if (Date.now() >= this.nextDiskCheck) {
      const started = performance.now();
      const over = this.diskOver();
      this.nextDiskCheck = Date.now() + Math.max(DISK_MIN_INTERVAL_MS, DISK_COST_FACTOR * (performance.now() - started));
      if (over) return 'disk_mb';
    }
    return undefined;
  }

  private diskOver(): boolean {
    const limit = this.opts.limits.diskMb * 1024 * 1024;
    return allocatedBytes(this.opts.diskDirs, this.baseline + limit) - this.baseline > limit;
  }

  private inferred(end: StageEnd): LimitKey | undefined {
    if (end.killedFor || end.exitCode === 0) return undefined;
    if (OUT_OF_MEMORY.test(end.stderr)) return 'memory_mb';
    // Without a memory cgroup the kernel's OOM killer is what SIGKILLs a stage we did not kill.
    if (!this.cgroup?.has('memory') && (end.signal === 'SIGKILL' || end.exitCode === 128 + 9)) return 'memory_mb';
    if (this.opts.sandboxed && NO_SPACE.test(end.stderr)) return 'tmp_mb';
    return undefined;
  }
}

/**
 * One line for the run-start notice: how stages are contained on this machine, and what is
 * not contained in this mode.
 */
export async function containmentNotice(sandboxed: boolean): Promise<string> {
  const { bases, reason } = await cgroupSupport();
  const versions = [...new Set(Object.values(bases).map((b) => `v${b.version}`))].join('+');
  const gaps: string[] = [];
  if (!bases.memory) gaps.push("memory_mb bounds each process's allocations (RLIMIT_DATA), not the stage's total");
  if (!bases.pids) gaps.push(`max_procs is a count polled every ${TICK_MS.proc} ms, which a fast fork bomb overshoots between polls`);
  if (!bases.pids && !bases.memory && !sandboxed) {
    gaps.push(`a process that detaches and drops EVOLOOP_STAGE_TOKEN from its environment within ${TICK_MS.proc} ms can outlive its stage`);
  }
  gaps.push(`disk_mb is checked every ${DISK_MIN_INTERVAL_MS} ms or more, so a fast writer overshoots it briefly`);
  if (!sandboxed) gaps.push('files written outside the worktree and the scratch folder (e.g. /tmp) are not counted');
  const how = versions
    ? `cgroup ${versions} holds each stage${bases.memory && bases.pids ? '' : ` (${reason})`}, and all its processes are killed when it ends`
    : `no cgroup (${reason})${sandboxed ? "; the sandbox's pid namespace ends every process of a stage with it" : '; stage processes are tracked through /proc'}`;
  return `limits: ${how}. Not contained: ${gaps.join('; ')}.`;
}

/** `s` as one single-quoted shell word. */
function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
