// The islands coordinator at scale: a store holding N candidates over 8 islands (seeded
// straight into SQLite: rows, one measurement each, novelty signatures, full archives and
// counters), then resume (open the store, the novelty filter reading each island's newest
// signatures, and Evolution.resume: IslandsPopulation.start and the operators' history replayed
// from every candidate) and the work of one decision, timed: select (parents,
// inspirations, island) + admit (edit rules, diff, hash, dedupe, novelty against the island and
// the parents, commit) + prompt assembly (gatherPromptInput + renderPrompt with its token count,
// lessons and best-so-far read from the store). No verifier runs: the evaluation is the
// backend's and is measured by bench/overhead.
//
//   npx tsx bench/scale/main.ts [--sizes 1000,10000,100000] [--decisions 2000] [--warmup 20] [--no-prompt]
//
// --no-prompt leaves prompt assembly out (the model's prompt: lessons, best so far, inspirations),
// to time the coordinator's own decision alone. The first --warmup decisions after the resume
// (the tokenizer's load, V8 compiling the hot paths: the first alone takes some 200 ms) are
// timed apart and printed as their own columns (the first, the rest's median), so the median
// and p99 are those of a coordinator that has been running, which is what a long run is.
// 2,000 timed decisions, because the p99 of 300 is their third-slowest: one more young-generation
// collection (about 2 ms, every ~70 decisions) moved it across 5 ms from run to run.
//
// Each size is seeded by this process, then resumed and measured by a fresh one (so its memory
// is the coordinator's, not the seeding's). Prints, per size: seeding time, resume time,
// decision median and p99, how many decisions took over 5 ms (and how many of those overlapped
// a garbage collection), each part's median and p99
// (novelty is part of admit), and the coordinator's RSS and heap after the decisions.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { validateConfig } from '../../src/config/load.js';
import { seededRandom, seedFrom } from '../../src/core/random.js';
import type { FileSet } from '../../src/core/types.js';
import type { Measured } from '../../src/evaluate/evaluator.js';
import { Evolution } from '../../src/engine/evolution.js';
import { gatherPromptInput } from '../../src/operators/prompt-input.js';
import { IslandsPopulation } from '../../src/population/islands/islands.js';
import { admission } from '../../src/propose/admission.js';
import { signatureOf } from '../../src/propose/minhash.js';
import { noveltyFilter } from '../../src/propose/novelty.js';
import { changeHash } from '../../src/propose/patch-hash.js';
import { renderPrompt } from '../../src/propose/prompt.js';
import { openStore, type Store } from '../../src/store/store.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    decisions: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '20' },
    'no-prompt': { type: 'boolean', default: false },
    /** Internal: resume and measure the store in this folder (a fresh process per size). */
    measure: { type: 'string' },
  },
});
const SIZES = args.sizes.split(',').map(Number);
const DECISIONS = Number(args.decisions);
const WARMUP = Number(args.warmup);
const ISLANDS = 8;
const BASE = 'b'.repeat(40);
const PROGRAM = (a: number, b: number) => `// EVOLVE-BLOCK-START\nconst a = ${a};\nconst b = ${b};\n// EVOLVE-BLOCK-END\nexport const score = () => a * b;\n`;

const config = validateConfig({
  edit: ['f.js'],
  protect: ['verify.sh'],
  verifier: { stages: [{ name: 's', kind: 'score', run: 'x' }] },
  objective: { metric: 'y', goal: 'maximize' },
  accept: { rule: 'better', baseline_repeats: 1 },
  search: {
    strategy: 'islands',
    islands: ISLANDS,
    migration: { interval: 10, rate: 1 },
    features: [{ name: 'm', metric: 'm', range: [0, 1], bins: 10 }],
    seed: 1,
  },
  novelty: { threshold: 0.95 },
});
const base: FileSet = { 'f.js': PROGRAM(1, 1), 'verify.sh': 'exit 0' };
const workspace = {
  baseCommit: BASE,
  problemDir: '/p',
  baseFiles: () => Object.keys(base),
  readBase: async (p: string) => base[p],
  symlinkOnPath: () => undefined,
  commit: (files: FileSet, parent: string) => seedFrom(JSON.stringify(files), parent).toString(16).padStart(40, '0'),
  setRef: () => undefined,
};
const backend = {
  protectedPaths: ['verify.sh'],
  verifierDigest: 'd',
  measure: async (): Promise<Measured> => {
    throw new Error('the bench measures no candidate');
  },
};
const rules = { edit: config.edit, protect: config.protect, alwaysProtected: [] };

function measurement(y: number, m: number) {
  return {
    stage: 's',
    kind: 'score' as const,
    repeat: 0,
    seed: 1,
    ok: true,
    metrics: { y, m },
    exitCode: 0,
    signal: null,
    durationMs: 1,
    stdoutTail: '',
    stderrTail: '',
  };
}

