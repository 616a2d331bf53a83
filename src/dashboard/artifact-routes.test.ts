// The dashboard's artifact routes over a real store and server: what each kind of artifact
// is served as (the headers that keep candidate-written content from running in the page).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_RUN } from '../../test/support/test-run.js';
import { openStore } from '../store/store.js';
import { startDashboard, type DashboardServer } from './server.js';

let dir: string;
let server: DashboardServer;
const ids: Record<string, number> = {};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'evoloop-dash-art-'));
  const store = openStore(dir);
  store.createRun({ ...TEST_RUN, id: 'other' });
  store.createRun(TEST_RUN); // the latest: the one the dashboard shows
  const add = (
    runId: string,
    status: 'baseline' | 'accepted' | 'rejected',
    files: Record<string, string>,
    dropped: { name: string; size: number; note: string }[] = [],
  ) => {
    const c = store.insertCandidate({ runId, parentId: null, status, operator: 't', description: '', changeHash: String(Math.random()), patch: '', files: {} });
    store.updateCandidate(c.id, { score: c.id, finishedAt: Date.now() + c.id });
    const kept = Object.entries(files).map(([name, text]) => ({ name, bytes: Buffer.from(text) }));
    store.artifacts.add(c.id, 0, { stage: 'score', kind: 'score', repeat: 0 }, { kept, dropped }, Infinity);
    return c.id;
  };
  ids.foreign = add('other', 'baseline', { 'x.txt': 'other run' });
  ids.baseline = add('r1', 'baseline', {
    'b/plot.svg': '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    'notes.md': '# <b>hi</b>',
    'data.json': '{"a": 1}',
    'page.html': '<script>alert(1)</script>',
    'weird "name".bin': 'x',
  });
  ids.rejected = add('r1', 'rejected', { 'a.png': 'not really a png' }, [{ name: 'big.log', size: 9e6, note: 'not kept: too big' }]);
  store.close();
  server = await startDashboard({ problemDir: dir, port: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (p: string) => fetch(new URL(p, server.url));

describe('dashboard artifact routes', () => {
  it('lists the artifacts of the candidates asked for, of this run only', async () => {
    const lists = await (await get(`/api/artifacts?candidates=${ids.baseline},${ids.rejected}`)).json();
    expect(lists[ids.baseline].map((a: { name: string }) => a.name)).toEqual(['b/plot.svg', 'data.json', 'notes.md', 'page.html', 'weird "name".bin']);
    expect(lists[ids.rejected]).toMatchObject([
      { name: 'a.png', type: 'image' },
      { name: 'big.log', hash: null, note: 'not kept: too big' },
    ]);
    expect(lists[ids.baseline][0]).not.toHaveProperty('path'); // no host path reaches the page
    expect((await get(`/api/artifacts?candidates=${ids.foreign}`)).status).toBe(404);
  });

  it('serves an SVG as an image that runs nothing even when opened on its own', async () => {
    const [svg] = (await (await get(`/api/artifacts?candidates=${ids.baseline}`)).json())[ids.baseline];
    const res = await get(`/api/artifacts/${svg.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
    expect(res.headers.get('content-disposition')).toBeNull();
    expect(await res.text()).toContain('<script>');
  });

  it('serves Markdown and JSON as plain text, anything else as a download with a plain file name', async () => {
    const list = (await (await get(`/api/artifacts?candidates=${ids.baseline}`)).json())[ids.baseline] as { id: number; name: string }[];
    const byName = (n: string) => get(`/api/artifacts/${list.find((a) => a.name === n)!.id}`);
    for (const name of ['notes.md', 'data.json']) {
      const res = await byName(name);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(res.headers.get('content-disposition')).toBeNull();
    }
    const html = await byName('page.html');
    expect(html.headers.get('content-type')).toBe('application/octet-stream');
    expect(html.headers.get('content-disposition')).toBe('attachment; filename="page.html"');
    expect(html.headers.get('content-security-policy')).toMatch(/sandbox/);
    expect((await byName('weird "name".bin')).headers.get('content-disposition')).toBe('attachment; filename="weird__name_.bin"');
    const forced = await get(`/api/artifacts/${list[1].id}?download=1`);
    expect(forced.headers.get('content-disposition')).toBe('attachment; filename="data.json"');
  });

  it("answers 404 for a dropped artifact and for another run's", async () => {
    const lists = await (await get(`/api/artifacts?candidates=${ids.rejected}`)).json();
    expect((await get(`/api/artifacts/${lists[ids.rejected][1].id}`)).status).toBe(404);
    const store = openStore(dir);
    const foreign = store.artifacts.list(ids.foreign)[0].id;
    store.close();
    expect((await get(`/api/artifacts/${foreign}`)).status).toBe(404);
    expect((await get(`/api/artifacts/${foreign}?run=other`)).status).toBe(200);
  });

  it("the champions' strip: each champion's main image (its first image)", async () => {
    const strip = await (await get('/api/champion-images')).json();
    expect(strip).toMatchObject([{ id: ids.baseline, image: { name: 'b/plot.svg' } }]);
  });
});
