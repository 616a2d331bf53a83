// Distributed evaluation's scaling and the queue's own cost: an evaluator-bound load (the
// verifier sleeps 1 s) measured by 1, 2, 4 and 8 `evoloop worker` processes on this machine,
// each in its own clone, through a real redis-server and the redis backend (the coordinator's
// code path of `evoloop run --redis`).
//
//   npx tsx bench/distributed/main.ts [--jobs-per-worker 4] [--overhead-jobs 20]
//
// Throughput: jobs / wall time for a batch of jobs-per-worker × N jobs submitted at once.
// Scaling efficiency: throughput(N) / (N × throughput(1)). Queue overhead per job: with one
// idle worker and one job at a time, the coordinator's round trip (submit → result recorded)
// minus the stage's own recorded duration (median, p90): enqueue, the worker's fetch,
// materialize and report, and the result's way back.
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { quantile } from 'simple-statistics';
import { loadConfigFile } from '../../src/config/load.js';
import type { CandidateSpec } from '../../src/evaluate/backend.js';
import { baseProtectedFiles } from '../../src/evaluate/backends/local.js';
import { RedisBackend } from '../../src/evaluate/backends/redis.js';
import { openStore } from '../../src/store/store.js';
import { Workspace } from '../../src/workspace/workspace.js';
import { CLI, createProblem } from '../../test/support/problem.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import { cloneProblem } from '../../test/support/workers.js';

const { values } = parseArgs({ options: { 'jobs-per-worker': { type: 'string', default: '4' }, 'overhead-jobs': { type: 'string', default: '20' } } });
const PER_WORKER = Number(values['jobs-per-worker']);
const OVERHEAD_JOBS = Number(values['overhead-jobs']);
const COUNTS = [1, 2, 4, 8];

const redis = await startRedisServer();
const p = createProblem({
  files: { 'verifier/score.sh': '#!/bin/sh\nsleep 1\necho \'{"score": 1}\'\n' },
  config: { verifier: { stages: [{ name: 'score', kind: 'score', run: 'sh verifier/score.sh', timeout: '30s' }] } },
});
const clones = COUNTS.at(-1)!;
const dirs = Array.from({ length: clones }, (_, i) => cloneProblem(p, `worker-${i}`));
const store = openStore(p.dir);
const baseCommit = p.git('rev-parse', 'HEAD');
const run = store.createRun({
  id: 'bench',
  problemDir: p.dir,
  repoRoot: p.repo,
  baseCommit,
  configJson: '{}',
  configHash: 'h',
  status: 'running',
  ownerPid: process.pid,
});
const config = loadConfigFile(path.join(p.dir, 'evoloop.yaml'));
const workspace = await Workspace.open({ problemDir: p.dir, baseCommit, poolSize: 2 });
const rules = { edit: config.edit, protect: config.protect, alwaysProtected: ['evoloop.yaml'] };
const backend = new RedisBackend({
  config,
  runId: run.id,
  store,
  workspace,
  signal: new AbortController().signal,
  protectedFiles: await baseProtectedFiles(workspace, rules),
  redis: { url: redis.url, localSlots: 0 },
});

function startWorkers(n: number): Promise<ChildProcess[]> {
  return Promise.all(
    dirs.slice(0, n).map(
      (dir) =>
        new Promise<ChildProcess>((resolve, reject) => {
          const child = spawn(process.execPath, [CLI, 'worker', dir, '--redis', redis.url], { stdio: ['ignore', 'ignore', 'pipe'] });
          let out = '';
          child.stderr!.on('data', (d) => {
            out += d;
            if (/serving run/.test(out)) resolve(child);
          });
          child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)));
        }),
    ),
  );
}

async function stopWorkers(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => new Promise((r) => (c.removeAllListeners('exit'), c.once('exit', r), c.kill('SIGINT')))));
}

const spec = (): CandidateSpec => {
  const c = store.insertCandidate({
    runId: run.id,
    parentId: null,
    status: 'pending',
    operator: 'bench',
    description: '',
    changeHash: String(Math.random()),
    patch: '',
    files: {},
  });
  return { runId: run.id, candidateId: c.id, baseCommit, commitSha: baseCommit, files: {}, verifierDigest: backend.verifierDigest };
};

const rows: { workers: number; jobs: number; wallS: number; perS: number }[] = [];
for (const n of COUNTS) {
  const children = await startWorkers(n);
  const jobs = Array.from({ length: n * PER_WORKER }, spec);
  const t0 = performance.now();
  const results = await Promise.all(jobs.map((s) => backend.measure(s, { kinds: 'search', repeats: 1 })));
  const wallS = (performance.now() - t0) / 1000;
  if (results.some((r) => !r.ok)) throw new Error(`a job failed: ${JSON.stringify(results.find((r) => !r.ok))}`);
  rows.push({ workers: n, jobs: jobs.length, wallS, perS: jobs.length / wallS });
  await stopWorkers(children);
}

// The queue's own cost: one idle worker, one job at a time.
const children = await startWorkers(1);
const overheads: number[] = [];
for (let i = 0; i < OVERHEAD_JOBS; i++) {
  const s = spec();
  const t0 = performance.now();
  await backend.measure(s, { kinds: 'search', repeats: 1 });
  const roundTrip = performance.now() - t0;
  const [m] = store.measurements(s.candidateId);
  overheads.push(roundTrip - m.durationMs);
}
await stopWorkers(children);

const base = rows[0].perS;
console.log(`distributed evaluation on ${hostname()} (verifier: sleep 1 s; ${PER_WORKER} jobs per worker per batch)`);
console.log('workers  jobs  wall s  jobs/s  efficiency vs linear');
for (const r of rows) {
  console.log(
    `${String(r.workers).padStart(7)}  ${String(r.jobs).padStart(4)}  ${r.wallS.toFixed(2).padStart(6)}  ${r.perS.toFixed(2).padStart(6)}  ${((100 * r.perS) / (r.workers * base)).toFixed(1).padStart(5)} %`,
  );
}
console.log(
  `queue overhead per job (round trip − stage duration, ${OVERHEAD_JOBS} jobs, one idle worker): median ${quantile(overheads, 0.5).toFixed(1)} ms, p90 ${quantile(overheads, 0.9).toFixed(1)} ms`,
);
await backend.close();
store.close();
await redis.cleanup();
p.cleanup();
