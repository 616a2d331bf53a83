// Orchestration overhead of the core loop: what evoloop itself costs per candidate
// (proposing, admitting and committing, putting a pooled worktree at the base and filling
// it, running the stage with its containment, recording, deciding), apart from the
// verifier's own run. A trivial verifier (sh + awk printing one METRIC line) and the
// offline `tune` operator, in a temp git repository of 200 files, through the library.
//
//   npx tsx bench/overhead/main.ts [--candidates 200] [--sizes 0,5000] [--parallel 1,4]
//
// Each parallel level runs in a fresh run (candidates 1..N) and in runs that already hold
// `--sizes` candidates (seeded straight into the store and the git refs, as a long run
// leaves them), to see whether the cost grows with the run. The verifier's own run is a
// reference measured here: the same command spawned bare from this process (bareVerifier).
// Per candidate at parallel 1: the time between two decisions minus that reference
// (median, p90), and each phase's own time with its share. At parallel 4 the candidates
// overlap, so the figure is the slot time not spent in the verifier: 4 × wall / N minus the
// bare verifier's slot time at 4 in parallel. CPU: this process's user + system time per
// candidate (less sensitive to a loaded machine than wall time).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defineConfig, runEvolution, type ConfigInput } from '../../src/index.js';
import { Evolution, type EvolutionDeps } from '../../src/engine/evolution.js';
import { Evaluator } from '../../src/evaluate/evaluator.js';
import { StageCgroup } from '../../src/evaluate/cgroup.js';
import { StageContainment } from '../../src/evaluate/containment.js';
import { HostGuard } from '../../src/evaluate/host-guard.js';
import { IntegrityGuard } from '../../src/evaluate/integrity.js';
import { MetricsFile } from '../../src/evaluate/metrics-file.js';
import { tune } from '../../src/operators/tune/tune.js';
import { changeHash } from '../../src/propose/patch-hash.js';
import { openStore, Store } from '../../src/store/store.js';
import { Workspace } from '../../src/workspace/workspace.js';
import { PhaseClock } from './phases.js';

const { values: args } = parseArgs({
  options: {
    candidates: { type: 'string', default: '200' },
    sizes: { type: 'string', default: '0,5000' },
    parallel: { type: 'string', default: '1,4' },
  },
});
const N = Number(args.candidates);
const SIZES = args.sizes.split(',').map(Number);
const PARALLEL = args.parallel.split(',').map(Number);

const PARAMS = `# EVOLVE-BLOCK-START
A=1.5 # evoloop: 0..10
B=2.0 # evoloop: 0..10
N=3 # evoloop: 0..20
# EVOLVE-BLOCK-END
`;
const VERIFIER = `. ./params.sh
awk -v a="$A" -v b="$B" -v n="$N" 'BEGIN { printf "METRIC score=%.6f\\n", 100 - (a-4)^2 - (b-1)^2 - (n-8)^2 }'
`;

const config = (parallel: number): ConfigInput =>
  defineConfig({
    edit: ['params.sh'],
    protect: ['verifier/**'],
    verifier: { stages: [{ name: 'score', kind: 'score', run: 'sh verifier/score.sh', timeout: '30s' }] },
    objective: { metric: 'score', goal: 'maximize' },
    search: { strategy: 'greedy', parallel },
    operators: { tune: 1 }, // the cheapest proposer: what is measured is the loop around it
    accept: { rule: 'better', baseline_repeats: 1 },
    sandbox: 'off', // bubblewrap's own start-up is verifier time, not orchestration
  });

