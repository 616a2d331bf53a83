// One cgroup per stage, where the machine lets us make one (root, typically): the kernel
// caps the stage's memory (tmpfs pages included) and tasks, says which cap was hit, and
// lists every process of the stage whatever its session, process group, cwd or environment,
// so all of them die when the stage ends — and, after a kill -9 of evoloop, at the next run.
// cgroup v2 (one hierarchy: memory.max, memory.swap.max, pids.max, memory.events) and v1
// (a hierarchy per controller: memory.limit_in_bytes + memory.memsw.limit_in_bytes,
// pids.max, memory.oom_control) are both supported.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { signal } from './stage-processes.js';
import { isStageToken, tokenOwnerGone } from './stage-token.js';

export type Controller = 'memory' | 'pids';

/** A cgroup folder, and the version of the hierarchy it is in (a hybrid machine mixes them). */
interface Folder {
  dir: string;
  version: 1 | 2;
}

export interface CgroupSupport {
  /** Where stage cgroups of each controller are made; absent when that controller is not ours to use. */
  bases: Partial<Record<Controller, Folder>>;
  /** Why a controller is missing, for the run-start notice. */
  reason?: string;
}

interface Hierarchy {
  version: 1 | 2;
  mount: string;
  /** Our own cgroup's folder in this hierarchy. */
  own: string;
  controllers: Controller[];
}

const CONTROLLERS: Controller[] = ['memory', 'pids'];
const UNRECLAIMABLE_LIMIT_SHARE = 0.95;

let support: Promise<CgroupSupport> | undefined;

/** Which controllers this process may use for its stages, and where; probed once (a cgroup is made, joined and removed). */
export function cgroupSupport(): Promise<CgroupSupport> {
  support ??= probe();
  return support;
}

async function probe(): Promise<CgroupSupport> {
  const found = hierarchies();
  if (found.length === 0) return { bases: {}, reason: 'no cgroup filesystem is mounted' };
  const bases: CgroupSupport['bases'] = {};
  for (const controller of CONTROLLERS) {
    const h = found.find((x) => x.controllers.includes(controller));
    if (!h) continue;
    // v1 nests under our own cgroup (its limits still bind the stage); v2 forbids processes in a
    // cgroup whose children use controllers, so a sibling of ours, or the top, holds stages.
    const candidates = h.version === 1 || h.own === h.mount ? [h.own, h.mount] : [dirname(h.own), h.mount];
    for (const base of new Set(candidates)) {
      if (await usable(base, controller, h.version)) {
        bases[controller] = { dir: base, version: h.version };
        break;
      }
    }
  }
  const missing = CONTROLLERS.filter((c) => !bases[c]);
  return {
    bases,
    ...(missing.length > 0 && { reason: `no writable ${missing.join(' or ')} cgroup controller (evoloop needs root, or a cgroup it may write)` }),
  };
}

/** The cgroup hierarchies mounted here that have a controller we use, from /proc/self/mountinfo. */
function hierarchies(): Hierarchy[] {
  let mountinfo: string;
  let own: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    own = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return [];
  }
  const ownPath = (pick: (controllers: string[]) => boolean) =>
    own
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => f.length >= 3 && pick(f[1].split(',')))
      ?.slice(2)
      .join(':');
  const out: Hierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0) continue;
    const [fstype, , options] = f.slice(sep + 1);
    const [mountRoot, mount] = [f[3], f[4]];
    if (fstype === 'cgroup2') {
      const path = ownPath((c) => c.length === 1 && c[0] === '');
      const enabled = readOr(join(mount, 'cgroup.controllers')).split(/\s+/);
      const controllers = CONTROLLERS.filter((c) => enabled.includes(c));
      if (controllers.length > 0 && path !== undefined) out.push({ version: 2, mount, own: within(mount, mountRoot, path), controllers });
    } else if (fstype === 'cgroup') {
      const controllers = CONTROLLERS.filter((c) => options.split(',').includes(c));
      const path = ownPath((c) => controllers.some((x) => c.includes(x)));
      if (controllers.length > 0 && path !== undefined) out.push({ version: 1, mount, own: within(mount, mountRoot, path), controllers });
    }
  }
  return out;
}

