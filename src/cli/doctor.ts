// `evoloop doctor [problem] [--repair] [--json]`: one line per check of the store, its
// backups, the runs' ownership, the git refs and the worktree pool; exit 1 while a problem remains.
import type { Command } from 'commander';
import { doctor } from '../store/doctor.js';
import { printJson } from './context.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the store (integrity, backups, runs, git refs, worktree pool); --repair fixes what it can')
    .argument('[problem]', 'problem folder', '.')
    .option('--repair', 'fix what can be fixed: restore the newest good backup, recreate refs, remove the pool, mark dead runs interrupted')
    .option('--json', 'print JSON')
    .action(async (problem: string, opts: { repair?: boolean; json?: boolean }) => {
      const checks = await doctor(problem, { repair: opts.repair });
      const healthy = checks.every((c) => c.status !== 'problem');
      if (opts.json) printJson({ healthy, checks });
      else {
        for (const c of checks) process.stdout.write(`${c.status.padEnd(8)} ${c.check.padEnd(10)} ${c.detail}${c.fix ? `. Fix: ${c.fix}` : ''}\n`);
      }
      if (!healthy) process.exitCode = 1;
    });
}