// ── phase profile: the steps of one candidate, each one's own time (phases.ts) ──
const clock = new PhaseClock();
const PHASE = {
  propose: 'propose (tune operator)',
  admission: 'admission (edit rules, diff, hash, dedupe)',
  commit: 'commit writing (objects + ref)',
  acquire: 'worktree acquire (reset to the base, proven)',
  materialize: 'worktree materialize',
  evaluate: 'evaluate (stage runs, verifier included)',
  cgroup: 'evaluate: cgroup made, limits written',
  containment: 'evaluate: containment open (disk baseline)',
  kill: 'evaluate: kill sweep after the exit',
  cleanup: 'evaluate: cgroup removed, limits read',
  guards: 'evaluate: integrity, host and worktree checks',
  metricsFile: 'evaluate: metrics file',
  storeWrite: 'store writes',
  storeRead: 'store reads',
  decision: 'decision (population.consider, racing)',
} as const;
clock.wrap(tune, 'propose', PHASE.propose);
clock.wrap(Workspace.prototype, 'acquire', PHASE.acquire);
clock.wrap(Workspace.prototype, 'materialize', PHASE.materialize);
clock.wrap(Workspace.prototype, 'commit', PHASE.commit);
clock.wrap(Evaluator.prototype, 'measure', PHASE.evaluate);
// Inside evaluate, what surrounds the stage's own process (the rest of evaluate is the spawn
// and the wait for it, and the scratch folder).
clock.wrap(StageCgroup, 'create', PHASE.cgroup);
clock.wrap(StageContainment, 'open', PHASE.containment);
clock.wrap(StageContainment.prototype, 'killAll', PHASE.kill);
for (const m of ['finish', 'close'] as const) clock.wrap(StageContainment.prototype, m, PHASE.cleanup);
for (const m of ['listing', 'changed'] as const) clock.wrap(IntegrityGuard.prototype, m, PHASE.guards);
clock.wrap(HostGuard.prototype, 'restore', PHASE.guards);
clock.wrap(Workspace.prototype, 'audit', PHASE.guards);
clock.wrap(MetricsFile, 'create', PHASE.metricsFile);
for (const m of ['read', 'remove'] as const) clock.wrap(MetricsFile.prototype, m, PHASE.metricsFile);
for (const m of ['insertCandidate', 'updateCandidate', 'addMeasurement', 'addEvent', 'updateRun', 'transaction'] as const)
  clock.wrap(Store.prototype, m, PHASE.storeWrite);
for (const m of ['getCandidate', 'measurements', 'findByChangeHash', 'candidateFiles', 'listCandidates', 'objectiveSamples', 'getRun'] as const)
  clock.wrap(Store.prototype, m, PHASE.storeRead);
// Admission and the population are closures and fields of the loop: wrapped when it starts.
const runLoop = Evolution.prototype.run;
Evolution.prototype.run = function (this: Evolution) {
  const d = (this as unknown as { d: EvolutionDeps }).d;
  d.admit = clock.wrapFn(d.admit, PHASE.admission);
  d.population.consider = clock.wrapFn(d.population.consider.bind(d.population), PHASE.decision);
  return runLoop.call(this);
};

