// Shared by the gate and the score stage: run pack.mjs, parse its circles and
// check that they form a valid packing. Any problem ends the process with exit 1
// and a message on stderr that says exactly what is wrong.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const COUNT = 26;
export const TOLERANCE = 1e-9;
const PROGRAM_TIMEOUT_MS = 20_000;
const problemDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs `node pack.mjs` and returns its circles as [[x, y, r], ...], validated. */
export function loadPacking() {
  // The candidate's program gets no EVOLOOP_* variables: it must not write its own metrics.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('EVOLOOP_')));
  const run = spawnSync(process.execPath, ['pack.mjs'], {
    cwd: problemDir,
    env,
    encoding: 'utf8',
    timeout: PROGRAM_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.error?.code === 'ETIMEDOUT') reject(`pack.mjs did not finish within ${PROGRAM_TIMEOUT_MS / 1000} s`);
  if (run.error) reject(`could not run pack.mjs: ${run.error.message}`);
  if (run.status !== 0) {
    reject(`pack.mjs exited with ${run.status ?? run.signal}:\n${tail(run.stderr)}`);
  }
  const lines = run.stdout.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) reject('pack.mjs printed nothing; it must print its circles as JSON [[x, y, r], ...] on the last line');
  let circles;
  try {
    circles = JSON.parse(lines[lines.length - 1]);
  } catch (error) {
    reject(`the last line pack.mjs printed is not JSON (${error.message}): ${clip(lines[lines.length - 1])}`);
  }
  validate(circles);
  return circles;
}

/** Rejects anything but COUNT finite, non-negative circles inside the unit square that do not overlap. */
export function validate(circles) {
  if (!Array.isArray(circles)) reject(`expected a JSON array of circles [[x, y, r], ...], got ${clip(JSON.stringify(circles))}`);
  if (circles.length !== COUNT) reject(`expected exactly ${COUNT} circles, got ${circles.length}`);
  circles.forEach((circle, i) => {
    if (!Array.isArray(circle) || circle.length !== 3) {
      reject(`circle ${i}: expected [x, y, r], got ${clip(JSON.stringify(circle))}`);
    }
    circle.forEach((value, k) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        const hint = value === null ? ' (NaN and Infinity print as null in JSON)' : '';
        reject(`circle ${i}: ${'xyr'[k]} is ${JSON.stringify(value)}, not a finite number${hint}`);
      }
    });
    const [x, y, r] = circle;
    if (r < 0) reject(`circle ${i}: negative radius ${r}`);
    const outside = Math.max(r - x, r - y, x + r - 1, y + r - 1);
    if (outside > TOLERANCE) {
      reject(`circle ${i} (x=${x}, y=${y}, r=${r}) sticks out of the unit square by ${outside.toExponential(3)}`);
    }
  });
  for (let i = 0; i < circles.length; i++) {
    for (let j = i + 1; j < circles.length; j++) {
      const [xi, yi, ri] = circles[i];
      const [xj, yj, rj] = circles[j];
      const overlap = ri + rj - Math.hypot(xi - xj, yi - yj);
      if (overlap > TOLERANCE) {
        reject(`circles ${i} and ${j} overlap by ${overlap.toExponential(3)} (centres (${xi}, ${yi}) and (${xj}, ${yj}), radii ${ri} and ${rj})`);
      }
    }
  }
}

export function reject(message) {
  console.error(`invalid packing: ${message}`);
  process.exit(1);
}

const clip = (text) => (String(text).length > 200 ? `${String(text).slice(0, 200)}...` : String(text));
const tail = (text) => String(text).trim().split('\n').slice(-10).join('\n');
