// Distributed evaluation's scaling and the queue's own cost: an evaluator-bound load (the
// verifier sleeps 1 s) measured by 1, 2, 4 and 8 `evoloop worker` processes on this machine,
// each in its own clone, through a real redis-server and the redis backend (the coordinator's
// code path of `evoloop run --redis`).
//
//   npx tsx bench/distributed/main.ts [--jobs-per-worker 4] [--overhead-jobs 20]
//
// Throughput: jobs / wall time for a batch of jobs-per-worker × N jobs submitted at once.
// Scaling efficiency: throughput(N) / (N × throughput(1)), and against the ideal N jobs/s; the
// CPU each job cost the workers (with their stages) and the coordinator shows what bounds it. Per job, with one idle worker and
// one job at a time, the round trip (submit → result in the coordinator) splits by the job's
// own timestamps in Redis into: the queue's overhead (submit → a worker picks it up, plus the
// worker's return → the coordinator has the result), the worker's own work around the stage
// (materialize, integrity checks, reporting: pickup → return minus the stage), and the stage.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { quantile } from 'simple-statistics';
import { loadConfigFile } from '../../src/config/load.js';
import type { CandidateSpec } from '../../src/evaluate/backend.js';
import { baseProtectedFiles } from '../../src/evaluate/backends/local.js';
import { RedisBackend } from '../../src/evaluate/backends/redis.js';
import { jobId, PREFIX, queueName } from '../../src/distributed/protocol.js';
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
          const child = spawn(
            process.execPath,
            [...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/distprof'] : []), CLI, 'worker', dir, '--redis', redis.url],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
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

/** CPU ms a process and the children it reaped (its stages) used so far. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / 100; // utime stime cutime cstime, in 1/100 s
}
const coordinatorCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const rows: { workers: number; jobs: number; wallS: number; perS: number; workerCpu: number; coordinatorCpu: number }[] = [];
for (const n of COUNTS) {
  const children = await startWorkers(n);
  const jobs = Array.from({ length: n * PER_WORKER }, spec);
  const cpu0 = children.map((c) => cpuMs(c.pid!));
  const coordinator0 = coordinatorCpuMs();
  const t0 = performance.now();
  const results = await Promise.all(jobs.map((s) => backend.measure(s, { kinds: 'search', repeats: 1 })));
  const wallS = (performance.now() - t0) / 1000;
  const workerCpu = children.reduce((sum, c, i) => sum + cpuMs(c.pid!) - cpu0[i], 0) / jobs.length;
  const coordinatorCpu = (coordinatorCpuMs() - coordinator0) / jobs.length;
  if (results.some((r) => !r.ok)) throw new Error(`a job failed: ${JSON.stringify(results.find((r) => !r.ok))}`);
  rows.push({ workers: n, jobs: jobs.length, wallS, perS: jobs.length / wallS, workerCpu, coordinatorCpu });
  await stopWorkers(children);
}

// The queue's own cost: one idle worker, one job at a time.
const jobs = new Queue(queueName([]), { connection: { host: '127.0.0.1', port: redis.port }, prefix: PREFIX });
const children = await startWorkers(1);
const split = { roundTrip: [] as number[], queue: [] as number[], pickup: [] as number[], back: [] as number[], worker: [] as number[], stage: [] as number[] };
for (let i = 0; i < OVERHEAD_JOBS; i++) {
  const s = spec();
  const t0 = Date.now();
  await backend.measure(s, { kinds: 'search', repeats: 1 });
  const t1 = Date.now();
  const job = (await jobs.getJob(jobId({ runId: run.id, candidateId: s.candidateId, epoch: 0, kinds: 'search', repeats: 1 })))!;
  const [m] = store.measurements(s.candidateId);
  split.roundTrip.push(t1 - t0);
  split.pickup.push(job.processedOn! - t0);
  split.back.push(t1 - job.finishedOn!);
  split.queue.push(job.processedOn! - t0 + (t1 - job.finishedOn!));
  split.worker.push(job.finishedOn! - job.processedOn! - m.durationMs);
  split.stage.push(m.durationMs);
}
await jobs.close();
await stopWorkers(children);

const base = rows[0].perS;
console.log(`distributed evaluation on ${hostname()} (verifier: sleep 1 s; ${PER_WORKER} jobs per worker per batch)`);
console.log('workers  jobs  wall s  jobs/s  vs linear  vs ideal (N/s)  CPU ms/job: worker+stage  coordinator');
for (const r of rows) {
  const pct = (x: number) => `${(100 * x).toFixed(1).padStart(5)} %`;
  console.log(
    `${String(r.workers).padStart(7)}  ${String(r.jobs).padStart(4)}  ${r.wallS.toFixed(2).padStart(6)}  ${r.perS.toFixed(2).padStart(6)}  ${pct(r.perS / (r.workers * base))}    ${pct(r.perS / r.workers)}      ${r.workerCpu.toFixed(0).padStart(18)}  ${r.coordinatorCpu.toFixed(0).padStart(11)}`,
  );
}
const ms = (xs: number[]) => `median ${quantile(xs, 0.5).toFixed(1)} ms, p90 ${quantile(xs, 0.9).toFixed(1)} ms`;
console.log(`per job (${OVERHEAD_JOBS} jobs one at a time, one idle worker):`);
console.log(`  queue overhead (submit → pickup + return → result):  ${ms(split.queue)}`);
console.log(`    submit → pickup by the worker:                     ${ms(split.pickup)}`);
console.log(`    worker's return → result in the coordinator:       ${ms(split.back)}`);
console.log(`  worker around the stage (materialize, checks, report): ${ms(split.worker)}`);
console.log(`  stage (sleep 1):                                     ${ms(split.stage)}`);
console.log(`  round trip:                                          ${ms(split.roundTrip)}`);
await backend.close();
store.close();
await redis.cleanup();
p.cleanup();
