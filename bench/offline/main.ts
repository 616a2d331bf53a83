// Benchmark: does the offline path (the `tune` operator, no model) improve real code?
// Runs each example in a temp git repository through the library, as shipped and as a
// user would more often write it: without `evoloop:` hints, and without hints or
// EVOLVE-BLOCK markers (the whole file is the search space). Each line sums up several
// runs (a run's id seeds its draws): baseline → best, the gain in the objective's
// direction, the candidates that failed or were invalid (a literal that was structure,
// not a setting), the repeats of an earlier change (must be 0), and how often tune found
// nothing new.
//
//   npx tsx bench/offline/main.ts [--candidates 40] [--runs 3] [--only tsp-heuristic,circle-packing] [--seed 0]
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runEvolution } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/load.js';

const { values: args } = parseArgs({
  options: {
    candidates: { type: 'string', default: '40' },
    only: { type: 'string' },
    seed: { type: 'string', default: '0' },
    runs: { type: 'string', default: '3' },
  },
});
const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

type Variant = 'as shipped' | 'no hints' | 'no hints, no blocks';
const RUNS: { example: string; variant: Variant }[] = [
  { example: 'tsp-heuristic', variant: 'as shipped' },
  { example: 'circle-packing', variant: 'as shipped' },
  { example: 'circle-packing', variant: 'no hints' },
  { example: 'circle-packing', variant: 'no hints, no blocks' },
  { example: 'fast-sort', variant: 'as shipped' },
  { example: 'fast-sort', variant: 'no hints' },
  { example: 'fast-sort', variant: 'no hints, no blocks' },
];

/** Strips `evoloop:` hint comments (and with `blocks`, EVOLVE-BLOCK marker lines) from the program files. */
function strip(dir: string, blocks: boolean): void {
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const file = path.join(dir, name);
    if (name.startsWith('verifier') || !statSync(file).isFile() || !/\.(mjs|js|py|sh|c)$/.test(name)) continue;
    let text = readFileSync(file, 'utf8').replace(/[ \t]*(\/\/|#)[ \t]*evoloop:[^\n]*/g, '');
    if (blocks) text = text.replace(/^.*EVOLVE-BLOCK-(START|END).*\n/gm, '');
    writeFileSync(file, text);
  }
}

function repoOf(example: string, variant: Variant): string {
  const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-offline-'));
  const dir = path.join(tmp, example);
  cpSync(path.join(EXAMPLES, example), dir, { recursive: true, filter: (src) => path.basename(src) !== '.evoloop' });
  if (variant !== 'as shipped') strip(dir, variant === 'no hints, no blocks');
  writeFileSync(path.join(tmp, '.gitignore'), '.evoloop/\n');
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'bench',
    GIT_AUTHOR_EMAIL: 'bench@localhost',
    GIT_COMMITTER_NAME: 'bench',
    GIT_COMMITTER_EMAIL: 'bench@localhost',
  };
  for (const a of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'base'],
  ])
    execFileSync('git', a, { cwd: tmp, env });
  return dir;
}

const only = args.only?.split(',');
const runs = Number(args.runs);
console.log(
  `offline path (tune, no model): ${args.candidates} candidates per run, ${runs} runs per line (each run has its own id, hence its own random draws)\n`,
);
console.log(
  'example          variant              baseline  best (median of runs)  gain: median [min, max]   accepted  failed  repeats  nothing-new  time/run',
);
for (const { example, variant } of RUNS.filter((r) => !only || only.includes(r.example))) {
  const results: Awaited<ReturnType<typeof runOnce>>[] = [];
  for (let r = 0; r < runs; r++) results.push(await runOnce(example, variant));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const gains = results.map((x) => x.gain);
  const pct = (g: number) => `${g >= 0 ? '+' : ''}${g.toFixed(2)}%`;
  console.log(
    [
      example.padEnd(16),
      variant.padEnd(20),
      fmt(results[0].baseline).padEnd(9),
      fmt(med(results.map((x) => x.best))).padEnd(22),
      `${pct(med(gains))} [${pct(Math.min(...gains))}, ${pct(Math.max(...gains))}]`.padEnd(25),
      `${sum(results.map((x) => x.accepted))}/${sum(results.map((x) => x.candidates))}`.padStart(9),
      String(sum(results.map((x) => x.failed))).padStart(7),
      String(sum(results.map((x) => x.repeats))).padStart(8),
      String(sum(results.map((x) => x.nothingNew))).padStart(12),
      `${Math.round(sum(results.map((x) => x.ms)) / runs / 1000)}s`.padStart(9),
    ].join(' '),
  );
}

async function runOnce(example: string, variant: Variant) {
  const dir = repoOf(example, variant);
  const started = Date.now();
  let nothingNew = 0;
  const config = loadConfigFile(path.join(dir, 'evoloop.yaml'));
  const summary = await runEvolution({
    problemDir: dir,
    config: { ...config, search: { ...config.search, seed: Number(args.seed) } },
    maxCandidates: Number(args.candidates),
    onEvent: (e) => {
      if (e.type === 'notice' && /nothing new/.test(e.message)) nothingNew++;
    },
  }).done;
  rmSync(path.dirname(dir), { recursive: true, force: true });
  const counts = summary.byStatus;
  // In the objective's direction: a shorter time or tour is a gain.
  const sign = summary.goal === 'minimize' ? -1 : 1;
  const baseline = summary.baseline ?? NaN;
  const best = summary.best ?? NaN;
  return {
    baseline,
    best,
    gain: (sign * 100 * (best - baseline)) / Math.abs(baseline),
    accepted: counts.accepted ?? 0,
    candidates: summary.candidates,
    failed: (counts.failed ?? 0) + (counts.invalid ?? 0),
    repeats: counts.duplicate ?? 0,
    nothingNew,
    ms: Date.now() - started,
  };
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : Number(v.toPrecision(5)).toString();
}
