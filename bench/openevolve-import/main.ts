// Benchmark: `evoloop import openevolve` on every example of an OpenEvolve checkout the user
// supplies (none of OpenEvolve's code ships with evoloop). Each folder holding an evaluator.py
// and an initial_program.* is imported offline into a scratch folder and run for a few
// candidates with tune, through the built CLI as a user would run it; one line per example:
// did the import succeed, the measured baseline, the best after the run, how many candidates
// and champions, the wall time, and why a run stopped early (the failing baseline's reason).
//
//   git clone https://github.com/codelion/openevolve /tmp/openevolve
//   npm run build && npx tsx bench/openevolve-import/main.ts /tmp/openevolve [--candidates 60] [--time 10m] [--only circle,heilbronn] [--keep DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    candidates: { type: 'string', default: '60' },
    time: { type: 'string', default: '10m' },
    only: { type: 'string' },
    keep: { type: 'string' },
  },
});
const checkout = positionals[0];
if (!checkout || !existsSync(checkout)) {
  console.error('usage: npx tsx bench/openevolve-import/main.ts OPENEVOLVE_CHECKOUT [--candidates 60] [--time 10m] [--only a,b] [--keep DIR]');
  process.exit(2);
}
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/evoloop.js');
const work = args.keep ? path.resolve(args.keep) : mkdtempSync(path.join(tmpdir(), 'evoloop-oe-bench-'));
mkdirSync(work, { recursive: true });

/** Every folder with an evaluator.py and one initial_program.*, relative to the checkout. */
function examples(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    const names = entries.map((e) => e.name);
    if (names.includes('evaluator.py') && names.some((n) => /^initial_program\.[A-Za-z0-9]+$/.test(n))) found.push(path.relative(root, dir) || '.');
    for (const e of entries) if (e.isDirectory() && !/^(\.|node_modules$|__pycache__$|openevolve_output)/.test(e.name)) walk(path.join(dir, e.name));
  };
  walk(root);
  return found.sort();
}

/** config.yaml, else the first config*.yaml (OpenEvolve's phased examples start with phase 1). */
function configOf(dir: string): string | undefined {
  const names = readdirSync(dir);
  if (names.includes('config.yaml')) return undefined;
  return names.filter((n) => /^config.*\.ya?ml$/.test(n)).sort()[0];
}

const cli = (argv: string[], cwd: string) => spawnSync('node', [CLI, ...argv], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
/** evoloop's own error line (the reason), else the first error-looking line, else the last line. */
function reason(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim());
  const own = lines.findIndex((l) => l.startsWith('evoloop: '));
  const chosen = own >= 0 ? lines.slice(own).join(' ') : (lines.find((l) => /Error\b/.test(l)) ?? lines.at(-1) ?? '');
  const line = chosen.replace(/\s+/g, ' ').replace(/( Nothing can be compared| Fix: ).*$/, '');
  return line.length > 160 ? `…${line.slice(-150)}` : line; // a failing baseline's reason ends with the evaluator's last words
}
const fmt = (v: unknown) => (typeof v === 'number' ? (Math.abs(v) >= 1000 ? v.toFixed(1) : v.toPrecision(6)) : '-');

const root = path.resolve(checkout);
const all = examples(root);
const chosen = args.only ? all.filter((e) => args.only!.split(',').some((o) => e.includes(o))) : all;
console.log(
  `OpenEvolve checkout ${root}: ${chosen.length} of ${all.length} examples; offline (tune), up to ${args.candidates} candidates or ${args.time} each`,
);
console.log(
  `scratch folder: ${work}; load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
const header = ['example', 'import', 'baseline', `best (≤${args.candidates})`, 'candidates', 'accepted', 'time', 'note'];
const rows: string[][] = [];
const print = (r: string[]) => console.log(r.map((c, i) => c.padEnd([44, 7, 12, 12, 10, 8, 7, 0][i])).join(' '));
print(header);

for (const example of chosen) {
  const src = path.join(root, example);
  const out = path.join(work, example.replace(/[\\/]/g, '__'));
  const config = configOf(src);
  const started = Date.now();
  const imported = cli(['import', 'openevolve', src, '--out', out, '--offline', '--json', ...(config ? ['--config', path.join(src, config)] : [])], work);
  let row: string[];
  if (imported.status !== 0) {
    row = [example, 'no', '-', '-', '-', '-', '-', reason(imported.stderr)];
  } else {
    const run = cli(['run', out, '-n', args.candidates, '--time', args.time], work);
    const status = cli(['status', out, '--json'], work);
    const s = status.status === 0 ? (JSON.parse(status.stdout) as Record<string, unknown>) : {};
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const note =
      run.status !== 0
        ? `run exit ${run.status}: ${reason(run.stderr)}`
        : status.status !== 0
          ? `status exit ${status.status}: ${reason(status.stderr)}`
          : `${config ? `--config ${config}; ` : ''}${String(s.stopReason ?? '')}`;
    const climbed = typeof s.best === 'number' && typeof s.baseline === 'number' && s.best > s.baseline;
    row = [example, 'ok', fmt(s.baseline), `${fmt(s.best)}${climbed ? ' ↑' : ''}`, String(s.candidates ?? '-'), String(s.accepted ?? '-'), `${seconds}s`, note];
  }
  rows.push(row);
  print(row);
}
const imported = rows.filter((r) => r[1] === 'ok').length;
const measured = rows.filter((r) => r[2] !== '-').length;
const climbed = rows.filter((r) => r[3].endsWith('↑')).length;
console.log(`\n${imported}/${rows.length} imported, ${measured} with a measured baseline, ${climbed} climbed offline`);
console.log(
  `load average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
if (!args.keep) rmSync(work, { recursive: true, force: true });
