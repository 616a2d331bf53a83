// End to end in a real Chromium: `evoloop run --ui` on a small problem whose verifier
// takes a moment per candidate, so the page is watched while candidates arrive.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/server.js';
import { Store, storePath } from '../../src/store/store.js';
import { launchChromium } from '../support/chromium.js';
import { createProblem, PROJECT_ROOT, processAlive, waitFor, type Problem } from '../support/problem.js';

const SHOTS = path.join(PROJECT_ROOT, 'test-output', 'dashboard');
/** Pixels of a canvas that are not blank: the chart really drew something. */
const paintedPixels = (page: Page, selector: string) =>
  page.$eval(selector, (c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
  });

let problem: Problem;
let child: ChildProcess;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let url = '';
let stderr = '';

beforeAll(async () => {
  if (!existsSync(path.join(PROJECT_ROOT, 'dist', 'web', 'index.html'))) throw new Error('dist/web is missing: run `npm run build` first.');
  mkdirSync(SHOTS, { recursive: true });
  problem = createProblem({ sleep: 0.35, config: { budget: { candidates: 80 } } });
  child = problem.spawnCli('run', '{dir}', '--ui', '--port', '0');
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  url = await waitFor(() => /dashboard: (http:\/\/\S+)/.exec(stderr)?.[1], 30_000, `the dashboard URL on stderr (got: ${stderr})`);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (child?.pid && processAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
  problem?.cleanup();
});

describe('dashboard in Chromium', () => {
  it('follows a live run, opens a candidate, filters, and stops the run', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/); // loopback, so no token

    // Live: the chart and the table grow while candidates arrive, without reloading.
    await page.waitForSelector('[data-testid=progress][data-ready="1"] canvas');
    const points = () => page.$eval('[data-testid=progress]', (e) => Number(e.getAttribute('data-points')));
    const rows = () => page.$$eval('[data-testid=candidates] tbody tr', (r) => r.length);
    const [p0, r0] = [await points(), await rows()];
    const deadline = Date.now() + 30_000;
    while ((await points()) < p0 + 3 || (await rows()) < r0 + 3) {
      expect(Date.now(), 'chart and table did not update live').toBeLessThan(deadline);
      await page.waitForTimeout(200);
    }
    await page.waitForSelector('[data-testid=feed] .feed-line');
    expect(await paintedPixels(page, '[data-testid=progress] canvas')).toBeGreaterThan(2000);
    await page.screenshot({ path: path.join(SHOTS, 'overview.png'), fullPage: true });

    // Filter the table to accepted candidates (the baseline's first child that scored better is one).
    await page.waitForFunction(() => !!document.querySelector('[data-testid=filter-status] option[value=accepted]'), null, { timeout: 30_000 });
    await page.selectOption('[data-testid=filter-status]', 'accepted');
    await page.waitForFunction(() => {
      const r = [...document.querySelectorAll('[data-testid=candidates] tbody tr')];
      return r.length > 0 && r.every((t) => t.getAttribute('data-status') === 'accepted');
    });
    expect(await page.textContent('[data-testid=table-total]')).toMatch(/^\d+ matching$/);
    await page.screenshot({ path: path.join(SHOTS, 'filtered.png'), fullPage: true });

    // Open an accepted candidate: its diff against the parent and the base, its measurements.
    const id = await page.$eval('[data-testid=candidates] tbody tr', (t) => t.getAttribute('data-id'));
    await page.click('[data-testid=candidates] tbody tr');
    await page.waitForSelector(`[data-testid=candidate-page][data-id="${id}"]`);
    expect(await page.textContent('[data-testid=candidate-status]')).toBe('accepted');
    const parentDiff = (await page.textContent('[data-testid=diff]'))!;
    expect(parentDiff).toContain('program.mjs');
    expect(await page.$$eval('[data-testid=diff] .d-add', (l) => l.length)).toBeGreaterThan(0);
    expect(await page.$$eval('[data-testid=measurements] tbody tr', (r) => r.length)).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid=measurements]')).toContain('score');
    expect(await page.textContent('[data-testid=verdict]')).toContain('accept');
    await page.click('[data-testid=diff-base]');
    await page.waitForFunction(() => document.querySelector('[data-testid=diff]')?.textContent?.includes('a/program.mjs'));
    expect(await page.$$eval('[data-testid=diff] .tk-k', (l) => l.length)).toBeGreaterThan(0); // highlighted
    await page.screenshot({ path: path.join(SHOTS, 'candidate.png'), fullPage: true });

    await page.goto(`${url}#/lineage`);
    await page.waitForSelector('[data-testid=lineage] .node');
    expect(await page.$$eval('[data-testid=lineage] .node', (n) => n.length)).toBeGreaterThan(3);
    expect(await page.$$eval('[data-testid=lineage] .link.champ', (n) => n.length)).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'lineage.png'), fullPage: true });
    await page.goto(`${url}#/spend`);
    await page.waitForSelector('[data-testid=spend]');
    expect(await page.textContent('[data-testid=spend]')).toContain('No model calls');
    await page.screenshot({ path: path.join(SHOTS, 'spend.png'), fullPage: true });
    expect(await page.$('a[href="#/islands"]')).toBeNull(); // greedy run: no islands view

    // Stop, with confirmation: the run ends as interrupted and the page says so.
    await page.goto(`${url}#/overview`);
    await page.click('[data-testid=stop]');
    await page.click('[data-testid=stop-confirm]');
    await page.waitForSelector('[data-testid=stop-sent]');
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'interrupted', null, { timeout: 30_000 });
    const store = new Store(storePath(problem.dir));
    const run = store.latestRun()!;
    store.close();
    expect(run.status).toBe('interrupted');
    expect(run.stopReason).toBe('stopped by the user');
    expect(errors).toEqual([]);
    await waitFor(() => stderr.includes('dashboard stays open'), 10_000, 'the CLI to keep the dashboard open after the run');
    process.kill(-child.pid!, 'SIGINT');
    await waitFor(() => child.exitCode !== null, 10_000, 'evoloop run --ui to exit on Ctrl-C');
    expect(child.exitCode).toBe(0);
  });

  it('refuses a non-loopback bind without the token, and works with it', async () => {
    const server = await startDashboard({ problemDir: problem.dir, host: '0.0.0.0', port: 0 });
    try {
      const bare = `http://127.0.0.1:${server.port}/`;
      expect((await fetch(bare)).status).toBe(401);
      expect((await fetch(`${bare}api/summary`)).status).toBe(401);
      const page = await browser.context.newPage();
      const refused = await page.goto(bare);
      expect(refused!.status()).toBe(401);
      expect(await page.textContent('body')).toContain('access token');
      await page.goto(`${bare}?token=${server.token}`);
      await page.waitForSelector('[data-testid=progress][data-ready="1"] canvas');
      expect(page.url()).not.toContain('token='); // dropped from the address bar; a cookie carries it
      expect(await page.$$eval('[data-testid=candidates] tbody tr', (r) => r.length)).toBeGreaterThan(0);
      // The run ended (stopped above): the Live panel says how, and shows its last events, not "waiting".
      expect(await page.textContent('[data-testid=feed-ended]')).toBe('run interrupted: stopped by the user');
      await page.waitForSelector('[data-testid=feed] .feed-line');
      expect(await page.textContent('[data-testid=feed]')).not.toContain('waiting for events');
      await page.close();
    } finally {
      await server.close();
    }
  });
});
