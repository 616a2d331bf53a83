// How long `evoloop audit --probes fast` takes on each shipped example (target: under a
// minute each), and what it finds. Each example is copied into a throwaway git repository
// first, so the checkout's .evoloop/ is untouched.
//   npx tsx bench/audit/main.ts [runs per example, default 1] [example ...]
// An example the audit cannot run here (e.g. prompt-extraction needs a model server) gets its error line.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'bin', 'evoloop.js');
const runs = Number(process.argv[2] ?? 1);
const only = process.argv.slice(3);
const env = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@localhost' };

// The machine may be shared: the load average says what the figures were taken under.
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
console.log(`load average before: ${load()}`);
for (const example of readdirSync(path.join(ROOT, 'examples')).filter((e) => only.length === 0 || only.includes(e))) {
  const seconds: number[] = [];
  let summary = '';
  for (let i = 0; i < runs; i++) {
    const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-audit-bench-'));
    try {
      cpSync(path.join(ROOT, 'examples', example), tmp, { recursive: true, filter: (src) => path.basename(src) !== '.evoloop' });
      for (const args of [
        ['init', '-q'],
        ['add', '-A'],
        ['commit', '-qm', 'base'],
      ])
        execFileSync('git', args, { cwd: tmp, env });
      const started = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [CLI, 'audit', '.', '--probes', 'fast', '--json'], { cwd: tmp, env, encoding: 'utf8', maxBuffer: 64 << 20 });
      seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
      if (!r.stdout.trim()) {
        summary = `could not audit (exit ${r.status}): ${r.stderr.trim().split('\n')[0]}`;
        break;
      }
      const report = JSON.parse(r.stdout) as { results: { name: string; outcome: string }[] };
      const count = (o: string) => report.results.filter((x) => x.outcome === o).length;
      const through = report.results.filter((x) => x.outcome === 'let-through').map((x) => x.name);
      summary = `exit ${r.status}; ${report.results.length} probes: ${count('contained')} contained, ${count('detected')} detected, ${through.length} let through${through.length ? ` (${through.join(', ')})` : ''}, ${count('skipped')} skipped`;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  seconds.sort((a, b) => a - b);
  const median = seconds[seconds.length >> 1];
  console.log(
    `${example.padEnd(16)} audit --probes fast: median ${median.toFixed(1)} s over ${runs} run(s) (${seconds.map((s) => s.toFixed(1)).join(', ')}); ${summary}; load average after ${load()}`,
  );
}
