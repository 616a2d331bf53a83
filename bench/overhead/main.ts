// Orchestration overhead of the core loop: what evoloop itself costs per candidate
// (proposing, materializing in a pooled worktree, committing, recording), apart from
// the verifier's own run time. A trivial verifier (sh + awk printing one METRIC line)
// and the offline `tune` operator, in a temp git repository, through the library.
//
//   npx tsx bench/overhead/main.ts [--candidates 100] [--seed-size 5000]
//
// Measured at parallel 1 and 4, in a fresh run (candidates 1..N) and in a run that
// already holds `--seed-size` candidates (seeded straight into the store and the git
// refs, as a long run leaves them), to see whether the cost grows with the run.
// Per candidate at parallel 1: the time between two decisions minus the verifier's
// recorded duration (median, p90). At parallel 4 the candidates overlap, so the figure
// is the slot time not spent in the verifier: 4 × wall / N − mean verifier time.
// A phase profile (wall ms per call of each wrapped step) says where the time goes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defineConfig, runEvolution, type ConfigInput } from '../../src/index.js';
import { Evaluator } from '../../src/evaluate/evaluator.js';
import { tune } from '../../src/operators/tune/tune.js';
import { changeHash } from '../../src/propose/patch-hash.js';
import { openStore, Store } from '../../src/store/store.js';
import { Workspace } from '../../src/workspace/workspace.js';

const { values: args } = parseArgs({ options: { candidates: { type: 'string', default: '100' }, 'seed-size': { type: 'string', default: '5000' } } });
const N = Number(args.candidates);
const SEED = Number(args['seed-size']);

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
    accept: { rule: 'better', baseline_repeats: 1 },
    sandbox: 'off', // bubblewrap's own start-up is verifier time, not orchestration
  });

// ── phase profile: wrap the steps of one candidate and add up their wall time ──
const phases = new Map<string, number[]>();
function wrap<T extends object>(target: T, name: keyof T & string, label: string): void {
  const original = target[name] as unknown as (...a: unknown[]) => unknown;
  (target as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]) {
    const t0 = performance.now();
    const done = () => (phases.get(label) ?? phases.set(label, []).get(label)!).push(performance.now() - t0);
    const out = original.apply(this, a);
    if (out instanceof Promise) return out.finally(done);
    done();
    return out;
  };
}
wrap(tune, 'propose', 'propose (tune)');
wrap(Workspace.prototype, 'acquire', 'acquire worktree (put exactly at the base)');
wrap(Workspace.prototype, 'materialize', 'materialize files');
wrap(Workspace.prototype, 'commit', 'commit (loose objects + ref)');
wrap(Workspace.prototype, 'readBase', 'read base file');
wrap(Evaluator.prototype, 'measure', 'evaluate (includes the verifier run)');
for (const m of [
  'insertCandidate',
  'updateCandidate',
  'addMeasurement',
  'measurements',
  'addEvent',
  'getCandidate',
  'findByChangeHash',
  'updateRun',
] as const) {
  wrap(Store.prototype, m, `store.${m}`);
}

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
  medianMs: number;
  p90Ms: number;
  verifierMs: number;
}

/** Runs `count` more candidates in dir's run (resuming it if there is one) and measures them. */
async function measure(dir: string, parallel: number, count: number, alreadyInRun: number): Promise<Figures> {
  phases.clear();
  const decidedAt = new Map<number, number>();
  let started = 0;
  const handle = runEvolution({
    problemDir: dir,
    config: config(parallel),
    maxCandidates: alreadyInRun + count,
    llm: { env: {} },
    onEvent: (e) => {
      if (e.type === 'baseline') started = performance.now();
      if (e.type === 'run-start' && alreadyInRun > 0) started = performance.now();
      if (e.type === 'decided') decidedAt.set(e.candidateId, performance.now());
    },
  });
  const summary = await handle.done;
  const wall = performance.now() - started;
  const store = openStore(dir);
  const verifier = new Map<number, number>();
  for (const id of decidedAt.keys())
    verifier.set(
      id,
      store.measurements(id).reduce((s, m) => s + m.durationMs, 0),
    );
  store.close();
  if (summary.candidates !== alreadyInRun + count) throw new Error(`expected ${alreadyInRun + count} candidates, got ${summary.candidates}`);

  const order = [...decidedAt.entries()].sort((a, b) => a[1] - b[1]);
  const verifierMean = [...verifier.values()].reduce((s, v) => s + v, 0) / verifier.size;
  let perCandidate: number[];
  if (parallel === 1) {
    perCandidate = order.slice(1).map(([id, t], i) => t - order[i][1] - verifier.get(id)!);
  } else {
    perCandidate = [(parallel * wall) / count - verifierMean];
  }
  return { perSecond: (count * 1000) / wall, medianMs: quantile(perCandidate, 0.5), p90Ms: quantile(perCandidate, 0.9), verifierMs: verifierMean };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function profile(count: number): string {
  return [...phases.entries()]
    .map(([label, times]) => ({ label, calls: times.length, total: times.reduce((s, t) => s + t, 0) }))
    .sort((a, b) => b.total - a.total)
    .map(
      (p) =>
        `    ${p.label.padEnd(50)} ${String(p.calls).padStart(5)} calls  ${(p.total / p.calls).toFixed(3).padStart(8)} ms/call  ${(p.total / count).toFixed(3).padStart(8)} ms/candidate`,
    )
    .join('\n');
}

const rows: string[] = [];
for (const parallel of [1, 4]) {
  for (const size of [0, SEED]) {
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
      const f = await measure(dir, parallel, N, size);
      const label = `parallel ${parallel}, candidates ${size + 1}..${size + N}`;
      rows.push(
        `${label.padEnd(36)} ${f.perSecond.toFixed(1).padStart(6)} cand/s   overhead ${f.medianMs.toFixed(1).padStart(6)} ms/candidate${parallel === 1 ? ` (median; p90 ${f.p90Ms.toFixed(1)})` : ' (slot time outside the verifier)'}   verifier ${f.verifierMs.toFixed(1)} ms`,
      );
      process.stdout.write(`${rows.at(-1)}\n  profile (wall time per step; steps overlap at parallel > 1):\n${profile(N)}\n`);
    } finally {
      cleanup();
    }
  }
}
process.stdout.write(`\nsummary (target: < 10 ms per candidate, flat as the run grows)\n${rows.join('\n')}\n`);
