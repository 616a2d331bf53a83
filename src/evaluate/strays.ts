// Kills what an earlier evoloop process left running for this problem: after a kill -9, its
// stages live on and would write into worktrees the new run reuses, or linger as daemons.
// Found three ways, so that none of setsid, a double fork or chdir('/') hides a process:
//   - the problem's stage cgroups of an evoloop process that is gone: everything inside;
//   - processes carrying an EVOLOOP_STAGE_TOKEN of the problem, of an evoloop that is gone;
//   - processes whose cwd is inside this problem's state folder (worktrees, scratch).
import { readlinkSync } from 'node:fs';
import path from 'node:path';
import { StageCgroup } from './cgroup.js';
import { listProcesses, signal, tokenOf } from './stage-processes.js';
import { isStageToken, stageScope, tokenOwnerGone } from './stage-token.js';

/** Returns how many stages (or, for processes found by cwd alone, process groups) were killed. */
export async function killStrayProcesses(stateDir: string): Promise<number> {
  const scope = stageScope(stateDir);
  const stages = new Set(await StageCgroup.sweepOrphans(scope));
  for (let pass = 0; pass < 50; pass++) {
    const strays = listProcesses().flatMap((p) => {
      const token = tokenOf(p.pid);
      if (token && isStageToken(token, scope) && tokenOwnerGone(token)) return [{ ...p, stage: token }];
      return inside(cwdOf(p.pid), stateDir) ? [{ ...p, stage: token ?? `group ${p.pgrp}` }] : [];
    });
    if (strays.length === 0) break;
    for (const p of strays) {
      stages.add(p.stage);
      signal(p.pid, 'SIGKILL');
      if (p.pgrp > 1 && p.pgrp !== process.pid) signal(-p.pgrp, 'SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return stages.size;
}

function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined; // gone, or not ours to read
  }
}

function inside(p: string | undefined, dir: string): boolean {
  return p !== undefined && (p === dir || p.startsWith(dir + path.sep));
}
