// The islands strategy end to end, offline (tune): `evoloop run` is killed with -9 mid-run and
// resumed; the record keeps islands isolated (cross-island edges only through `migrate` rows),
// `status --json` and `ls --json` show the islands, and the dashboard draws each island's
// archive as a heat map in a real Chromium.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type DashboardServer } from '../../src/dashboard/server.js';
import { openStore, storePath, type Store } from '../../src/store/store.js';
import { launchChromium } from '../support/chromium.js';
import { createProblem, PROJECT_ROOT, waitFor, type Problem } from '../support/problem.js';

const SHOTS = path.join(PROJECT_ROOT, 'test-output', 'dashboard');
const BUDGET = 14;

let p: Problem;
beforeAll(() => {
  p = createProblem({
    config: {
      budget: { candidates: BUDGET },
      search: {
        strategy: 'islands',
        islands: 3,
        migration: { interval: 2, rate: 1 },
        features: [{ name: 'delta', builtin: 'diff_size', range: [0, 6], bins: 3 }],
        seed: 5,
      },
    },
  });
});
afterAll(() => p?.cleanup());

interface LsRow {
  id: number;
  parent: number | null;
  parents: number[];
  island: number | null;
  operator: string;
  status: string;
}

describe('islands, end to end', () => {
  it('survives kill -9, stays isolated, and shows its islands in status, ls and the dashboard', async () => {
    const child = p.spawnCli('run', '{dir}');
    child.stdout!.resume();
    child.stderr!.resume();
    const proposedSoFar = () => {
      if (!existsSync(storePath(p.dir))) return 0;
      let store: Store;
      try {
        store = openStore(p.dir, { readonly: true });
      } catch {
        return 0; // the run is creating it this very moment
      }
      try {
        const run = store.latestRun();
        return run ? store.queries.proposedCount(run.id) : 0;
      } finally {
        store.close();
      }
    };
    await waitFor(() => proposedSoFar() >= 5, 60_000, '5 candidates before the kill');
    process.kill(-child.pid!, 'SIGKILL');
    await once(child, 'close');

    const resumed = await p.cli('run', '{dir}');
    expect(resumed.code, resumed.stderr).toBe(0);
    const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    expect(status.strategy).toBe('islands');
    expect(status.islands.map((i: { id: number }) => i.id)).toEqual([0, 1, 2]);
    for (const i of status.islands) {
      expect(Object.keys(i).sort()).toEqual(['best', 'bestCandidate', 'candidates', 'cells', 'id']);
      expect(i.cells).toBeGreaterThanOrEqual(1);
    }
    expect(status.best).toBe(Math.max(...status.islands.map((i: { best: number }) => i.best)));
    const human = (await p.cli('status', '{dir}')).stdout;
    expect(human).toMatch(/^ {2}island 0: best .* candidates · \d+ cells$/m);
    expect(human).toMatch(/^ {2}island 2: best /m);

    const rows: LsRow[] = JSON.parse((await p.cli('ls', '{dir}', '--json', '--limit', '1000')).stdout);
    const proposed = rows.filter((r) => r.operator !== 'migrate' && r.operator !== 'baseline');
    expect(proposed).toHaveLength(BUDGET); // the kill lost nothing and repeated nothing
    const byId = new Map(rows.map((r) => [r.id, r]));
    const baseline = rows.find((r) => r.operator === 'baseline')!;
    expect(baseline.island).toBeNull();
    for (const r of rows.filter((r) => r.operator !== 'baseline')) {
      expect(r.parent).toBe(r.parents[0]);
      const parent = byId.get(r.parent!)!;
      if (r.operator === 'migrate') expect(parent.island).toBe((r.island! + 2) % 3);
      else if (parent.id !== baseline.id) expect(parent.island).toBe(r.island);
    }
    expect(rows.some((r) => r.operator === 'migrate')).toBe(true);

    // The dashboard: each island a heat map with its occupied cells.
    const dashboard: DashboardServer = await startDashboard({ problemDir: p.dir, port: 0 });
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${dashboard.url}#/islands`);
      await page.waitForSelector('[data-testid=islands] [data-testid=island-cell]');
      expect(await page.$$eval('[data-testid=island]', (e) => e.length)).toBe(3);
      const cells = await page.$$eval('[data-testid=island-cell]', (e) => e.map((c) => getComputedStyle(c).backgroundColor));
      expect(cells.length).toBe(status.islands.reduce((s: number, i: { cells: number }) => s + i.cells, 0));
      expect(cells.every((c) => c !== 'rgb(238, 238, 238)')).toBe(true); // occupied cells are coloured, not the empty grey
      await page.screenshot({ path: path.join(SHOTS, 'islands.png'), fullPage: true });
    } finally {
      await browser.close();
      await dashboard.close();
    }
  }, 180_000);
});
