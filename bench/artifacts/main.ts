// Artifacts benchmark: what keeping a stage's artifacts costs per stage run, and what
// content-addressing saves. Each of N stage runs leaves a picture (30 KB; a new one every
// 10th run, as when most children do not change the output), a log that differs every run
// (2 KB) and a fixed report (8 KB); each run is collected from its folder and recorded in
// one transaction, as the evaluator and the recorder do. Prints the median and p95 time per
// stage run, and the bytes stored against the bytes written.
//   npx tsx bench/artifacts/main.ts [--n 2000]
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collectArtifacts } from '../../src/evaluate/artifacts.js';
import { openStore } from '../../src/store/store.js';
import { TEST_RUN } from '../../test/support/test-run.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('n', 2000);
const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-bench-artifacts-'));
try {
  const store = openStore(dir);
  store.createRun(TEST_RUN);
  const stage = path.join(dir, 'stage');
  const picture = (k: number) => `<svg xmlns="http://www.w3.org/2000/svg">${`<circle r="${k}"/>`.repeat(1500)}</svg>`.slice(0, 30_000);
  const report = 'r'.repeat(8_000);
  const times: number[] = [];
  let written = 0;
  for (let i = 0; i < N; i++) {
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(stage);
    const files = { 'picture.svg': picture(Math.floor(i / 10)), 'run.log': `run ${i}\n`.padEnd(2_000, '.'), 'report.txt': report };
    for (const [name, text] of Object.entries(files)) (writeFileSync(path.join(stage, name), text), (written += text.length));
    const c = store.insertCandidate({
      runId: TEST_RUN.id,
      parentId: null,
      status: 'pending',
      operator: 'b',
      description: '',
      changeHash: String(i),
      patch: '',
      files: {},
    });
    const t = performance.now();
    const collected = collectArtifacts(stage, 16 * 1024 * 1024);
    store.transaction(() => store.artifacts.add(c.id, 0, { stage: 'score', kind: 'score', repeat: 0 }, collected, 1024 * 1024 * 1024));
    times.push(performance.now() - t);
  }
  const objects = readdirSync(store.artifacts.dir).flatMap((d) =>
    readdirSync(path.join(store.artifacts.dir, d)).map((f) => path.join(store.artifacts.dir, d, f)),
  );
  const stored = objects.reduce((s, f) => s + statSync(f).size, 0);
  store.close();
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
  console.log(`${N} stage runs, 3 artifacts each (${(written / 1e6).toFixed(1)} MB written by the stages)`);
  console.log(`collect + record per stage run: median ${q(0.5)} ms, p95 ${q(0.95)} ms`);
  console.log(`stored: ${objects.length} objects, ${(stored / 1e6).toFixed(1)} MB (${((100 * stored) / written).toFixed(1)}% of what was written)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