// ── a problem in a temp repository ──
function makeProblem(): { dir: string; cleanup: () => void } {
  const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-bench-'));
  const dir = path.join(tmp, 'repo');
  mkdirSync(path.join(dir, 'verifier'), { recursive: true });
  writeFileSync(path.join(dir, 'params.sh'), PARAMS);
  writeFileSync(path.join(dir, 'verifier', 'score.sh'), VERIFIER);
  writeFileSync(path.join(dir, '.gitignore'), '.evoloop/\n');
  // A repository of realistic size around the problem: resets and trees scale with it.
  for (let i = 0; i < 200; i++) {
    mkdirSync(path.join(dir, 'src', `m${i % 20}`), { recursive: true });
    writeFileSync(path.join(dir, 'src', `m${i % 20}`, `f${i}.js`), `export const v${i} = ${i};\n`.repeat(50));
  }
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@l', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@l' };
  for (const a of [
    ['init', '-q'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'base'],
  ])
    execFileSync('git', a, { cwd: dir, env });
  return { dir, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

/** Fills the latest run of `dir` with `count` evaluated candidates, as a long run would have. */
async function seed(dir: string, count: number): Promise<void> {
  const store = openStore(dir);
  const run = store.latestRun()!;
  const ws = await Workspace.open({ problemDir: dir, baseCommit: run.baseCommit, poolSize: 0 });
  const parent = run.baselineId!;
  // One transaction per candidate, as the engine writes them.
  const insert = (i: number) =>
    store.transaction(() => {
      const files = { 'params.sh': PARAMS.replace('A=1.5', `A=${(i / count) * 10}`).replace('N=3', `N=${i % 21}`) };
      const c = store.insertCandidate({
        runId: run.id,
        parentId: parent,
        status: 'pending',
        operator: 'tune',
        description: `seed ${i}`,
        files,
        changeHash: changeHash(files),
        patch: `-A=1.5\n+A=${i}\n`,
      });
      const ref = `refs/evoloop/${run.id}/candidates/${c.id}`;
      const commitSha = ws.commit(files, run.baseCommit, `seed ${i}`, ref);
      store.addMeasurement(c.id, 0, {
        stage: 'score',
        kind: 'score',
        repeat: 0,
        seed: 1,
        ok: true,
        metrics: { score: -i },
        exitCode: 0,
        signal: null,
        durationMs: 3,
        stdoutTail: '',
        stderrTail: '',
      });
      store.updateCandidate(c.id, { status: 'rejected', commitSha, ref, score: -i, metrics: { score: -i }, finishedAt: Date.now(), evalMs: 3 });
      store.addEvent(run.id, 'proposed', c.id, { operator: 'tune' });
      store.addEvent(run.id, 'decided', c.id, { status: 'rejected' });
    });
  for (let i = 0; i < count; i++) insert(i);
  store.close();
}

interface Figures {
  perSecond: number;
  /** Per candidate outside the verifier's own run: median and p90 of the gaps between decisions (parallel 1), or the slot time (parallel > 1). */
  medianMs: number;
  p90Ms: number;
  meanMs: number;
  /** The verifier's own run: the same command spawned bare from this process (reference, see bareVerifier). */
  verifierMs: number;
  /** What the stages recorded as their duration (it includes evoloop's kill sweep after the exit). */
  recordedMs: number;
  /** CPU time of this process (user + system, child processes not counted) per candidate. */
  cpuMs: number;
}

/**
 * The verifier's own run as cheap as a process can run it: `/bin/sh -c <run>` spawned in the
 * problem folder by a fresh bare Node process (a fork costs in proportion to the forking
 * process's memory, so not from this one), waited for, `parallel` at a time. Per slot:
 * parallel × wall / runs. It is what any orchestrator pays for the verifier; everything above
 * is evoloop's.
 */
async function bareVerifier(dir: string, parallel: number, runs: number): Promise<{ medianMs: number; slotMs: number }> {
  const script = `
    const { spawn } = require('node:child_process');
    const one = () => new Promise((done, fail) => {
      const t0 = performance.now();
      const child = spawn('/bin/sh', ['-c', 'sh verifier/score.sh'], { cwd: ${JSON.stringify(dir)}, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.resume();
      child.stderr.resume();
      child.on('error', fail);
      child.on('close', () => done(performance.now() - t0));
    });
    (async () => {
      for (let i = 0; i < 5; i++) await one(); // warm-up
      const times = [];
      const t0 = performance.now();
      await Promise.all(Array.from({ length: ${parallel} }, async () => { while (times.length < ${runs}) times.push(await one()); }));
      console.log(JSON.stringify({ times, wallMs: performance.now() - t0 }));
    })();`;
  const out = execFileSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, encoding: 'utf8' });
  const { times, wallMs } = JSON.parse(out) as { times: number[]; wallMs: number };
  return { medianMs: quantile(times, 0.5), slotMs: (parallel * wallMs) / times.length };
}

