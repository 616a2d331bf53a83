// Artifacts in a real Chromium. The circle-packing example (offline, a few candidates): its
// packing.svg shows, loaded, on a candidate's page beside its parent's and the champion's,
// in the compare view and in the champions' strip. A hostile candidate writes an SVG with a
// <script> and an onload handler, HTML and a text file with markup: nothing of it runs, in
// the page or when the SVG is opened on its own, and the text shows as text.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type DashboardServer } from '../../src/dashboard/server.js';
import { openStore } from '../../src/store/store.js';
import { launchChromium } from '../support/chromium.js';
import { createHostileProblem, type HostileProblem } from '../support/hostile-problem.js';
import { createProblem, PROJECT_ROOT, type Problem } from '../support/problem.js';

const SHOTS = path.join(PROJECT_ROOT, 'test-output', 'artifacts');

const HOSTILE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="60" height="60" onload="document.title='PWNED-ONLOAD';fetch('/pwned-onload')"><script>document.title='PWNED';fetch('/pwned-script');try{top.document.title='PWNED'}catch(e){}</script><rect width="60" height="60" fill="#d73027"/></svg>`;
const HOSTILE = `
const dir = process.env.EVOLOOP_ARTIFACTS;
fs.writeFileSync(path.join(dir, 'evil.svg'), ${JSON.stringify(HOSTILE_SVG)});
fs.writeFileSync(path.join(dir, 'evil.txt'), 'line one\\n<img src=x onerror="document.title=\\'PWNED-TEXT\\'">\\nline three\\n');
fs.writeFileSync(path.join(dir, 'evil.html'), '<script>document.title="PWNED-HTML"</script>');
`;

let packing: Problem;
let hostile: HostileProblem;
let browser: Awaited<ReturnType<typeof launchChromium>>;
const servers: DashboardServer[] = [];

/** Whether every matching <img> has loaded a real picture. */
const loadedImages = (page: Page, selector: string) =>
  page.$$eval(selector, (imgs) => imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0));

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  packing = createProblem({ from: path.join(PROJECT_ROOT, 'examples', 'circle-packing') });
  hostile = createHostileProblem({ hostile: HOSTILE });
  const [run] = await Promise.all([packing.cli('run', '{dir}', '--max-candidates', '2'), hostile.run(1)]);
  expect(run.code, run.stderr).toBe(0);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  packing?.cleanup();
  hostile?.cleanup();
});

async function dashboard(problemDir: string) {
  const s = await startDashboard({ problemDir, port: 0 });
  servers.push(s);
  return s.url;
}

describe('artifacts in the dashboard (Chromium)', () => {
  it("shows the example's packing SVG on a candidate's page, beside its parent's and the champion's, in compare and in the strip", async () => {
    const store = openStore(packing.dir);
    const run = store.latestRun()!;
    const child = store.listCandidates(run.id).find((c) => c.parentId !== null && c.status !== 'invalid' && c.status !== 'duplicate')!;
    store.close();
    const url = await dashboard(packing.dir);
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${url}#/candidate/${child.id}`);
    await page.waitForSelector(`[data-testid=candidate-page][data-id="${child.id}"] [data-testid=artifacts]`);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=artifact-image]')].every((i) => (i as HTMLImageElement).complete));
    const columns = await page.$$eval('.artifact-head', (h) => h.map((e) => e.textContent));
    expect(columns[0]).toMatch(new RegExp(`^#${child.id} this candidate`));
    expect(columns[1]).toMatch(new RegExp(`^#${child.parentId} parent`));
    const cells = `.artifact-cell [data-testid=artifact-image][data-name="packing.svg"]`;
    expect(await loadedImages(page, cells)).toEqual(columns.map(() => true));
    const size = await page.$eval(cells, (i) => ({ w: (i as HTMLImageElement).naturalWidth, h: (i as HTMLImageElement).naturalHeight }));
    expect(size).toEqual({ w: 424, h: 446 });
    await page.screenshot({ path: path.join(SHOTS, 'candidate-artifacts.png'), fullPage: true });

    await page.goto(`${url}#/compare/${run.baselineId}/${child.id}`);
    await page.waitForSelector('[data-testid=compare-page] [data-testid=compare-table]');
    expect(await page.textContent('[data-testid=compare-table]')).toContain('sum_radii');
    await page.waitForSelector(cells);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=artifact-image]')].every((i) => (i as HTMLImageElement).complete));
    expect(await loadedImages(page, cells)).toEqual([true, true]);
    await page.screenshot({ path: path.join(SHOTS, 'compare.png'), fullPage: true });

    await page.goto(`${url}#/overview`);
    await page.waitForSelector('[data-testid=champion-strip] [data-testid=strip-item] img');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=strip-item] img')].every((i) => (i as HTMLImageElement).complete));
    expect((await loadedImages(page, '[data-testid=strip-item] img')).every(Boolean)).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'strip.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('runs nothing of a hostile SVG, HTML or text artifact, in the page or opened on its own', async () => {
    expect(hostile.candidate(2).status).toBe('accepted'); // the hostile program did run (and scored)
    const url = await dashboard(hostile.dir);
    const page = await browser.context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(`${url}#/candidate/2`);
    const img = '[data-testid=artifact-image][data-name="evil.svg"]';
    await page.waitForSelector(img);
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLImageElement).complete, img);
    expect(await loadedImages(page, img)).toEqual([true]); // shown, as a picture
    await page.waitForSelector('[data-testid=artifact-text] pre');
    await page.waitForTimeout(300);
    expect(await page.title()).toBe('evoloop dashboard');
    // The text is text: the markup shows literally and made no element.
    const text = await page.$eval('[data-testid=artifact-text] pre', (p) => ({ text: p.textContent, imgs: p.querySelectorAll('img').length }));
    expect(text).toEqual({ text: expect.stringContaining('<img src=x onerror='), imgs: 0 });
    await page.fill('[data-testid=artifact-search]', 'ONERROR');
    expect(await page.textContent('[data-testid=artifact-hits]')).toBe('1 matching line');
    expect(await page.$$eval('[data-testid=artifact-text] mark', (m) => m.map((e) => e.textContent))).toEqual(['onerror']);
    const download = await page.$eval('[data-testid=artifact-download]', (a) => (a as HTMLAnchorElement).href);
    await page.screenshot({ path: path.join(SHOTS, 'hostile.png'), fullPage: true });

    // Opened on its own (a user following the image's link): the CSP sandbox runs no script.
    const svgUrl = await page.$eval(img, (i) => (i as HTMLImageElement).src);
    const own = await browser.context.newPage();
    own.on('request', (r) => requests.push(new URL(r.url()).pathname));
    const res = await own.goto(svgUrl);
    await own.waitForTimeout(300);
    expect(await own.title()).not.toMatch(/PWNED/);
    expect(requests.filter((p) => p.startsWith('/pwned'))).toEqual([]);
    expect(res!.headers()['content-security-policy']).toMatch(/sandbox/);
    const html = await browser.context.request.get(download);
    expect(html.headers()['content-disposition']).toBe('attachment; filename="evil.html"');
    expect(requests.filter((p) => p.startsWith('/pwned'))).toEqual([]);
  });
});
