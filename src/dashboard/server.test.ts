import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStore } from '../../bench/dashboard/seed.js';
import { Store, storePath } from '../store/store.js';
import { stopRequestedSince } from '../store/stop-request.js';
import { MAX_EVENT_STREAMS, startDashboard, type DashboardServer } from './server.js';

const SECRET = 'sk-test-never-show-this-0123456789';
let dir: string;
let server: DashboardServer;
let runId: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'evoloop-dash-'));
  process.env.EVOLOOP_TEST_KEY = SECRET;
  runId = seedStore(dir, { n: 600, apiKeyEnv: 'EVOLOOP_TEST_KEY' }).runId;
  server = await startDashboard({ problemDir: dir, port: 0, pollMs: 50 });
});

afterAll(async () => {
  await server?.close();
  delete process.env.EVOLOOP_TEST_KEY;
  rmSync(dir, { recursive: true, force: true });
});

const get = async (p: string, init?: RequestInit) => {
  const res = await fetch(new URL(p, server.url), init);
  return { status: res.status, text: await res.text() };
};
const json = async (p: string) => JSON.parse((await get(p)).text);

describe('dashboard server', () => {
  it('binds loopback without a token and serves the headline', async () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.token).toBeNull();
    const s = await json('/api/summary');
    expect(s.run).toBe(runId);
    expect(s.candidates).toBe(600);
    expect(s.config.goal).toBe('maximize');
    expect(s.config.target).toBe(200);
  });

  it('pages, filters and sorts candidates on the server', async () => {
    const page = await json('/api/candidates?limit=25&offset=0');
    expect(page.total).toBe(601);
    expect(page.rows).toHaveLength(25);
    expect(page.rows[0].id).toBe(601); // newest first by default
    const accepted = await json('/api/candidates?status=accepted&sort=score&dir=desc');
    expect(accepted.total).toBe(12);
    expect(accepted.rows.every((r: { status: string }) => r.status === 'accepted')).toBe(true);
    const scores = accepted.rows.map((r: { score: number }) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const tune = await json('/api/candidates?operator=tune&limit=500');
    expect(tune.rows.every((r: { operator: string; model: string | null }) => r.operator === 'tune' && r.model === null)).toBe(true);
    const byModel = await json('/api/candidates?model=anthropic:claude-y&limit=1');
    expect(byModel.total).toBeGreaterThan(0);
    const search = await json('/api/candidates?q=change%20123%20');
    expect(search.rows.map((r: { id: number }) => r.id)).toEqual([124]);
    const facets = await json('/api/facets');
    expect(facets.operators).toEqual(['baseline', 'llm-diff', 'llm-rewrite', 'tune']);
    expect(facets.islands).toEqual([]);
  });

  it('answers odd query values with a sane page, never a server error', async () => {
    for (const query of [
      'sort=toString',
      'sort=__proto__',
      'sort=constructor',
      'offset=1.5',
      'offset=1e400',
      'limit=2.5',
      'limit=-3',
      "q=' OR 1=1 --",
      'island=abc',
    ]) {
      const r = await get(`/api/candidates?${query}`);
      expect(r.status, query).toBe(200);
      expect(Array.isArray(JSON.parse(r.text).rows), query).toBe(true);
    }
    expect((await fetch(`${server.url}%E0%A4%A`)).status).toBe(400);
  });

  it('sends the progress series, lineage, spend and no islands', async () => {
    const p = await json('/api/progress');
    const evaluated = (await json('/api/candidates?status=baseline,accepted,rejected,failed,tampered&limit=1')).total;
    expect(p.points.id).toHaveLength(evaluated);
    expect(p.champions[0]).toMatchObject({ id: 1, score: 100, lo: 99, hi: 101 });
    expect(p.champions).toHaveLength(13);
    const l = await json('/api/lineage');
    expect(l.total).toBe(601);
    expect(l.championPath[0]).toBe(1);
    expect(l.nodes.length).toBeLessThan(601); // bushy parents are trimmed…
    const hidden = l.nodes.reduce((s: number, n: { hidden: number }) => s + n.hidden, 0);
    expect(l.nodes.length + hidden).toBe(601); // …and say how many they hide
    const spend = await json('/api/spend');
    expect(spend.byModel.map((g: { key: string }) => g.key).sort()).toEqual(['claude-y', 'gpt-x']);
    expect(spend.usdPerAccepted).toBeCloseTo(spend.totalUsd / 12, 6);
    expect(spend.series.t.length).toBeGreaterThan(1);
    expect(await json('/api/islands')).toEqual([]);
  });

  it('shows one candidate with its model call, and never an API key value', async () => {
    const c = await json('/api/candidates/2');
    expect(c.llmCalls).toHaveLength(1);
    expect(c.llmCalls[0].prompt).toContain('improve program.mjs');
    expect(c.llmCalls[0].response).toContain('SEARCH');
    expect(c.patch).toContain('+const k = 1;');
    expect((await get('/api/candidates/999999')).status).toBe(404);
    for (const p of ['/api/summary', '/api/candidates/2', '/api/progress', '/api/spend', '/api/runs']) {
      expect((await get(p)).text).not.toContain(SECRET);
    }
  });

  it('pushes new events over SSE', async () => {
    const res = await fetch(new URL('/api/events?after=1', server.url));
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const store = new Store(storePath(dir));
    store.addEvent(runId, 'decided', 42, { type: 'decided', candidateId: 42, status: 'rejected', score: 1.5 });
    store.close();
    let text = '';
    while (!text.includes('"candidateId":42')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toMatch(/event: evoloop\ndata: \{.*"type":"decided".*\}\nid: \d+\n/);
  });

  it('stops the run only on a confirmed JSON request', async () => {
    const since = Date.now() - 1;
    expect((await get('/api/stop', { method: 'POST' })).status).toBe(400);
    expect((await get('/api/stop', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"confirm":true}' })).status).toBe(400);
    const store = new Store(storePath(dir));
    expect(stopRequestedSince(store, runId, since)).toBe(false);
    const ok = await get('/api/stop', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"confirm":true}' });
    expect(ok.status).toBe(200);
    expect(stopRequestedSince(store, runId, since)).toBe(true);
    store.close();
    expect((await get('/api/unknown')).status).toBe(404);
  });

  it('refuses foreign Host headers on loopback (DNS rebinding)', async () => {
    // fetch() may not set Host, so a raw request, as a browser tricked by DNS rebinding would send it.
    const status = await new Promise<number>((resolve, reject) =>
      request(new URL('/api/summary', server.url), { headers: { host: `attacker.example:${server.port}` } }, (res) => resolve(res.statusCode!))
        .on('error', reject)
        .end(),
    );
    expect(status).toBe(403);
    expect((await get('/api/summary', { headers: {} })).status).toBe(200);
  });
});

describe('dashboard on a non-loopback address', () => {
  it('requires the token on every request', async () => {
    const open = await startDashboard({ problemDir: dir, host: '0.0.0.0', port: 0 });
    try {
      expect(open.token).toMatch(/^[\w-]{32}$/);
      expect(open.url).toContain(`?token=${open.token}`);
      const base = `http://127.0.0.1:${open.port}`;
      for (const p of ['/', '/api/summary', '/api/events', '/assets/x.js']) expect((await fetch(base + p)).status).toBe(401);
      expect((await fetch(`${base}/api/summary?token=wrong`)).status).toBe(401);
      expect((await fetch(`${base}/api/summary`, { headers: { 'x-evoloop-token': open.token! } })).status).toBe(200);
      const viaQuery = await fetch(`${base}/api/summary?token=${open.token}`);
      expect(viaQuery.status).toBe(200);
      const cookie = viaQuery.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect((await fetch(`${base}/api/summary`, { headers: { cookie: cookie.split(';')[0] } })).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('dashboard server bounds', () => {
  it('keeps no 404 in its file cache (unique bad URLs cost no memory), and serves a file that appears later', async () => {
    const web = mkdtempSync(path.join(tmpdir(), 'evoloop-web-'));
    writeFileSync(path.join(web, 'index.html'), '<p>ok</p>');
    const own = await startDashboard({ problemDir: dir, port: 0, pollMs: 50, webDir: web });
    try {
      for (let i = 0; i < 2000; i += 500) {
        const batch = await Promise.all(Array.from({ length: 500 }, (_, j) => fetch(new URL(`/missing-${i + j}.js`, own.url)).then((r) => r.status)));
        expect(new Set(batch)).toEqual(new Set([404]));
      }
      expect((await fetch(new URL('/late.js', own.url))).status).toBe(404);
      writeFileSync(path.join(web, 'late.js'), 'export {};');
      const late = await fetch(new URL('/late.js', own.url));
      expect([late.status, await late.text()]).toEqual([200, 'export {};']);
    } finally {
      await own.close();
      rmSync(web, { recursive: true, force: true });
    }
  }, 60_000);

  it(`serves at most ${MAX_EVENT_STREAMS} event streams at once; the next gets 503 until one closes`, async () => {
    const open = await Promise.all(
      Array.from({ length: MAX_EVENT_STREAMS }, async () => {
        const ac = new AbortController();
        const res = await fetch(new URL('/api/events', server.url), { signal: ac.signal });
        expect(res.status).toBe(200);
        return ac;
      }),
    );
    const extra = await fetch(new URL('/api/events', server.url));
    expect(extra.status).toBe(503);
    expect(await extra.text()).toContain(`already ${MAX_EVENT_STREAMS} live event streams open`);
    for (const ac of open) ac.abort();
    await new Promise((r) => setTimeout(r, 300));
    const again = new AbortController();
    expect((await fetch(new URL('/api/events', server.url), { signal: again.signal })).status).toBe(200);
    again.abort();
  });
});
