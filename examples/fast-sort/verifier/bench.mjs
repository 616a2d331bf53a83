// Score stage: how long the candidate's sort takes on seeded workloads, timed from outside.
// Prints {"ms": <wall time of the timed child / rounds>} as its last stdout line.
// The candidate's code runs only in a child process (bench-child.mjs) with a clean
// environment: it cannot print this stage's report, rewrite its stdout or write its
// metrics (evoloop audit showed that an in-process candidate could do all three).
// Each round sorts fresh arrays (seed × 1000 + round), so results cannot be reused across
// rounds; every round's checksum is compared with the built-in sort's, after the clock stops.
// Real wall-clock timing, so it is noisy: evoloop repeats it (repeat: 3, a new
// EVOLOOP_SEED each time) and accepts only significant gains.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchWorkload, checksum, seedFromEnv } from './workload.mjs';

const ROUNDS = 5;
const TIMEOUT_MS = 25_000;

const seed = seedFromEnv();
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('EVOLOOP_')));
const child = fileURLToPath(new URL('./bench-child.mjs', import.meta.url));
const args = [child, String(seed), String(ROUNDS), ...(process.env.EVOLOOP_ARTIFACTS ? [process.env.EVOLOOP_ARTIFACTS] : [])];

const started = performance.now();
let elapsed = 0;
const lines = await new Promise((resolve) => {
  const p = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'], timeout: TIMEOUT_MS });
  let out = '';
  p.stdout.on('data', (d) => {
    out += d;
    // The clock stops at the last round's checksum (the plot that follows is not timed).
    if (elapsed === 0 && out.split('\n').length > ROUNDS) elapsed = performance.now() - started;
  });
  p.on('close', (code, signal) => {
    if (code !== 0) fail(`the timed run exited with ${code ?? signal}`);
    resolve(out.split('\n').filter(Boolean));
  });
});
if (lines.length < ROUNDS) fail(`the timed run printed ${lines.length} of ${ROUNDS} round checksums`);
for (let round = 0; round < ROUNDS; round++) {
  const arrays = benchWorkload(seed * 1000 + round).map((a) => a.sort((x, y) => x - y));
  if (lines[round] !== checksum(arrays)) fail(`round ${round}: the arrays are not sorted correctly (checksum ${lines[round]})`);
}
const ms = elapsed / ROUNDS;
console.log(JSON.stringify({ ms: Number(ms.toFixed(3)), feedback: `${ms.toFixed(2)} ms per round over ${ROUNDS} rounds, timed from outside (node start-up included)` }));

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}