/** N candidates over the islands: a baseline, then children each on its island's earlier one, a tenth accepted into cells. */
function seed(store: Store, n: number): void {
  const run = store.createRun({
    id: 'r',
    problemDir: '/p',
    repoRoot: '/p',
    baseCommit: BASE,
    configJson: JSON.stringify(config),
    configHash: 'h',
    status: 'running',
    ownerPid: null,
  });
  const random = seededRandom(1);
  store.transaction(() => {
    const b = store.insertCandidate({
      runId: run.id,
      parentId: null,
      status: 'baseline',
      operator: 'baseline',
      description: 'base',
      files: {},
      changeHash: changeHash({}),
      patch: '',
    });
    store.addMeasurement(b.id, 0, measurement(1, 0.05));
    store.updateCandidate(b.id, {
      score: 1,
      metrics: { y: 1, m: 0.05 },
      commitSha: BASE,
      verdict: { kind: 'baseline', noise: { n: 1, median: 1, mad: 0, cv: 0 } },
    });
    store.updateRun(run.id, { baselineId: b.id, championId: b.id });
    const last: number[] = Array(ISLANDS).fill(b.id);
    const cells = new Map<string, { id: number; y: number }>();
    for (let i = 1; i < n; i++) {
      const island = i % ISLANDS;
      const a = i;
      const files = { 'f.js': PROGRAM(a, 2) };
      const y = 1 + random();
      const m = random();
      const status = random() < 0.1 ? 'accepted' : 'rejected';
      const c = store.insertCandidate({
        runId: run.id,
        parentId: last[island],
        status,
        operator: 'tune',
        description: `a = ${a}`,
        files,
        changeHash: changeHash(files),
        patch: `-const a = 1;\n+const a = ${a};`,
        island,
      });
      store.addMeasurement(c.id, 0, measurement(y, m));
      store.updateCandidate(c.id, { score: y, metrics: { y, m }, commitSha: workspace.commit(files, BASE), finishedAt: Date.now() });
      store.signatures.put(run.id, c.id, island, signatureOf(files['f.js']));
      if (status === 'accepted') {
        last[island] = c.id;
        const cell = String(Math.min(9, Math.floor(m * 10)));
        const key = `${island}:${cell}`;
        if (!cells.has(key) || cells.get(key)!.y < y) cells.set(key, { id: c.id, y });
      }
    }
    for (let island = 0; island < ISLANDS; island++) store.search.setCell(run.id, island, '0', b.id);
    for (const [key, { id }] of cells) {
      const [island, cell] = key.split(':');
      store.search.setCell(run.id, Number(island), cell, id);
    }
    store.search.set(run.id, 'islands.counters', { accepted: Math.floor(n / 10), migrations: Math.floor(n / 100), stale: Array(ISLANDS).fill(0) });
  });
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Resumes the seeded store in `dir` and times DECISIONS decisions (run in a fresh process). */
async function decide(dir: string) {
  const t = process.hrtime.bigint();
  const store = openStore(dir);
  const run = store.getRun('r')!;
  const population = new IslandsPopulation({ config, store, run, workspace, backend, emit: () => undefined, signal: new AbortController().signal });
  const novelty = noveltyFilter(config.novelty!.threshold, { store, run, workspace, rules });
  const admit = admission({ store, run, workspace, rules, protectedPaths: ['verify.sh'], novelty });
  const operators = {
    pick: () => {
      throw new Error('the bench proposes nothing through the engine');
    },
  };
  const evolution = new Evolution({
    config,
    rules,
    store,
    run,
    workspace,
    operators,
    population,
    admit,
    emit: () => undefined,
    abandon: new AbortController(),
  });
  if (!(await evolution.resume())) throw new Error('the seeded run did not resume');
  const resumeMs = ms(t);

  const noveltyMs: number[] = [];
  const check = novelty.check.bind(novelty);
  novelty.check = async (...a) => {
    const t0 = process.hrtime.bigint();
    const r = await check(...a);
    noveltyMs.push(ms(t0));
    return r;
  };
  const problem = { store, runId: run.id, config, problemDir: dir, baseFiles: () => Object.keys(base) };
  const parts = { select: [] as number[], admit: [] as number[], prompt: [] as number[], total: [] as number[] };
  const warmup: number[] = [];
  // Garbage collections while decisions run: a slow decision that overlapped one is the collector's, not the coordinator's code.
  const collections: { start: number; end: number }[] = [];
  const gcObserver = new PerformanceObserver((list) =>
    collections.push(...list.getEntries().map((e) => ({ start: e.startTime, end: e.startTime + e.duration }))),
  );
  gcObserver.observe({ entryTypes: ['gc'] });
  const spans: { start: number; end: number }[] = [];
  for (let k = 0; k < WARMUP + DECISIONS; k++) {
    if (k === WARMUP) noveltyMs.length = 0;
    const random = seededRandom(seedFrom('decision', k));
    const started = performance.now();
    const t0 = process.hrtime.bigint();
    const selection = population.select(random, 1);
    if ('skip' in selection) throw new Error(selection.skip);
    const t1 = process.hrtime.bigint();
    const parent = selection.parents[0];
    const ctx = {
      runId: run.id,
      parents: selection.parents,
      inspirations: selection.inspirations,
      island: selection.island,
      readFile: async (p: string) => parent.files[p] ?? base[p],
      readBase: async (p: string) => base[p],
      taken: async () => false,
      editableFiles: ['f.js'],
      history: [],
      goal: config.objective.goal,
      noiseSd: 0,
      random,
      signal: new AbortController().signal,
      stopping: new AbortController().signal,
    };
    if (!args['no-prompt'] && renderPrompt(await gatherPromptInput(problem, ctx), { kind: 'diff' }).tokens === 0) throw new Error('empty prompt');
    const t2 = process.hrtime.bigint();
    const proposal = { operator: 'tune', description: `b = ${k + 3}`, changes: { 'f.js': PROGRAM(1_000_000 + k, k + 3) } };
    await admit({ parents: selection.parents, island: selection.island }, 'tune', proposal);
    await population.release(selection);
    const t3 = process.hrtime.bigint();
    if (k < WARMUP) {
      warmup.push(Number(t3 - t0) / 1e6);
      continue;
    }
    parts.select.push(Number(t1 - t0) / 1e6);
    parts.prompt.push(Number(t2 - t1) / 1e6);
    parts.admit.push(Number(t3 - t2) / 1e6);
    parts.total.push(Number(t3 - t0) / 1e6);
    spans.push({ start: started, end: performance.now() });
  }
  await new Promise((r) => setTimeout(r, 50)); // the observer's last entries come in a later task
  gcObserver.disconnect();
  const slowWithGc = spans.filter((d) => d.end - d.start > 5 && collections.some((c) => c.start < d.end && c.end > d.start)).length;
  const mem = process.memoryUsage();
  store.close();
  return { resumeMs, warmup, slowWithGc, parts: { ...parts, novelty: noveltyMs }, rssMb: mem.rss / 2 ** 20, heapMb: mem.heapUsed / 2 ** 20 };
}

type Decided = Awaited<ReturnType<typeof decide>>;

async function measure(n: number): Promise<Decided & { n: number; seedMs: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-scale-'));
  try {
    const t = process.hrtime.bigint();
    const seeding = openStore(dir);
    seed(seeding, n);
    seeding.close();
    const seedMs = ms(t);
    const self = fileURLToPath(import.meta.url);
    const flags = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--sizes') && all[i - 1] !== '--sizes');
    const child = spawnSync(process.execPath, [...process.execArgv, self, ...flags, '--measure', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (child.status !== 0) throw new Error(`measuring ${n} failed: ${child.stderr}`);
    return { n, seedMs, ...(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Decided) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args.measure) {
  console.log(JSON.stringify(await decide(args.measure)));
  process.exit(0);
}
const f = (x: number) => x.toFixed(2);
console.log(
  `islands coordinator, ${ISLANDS} islands, 1 feature × 10 bins, novelty on; per size ${WARMUP} warm-up decisions after the resume, then ${DECISIONS} timed (select + ${args['no-prompt'] ? 'no prompt' : 'prompt assembly'} + admit with novelty)`,
);
console.log('targets: a decision < 5 ms (median and p99), coordinator RSS < 500 MB, both flat from 1k to 100k candidates');
console.log(
  'candidates   seed s   resume ms   warm-up first / median ms   decision median ms   p99 ms   over 5 ms (in a GC)   (select / prompt / admit (novelty) medians ms)   (select / prompt / admit (novelty) p99 ms)   rss MB   heap MB',
);
for (const n of SIZES) {
  const r = await measure(n);
  const p = r.parts;
  const parts = (q: number) => `(${f(quantile(p.select, q))} / ${f(quantile(p.prompt, q))} / ${f(quantile(p.admit, q))} (${f(quantile(p.novelty, q))}))`;
  console.log(
    `${String(n).padStart(10)}   ${(r.seedMs / 1000).toFixed(1).padStart(6)}   ${f(r.resumeMs).padStart(9)}   ${`${f(r.warmup[0] ?? NaN)} / ${f(quantile(r.warmup, 0.5))}`.padStart(25)}   ${f(quantile(p.total, 0.5)).padStart(18)}   ${f(quantile(p.total, 0.99)).padStart(6)}   ${`${p.total.filter((t) => t > 5).length} (${r.slowWithGc})`.padStart(20)}   ${parts(0.5).padEnd(46)}   ${parts(0.99).padEnd(42)}   ${r.rssMb.toFixed(0).padStart(6)}   ${r.heapMb.toFixed(0).padStart(7)}`,
  );
}
