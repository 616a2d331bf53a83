// Which worker may take which job: a stage that requires a label runs only on a worker that
// has it, and a worker whose verifier differs from the coordinator's refuses the run.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProblem, defaultConfig, type Problem } from '../support/problem.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { cloneProblem, spawnWorker, type WorkerProcess } from '../support/workers.js';

let p: Problem | undefined;
let redis: RedisServer | undefined;
const workers: WorkerProcess[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) w.kill();
  await redis?.cleanup();
  p?.cleanup();
});

/** The score stage, logging the folder it ran in (which worker's clone). */
const SCORE = `#!/bin/sh
echo "start $EVOLOOP_CANDIDATE $EVOLOOP_STAGE $EVOLOOP_REPEAT $PWD" >> '{tmp}/verifier.log'
sleep 0.5
node --input-type=module -e "
import { params } from './program.mjs';
const { a, b, n } = params();
console.log(JSON.stringify({ score: 100 - (a - 4) ** 2 - (b - 1) ** 2 - (n - 8) ** 2 }));
"
echo "end $EVOLOOP_CANDIDATE $EVOLOOP_STAGE $EVOLOOP_REPEAT $PWD" >> '{tmp}/verifier.log'
`;

describe('job routing', () => {
  it('a stage that requires a label runs only on a worker with it; a worker with another verifier refuses the run; Ctrl-C stops a worker', async () => {
    redis = await startRedisServer();
    const score = { name: 'score', kind: 'score', run: 'sh verifier/score.sh', timeout: '30s', requires: ['gpu'] };
    p = createProblem({ config: { verifier: { stages: [score] }, budget: { candidates: 3 } }, files: { 'verifier/score.sh': SCORE } });
    const otherDir = cloneProblem(p, 'other-verifier');
    // The same commit, but this clone's evoloop.yaml gives the stage another timeout: another verifier.
    const yaml = (await import('yaml')).stringify({ ...defaultConfig(), verifier: { stages: [{ ...score, timeout: '31s' }] }, budget: { candidates: 3 } });
    writeFileSync(path.join(otherDir, 'evoloop.yaml'), yaml);
    const other = spawnWorker(otherDir, redis.url, ['--labels', 'gpu']);
    const plain = spawnWorker(cloneProblem(p, 'plain'), redis.url);
    const gpu = spawnWorker(cloneProblem(p, 'gpu'), redis.url, ['--labels', 'gpu,fpga']);
    workers.push(other, plain, gpu);
    await Promise.all(workers.map((w) => w.waitFor(/no coordinator is waiting/)));
    const run = await p.cli('run', '{dir}', '--redis', redis.url);
    expect(run.code, run.stderr).toBe(0);
    await other.waitFor(
      /refusing run \S+ of the coordinator on \S+: run \S+ measures with verifier \w+, but this clone's is \w+ .*Fix: use the coordinator's evoloop\.yaml/,
    );
    const ran = p.log().filter((l) => l[0] === 'start');
    expect(ran.length).toBeGreaterThanOrEqual(4); // baseline and three candidates
    for (const line of ran) expect(line[4]).toContain(`${path.sep}gpu${path.sep}`);
    const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    const done = (w: WorkerProcess) => status.workers.find((x: { id: string }) => x.id === /worker (\S+): talking/.exec(w.output())![1]).jobsDone;
    expect(done(gpu)).toBe(ran.length);
    expect(done(plain)).toBe(0);
    expect(done(other)).toBe(0);
    gpu.kill('SIGINT');
    expect(await gpu.exited()).toBe(0);
    expect(gpu.output()).toMatch(/SIGINT: finishing the jobs in flight[\s\S]*worker stopped/);
  }, 60_000);
});