/** Where a cgroup path from /proc/self/cgroup is under a mount whose root is `mountRoot`. */
function within(mount: string, mountRoot: string, path: string): string {
  const rel = relative(mountRoot, path);
  return rel.startsWith('..') ? mount : join(mount, rel);
}

async function usable(base: string, controller: Controller, version: 1 | 2): Promise<boolean> {
  if (version === 2 && !readOr(join(base, 'cgroup.subtree_control')).split(/\s+/).includes(controller)) return false;
  const dir = join(base, `evoloop-probe-${process.pid}-${Date.now()}`);
  try {
    await mkdir(dir);
  } catch {
    return false;
  }
  try {
    await writeFile(
      join(dir, controller === 'pids' ? 'pids.max' : version === 2 ? 'memory.max' : 'memory.limit_in_bytes'),
      String(controller === 'pids' ? 16 : 64 << 20),
    );
    return await joins(join(dir, 'cgroup.procs'));
  } catch {
    return false;
  } finally {
    await removeFolder(dir);
  }
}

/** Whether a child process may move itself into the cgroup (as the stage's shell prelude does). */
function joins(procs: string): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn('/bin/sh', ['-c', 'echo $$ > "$1"', 'sh', procs], { stdio: 'ignore' });
    child.on('error', () => done(false));
    child.on('close', (code) => done(code === 0));
  });
}

export class StageCgroup {
  private constructor(
    /** One folder per controller (v1), or the same folder for both (v2). */
    private readonly dirs: Partial<Record<Controller, Folder>>,
    private readonly memoryBytes?: number,
  ) {}

  /** A cgroup named `name` with the stage's limits, or undefined where none can be made. */
  static async create(name: string, limits: { memoryMb: number; maxProcs: number }): Promise<StageCgroup | undefined> {
    const { bases } = await cgroupSupport();
    const dirs: Partial<Record<Controller, Folder>> = {};
    for (const c of CONTROLLERS) if (bases[c]) dirs[c] = { dir: join(bases[c]!.dir, name), version: bases[c]!.version };
    if (!dirs.pids && !dirs.memory) return undefined;
    const cgroup = new StageCgroup(dirs, limits.memoryMb * 1024 * 1024);
    const { pids, memory } = dirs;
    // cgroupfs lives in memory: these calls return at once, so they are made synchronously
    // (a thread-pool round trip each would cost more than the call).
    try {
      for (const dir of cgroup.folders()) mkdirSync(dir);
      const bytes = String(cgroup.memoryBytes);
      if (pids) writeFileSync(join(pids.dir, 'pids.max'), String(limits.maxProcs));
      if (memory?.version === 2) {
        writeFileSync(join(memory.dir, 'memory.max'), bytes);
        // Without this the limit only moves the excess to swap, and a runaway stage thrashes until its timeout.
        writeIfPresent(join(memory.dir, 'memory.swap.max'), '0');
      } else if (memory) {
        writeFileSync(join(memory.dir, 'memory.limit_in_bytes'), bytes);
        writeIfPresent(join(memory.dir, 'memory.memsw.limit_in_bytes'), bytes);
      }
      return cgroup;
    } catch {
      await cgroup.remove();
      return undefined;
    }
  }

  /** Which of the stage's limits the kernel enforces here. */
  has(controller: Controller): boolean {
    return this.dirs[controller] !== undefined;
  }

  /** The cgroup.procs files a process writes its pid to, to join (before it execs the stage, so no fork escapes). */
  procsFiles(): string[] {
    return this.folders().map((d) => join(d, 'cgroup.procs'));
  }

