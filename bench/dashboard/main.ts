// Dashboard benchmark: a store with 100,000 candidates; time to first render of the
// progress view and of the candidate table — server time per API call and page load in
// Chromium (median of several runs). Targets: under 1 s at 1,000 candidates, 1.5 s at 100,000.
//   npm run build && npx tsx bench/dashboard/main.ts [--n 100000] [--runs 7]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startDashboard } from '../../src/dashboard/server.js';
import { seedStore } from './seed.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('n', 100_000);
const RUNS = arg('runs', 7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ms = (x: number) => `${x.toFixed(0)} ms`;

const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-bench-dash-'));
try {
  let t = performance.now();
  seedStore(dir, { n: N, acceptEvery: 500 });
  console.log(`seeded ${N.toLocaleString('en-US')} candidates (+ model calls) in ${ms(performance.now() - t)}`);
  const server = await startDashboard({ problemDir: dir, port: 0 });

  console.log(`\nserver (loopback fetch incl. JSON transfer), median of ${RUNS}:`);
  const calls: [string, string][] = [
    ['summary', 'api/summary'],
    ['progress (all points)', 'api/progress'],
    ['candidates page 1', 'api/candidates?limit=50'],
    ['candidates, status filter + score sort', 'api/candidates?status=rejected&sort=score&dir=desc&limit=50'],
    ['candidates, page 1000', 'api/candidates?limit=50&offset=50000'],
    ['facets', 'api/facets'],
    ['lineage', 'api/lineage'],
    ['spend', 'api/spend'],
  ];
  for (const [label, p] of calls) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      t = performance.now();
      bytes = (await (await fetch(new URL(p, server.url))).arrayBuffer()).byteLength;
      times.push(performance.now() - t);
    }
    console.log(`  ${label.padEnd(40)} ${ms(median(times)).padStart(8)}   (${(bytes / 1024).toFixed(0)} KiB)`);
  }

  const executablePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
  const progress: number[] = [];
  const table: number[] = [];
  // The same moment seen from inside the page (its clock starts at navigation): excludes the
  // harness's own round trips to Chromium, which dominate on a loaded machine.
  const inPage: number[] = [];
  const domReady: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1300, height: 900 } }); // fresh: no cache
    const page = await context.newPage();
    t = performance.now();
    await page.goto(server.url);
    await Promise.all([
      page.waitForSelector('[data-testid=progress][data-ready="1"] canvas', { timeout: 30_000 }).then(() => progress.push(performance.now() - t)),
      page.waitForSelector('[data-testid=candidates] tbody tr', { timeout: 30_000 }).then(() => table.push(performance.now() - t)),
    ]);
    inPage.push(await page.evaluate(() => performance.now()));
    domReady.push(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd));
    await context.close();
  }
  await browser.close();
  console.log(`\nChromium, navigation to first render (fresh context each), median of ${RUNS}:`);
  console.log(
    `  progress chart drawn (${N.toLocaleString('en-US')} points)      ${ms(median(progress)).padStart(8)}   runs: ${progress.map((x) => x.toFixed(0)).join(', ')}`,
  );
  console.log(`  candidate table rows shown                 ${ms(median(table)).padStart(8)}   runs: ${table.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(`  in the page's own clock: DOM ready ${ms(median(domReady))}, both drawn by ${ms(median(inPage))}`);
  // Issue targets: first useful paint under 1 s for a 1,000-candidate run, under 1.5 s at 100,000.
  const target = N <= 1000 ? 1000 : 1500;
  const worst = Math.max(median(progress), median(table));
  console.log(`\ntarget < ${target} ms: ${worst < target ? 'met' : 'MISSED'} (${ms(worst)})`);
  await server.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