/** Runs `count` more candidates in dir's run (resuming it if there is one) and measures them. */
async function measure(dir: string, parallel: number, count: number, alreadyInRun: number, reference: { medianMs: number; slotMs: number }): Promise<Figures> {
  const decidedAt = new Map<number, number>();
  let started = 0;
  let cpu = process.cpuUsage();
  const begin = () => {
    started = performance.now();
    cpu = process.cpuUsage();
    clock.reset();
  };
  const handle = runEvolution({
    problemDir: dir,
    config: config(parallel),
    maxCandidates: alreadyInRun + count,
    llm: { env: {} },
    onEvent: (e) => {
      if (e.type === 'baseline') begin();
      if (e.type === 'run-start' && alreadyInRun > 0) begin();
      if (e.type === 'decided') decidedAt.set(e.candidateId, performance.now());
    },
  });
  const summary = await handle.done;
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const store = openStore(dir);
  const recorded = [...decidedAt.keys()].map((id) => store.measurements(id).reduce((s, m) => s + m.durationMs, 0));
  store.close();
  if (summary.candidates !== alreadyInRun + count) throw new Error(`expected ${alreadyInRun + count} candidates, got ${summary.candidates}`);

  const order = [...decidedAt.values()].sort((a, b) => a - b);
  let perCandidate: number[];
  if (parallel === 1) perCandidate = order.slice(1).map((t, i) => t - order[i] - reference.medianMs);
  else perCandidate = [(parallel * wall) / count - reference.slotMs];
  return {
    perSecond: (count * 1000) / wall,
    medianMs: quantile(perCandidate, 0.5),
    p90Ms: quantile(perCandidate, 0.9),
    meanMs: parallel === 1 ? wall / count - reference.medianMs : perCandidate[0],
    verifierMs: parallel === 1 ? reference.medianMs : reference.slotMs,
    recordedMs: recorded.reduce((s, v) => s + v, 0) / recorded.length,
    cpuMs: (used.user + used.system) / 1000 / count,
  };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const ms = (v: number) => v.toFixed(2).padStart(8);

/** Each phase's own time per candidate and its share of the time outside the verifier (parallel 1). */
function shares(count: number, verifierMs: number): string {
  const per = new Map([...clock.exclusive].map(([label, total]) => [label, total / count]));
  const evaluate = per.get(PHASE.evaluate) ?? 0;
  per.delete(PHASE.evaluate);
  per.set("evaluate: spawn, wait, scratch (outside the verifier's own run)", evaluate - verifierMs);
  const outside = [...per.values()].reduce((s, v) => s + v, 0);
  return [...per]
    .sort((a, b) => b[1] - a[1])
    .map(([label, v]) => `    ${label.padEnd(48)} ${ms(v)} ms/candidate  ${((100 * v) / outside).toFixed(1).padStart(5)} %`)
    .concat(`    ${'total outside the verifier (mean)'.padEnd(48)} ${ms(outside)} ms/candidate`)
    .join('\n');
}

/** Wall time per call of each step (they overlap when several candidates are in flight). */
function perCall(): string {
  return [...clock.calls]
    .map(([label, times]) => ({ label, n: times.length, total: times.reduce((s, t) => s + t, 0) }))
    .sort((a, b) => b.total - a.total)
    .map((p) => `    ${p.label.padEnd(48)} ${String(p.n).padStart(6)} calls ${ms(p.total / p.n)} ms/call`)
    .join('\n');
}

const rows: string[] = [];
for (const parallel of PARALLEL) {
  for (const size of SIZES) {
    const { dir, cleanup } = makeProblem();
    try {
      if (size > 0) {
        // A run with its baseline, stopped at once, then filled with `size` candidates.
        const h = runEvolution({
          problemDir: dir,
          config: config(parallel),
          maxCandidates: 1,
          llm: { env: {} },
          onEvent: (e) => e.type === 'baseline' && h.stop(),
        });
        await h.done;
        const t0 = performance.now();
        await seed(dir, size - 1);
        process.stdout.write(`seeded ${size} candidates in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      }
      const reference = await bareVerifier(dir, parallel, 60);
      const f = await measure(dir, parallel, N, size, reference);
      const label = `parallel ${parallel}, candidates ${size + 1}..${size + N}`;
      const overhead =
        parallel === 1
          ? `overhead ${ms(f.medianMs)} ms/candidate (median; p90 ${f.p90Ms.toFixed(2)}, mean ${f.meanMs.toFixed(2)})`
          : `overhead ${ms(f.medianMs)} ms/slot (slot time outside the verifier)`;
      rows.push(
        `${label.padEnd(36)} ${f.perSecond.toFixed(1).padStart(6)} cand/s   ${overhead}   cpu ${f.cpuMs.toFixed(2)} ms/candidate   verifier ${f.verifierMs.toFixed(2)} ms (recorded ${f.recordedMs.toFixed(1)})`,
      );
      process.stdout.write(`${rows.at(-1)}\n`);
      if (parallel === 1) process.stdout.write(`  phases (own wall time per candidate, share of the time outside the verifier):\n${shares(N, f.verifierMs)}\n`);
      process.stdout.write(`  per call (wall; steps overlap at parallel > 1):\n${perCall()}\n`);
    } finally {
      cleanup();
    }
  }
}
process.stdout.write(
  `\nsummary (targets: <= 3 ms per candidate at parallel 1, flat as the run grows; <= 5 ms slot time outside the verifier at parallel 4)\n${rows.join('\n')}\n`,
);