  /**
   * The limit that was hit: a refused fork, an OOM kill, or memory that cannot be reclaimed
   * (anonymous and tmpfs pages: there is no swap to move them to) at 95% of the limit. Past
   * that point the kernel only evicts the page cache over and over, and a stage thrashes for
   * many seconds before the OOM killer comes.
   */
  async hit(): Promise<'max_procs' | 'memory_mb' | undefined> {
    const { pids, memory } = this.dirs;
    if (pids && /^max\s+[1-9]/m.test(readOr(join(pids.dir, 'pids.events')))) return 'max_procs';
    if (!memory) return undefined;
    const events = readOr(join(memory.dir, memory.version === 2 ? 'memory.events' : 'memory.oom_control'));
    if (/^oom_kill\s+[1-9]/m.test(events)) return 'memory_mb';
    if (this.memoryBytes !== undefined && (await this.unreclaimableBytes(memory)) >= UNRECLAIMABLE_LIMIT_SHARE * this.memoryBytes) return 'memory_mb';
    return undefined;
  }

  private async unreclaimableBytes(memory: Folder): Promise<number> {
    const stat = readOr(join(memory.dir, 'memory.stat'));
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0);
    // v1 lists this cgroup alone and, as total_*, with its sub-cgroups; v2 is hierarchical.
    return memory.version === 2 ? value('anon') + value('shmem') : value('total_rss') + value('total_shmem') + value('total_swap');
  }

  /** SIGKILL every process inside, even ones that left the process group or made sub-cgroups. */
  async killAll(): Promise<void> {
    for (const { dir, version } of Object.values(this.dirs)) {
      // cgroup.kill (Linux 5.14+) kills the whole subtree at once, forks in flight included.
      if (version === 2) {
        try {
          writeIfPresent(join(dir, 'cgroup.kill'), '1');
        } catch {
          // gone already, or refused: the kill loop below does it process by process
        }
      }
    }
    for (let pass = 0; pass < 200; pass++) {
      const pids = await this.members();
      if (pids.length === 0) return;
      for (const pid of pids) signal(pid, 'SIGKILL');
      await sleep(10);
    }
  }

  /** Kills everything inside and removes the cgroup's folders. */
  async remove(): Promise<void> {
    await this.killAll();
    for (const dir of this.folders()) {
      for (const sub of subfolders(dir).reverse()) await removeFolder(sub);
    }
  }

  private folders(): string[] {
    return [...new Set(Object.values(this.dirs).map((f) => f.dir))];
  }

  /** Pids of every process inside, sub-cgroups included. */
  async members(): Promise<number[]> {
    const pids = new Set<number>();
    for (const dir of this.folders()) {
      for (const sub of subfolders(dir)) {
        for (const pid of readOr(join(sub, 'cgroup.procs')).split('\n')) if (pid) pids.add(Number(pid));
      }
    }
    return [...pids];
  }

  /**
   * Kills and removes the stage cgroups of `scope` that an evoloop process that has exited
   * left behind (killed with -9, its stages lived on). Returns the stage tokens swept.
   * Empty ones of other scopes are removed too: nothing runs in them, so nothing is lost.
   */
  static async sweepOrphans(scope: string): Promise<string[]> {
    const swept = new Set<string>();
    for (const h of hierarchies()) {
      for (const dir of subfolders(h.mount, 8)) {
        const name = dir.slice(dir.lastIndexOf('/') + 1);
        if (!isStageToken(name) || !tokenOwnerGone(name)) continue;
        if (isStageToken(name, scope)) {
          const orphan = new StageCgroup({ [h.controllers[0]]: { dir, version: h.version } });
          if ((await orphan.members()).length > 0) swept.add(name);
          await orphan.remove();
        } else {
          await rmdir(dir).catch(() => undefined); // EBUSY while a process is inside: that one is not ours to end
        }
      }
    }
    return [...swept];
  }
}

/** `dir` and every folder below it (parents first), down to `depth` levels. */
function subfolders(dir: string, depth = 4): string[] {
  const out = [dir];
  if (depth === 0) return out;
  let entries: import('node:fs').Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    // gone, or not a folder
  }
  for (const e of entries) if (e.isDirectory()) out.push(...subfolders(join(dir, e.name), depth - 1));
  return out;
}

async function removeFolder(dir: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      await sleep(20); // EBUSY until the last exiting process is released
    }
  }
}

function writeIfPresent(file: string, value: string): void {
  if (existsSync(file)) writeFileSync(file, value);
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
