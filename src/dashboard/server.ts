// The dashboard's HTTP server: a JSON API over the store, server-sent events for live
// updates, and the built page. Read-only except POST /api/stop (a confirmed stop request
// the running engine polls). Loopback by default; any other bind needs the access token.
import { auditPanel } from '../audit/stored.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { UsageError } from '../core/errors.js';
import { isLoopback } from '../core/loopback.js';
import { Store, storePath, type RunRecord } from '../store/store.js';
import { requestStop } from '../store/stop-request.js';
import { registerArtifactRoutes } from './artifact-routes.js';
import { candidateDetail, facets, headline, islands, lineage, progress, queryCandidates, spend, SORT_KEYS, workers, type SortKey } from './queries.js';

export interface DashboardOptions {
  problemDir: string;
  /** Pin one run; by default each request follows `?run=` or else the latest run. */
  runId?: string;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Required on every request; generated when the host is not loopback and none is given. */
  token?: string;
  /** The built page (default: dist/web next to this module). */
  webDir?: string;
  /** How often the event stream looks for new events. */
  pollMs?: number;
}

export interface DashboardServer {
  /** The address to open (carries the token when there is one). */
  url: string;
  host: string;
  port: number;
  token: string | null;
  close(): Promise<void>;
}

export async function startDashboard(opts: DashboardOptions): Promise<DashboardServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? (isLoopback(host) ? null : randomBytes(24).toString('base64url'));
  const file = storePath(path.resolve(opts.problemDir));
  if (!existsSync(file)) throw new UsageError(`no evoloop run in ${opts.problemDir} (no ${file}). Fix: start one with \`evoloop run\`.`);
  const store = new Store(file);
  const streams = new Set<AbortController>();
  const app = createDashboardApp({ store, runId: opts.runId, token, host, webDir: opts.webDir ?? defaultWebDir(), pollMs: opts.pollMs ?? 500, streams });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: opts.port ?? 0 }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new UsageError(`port ${opts.port} on ${host} is in use. Fix: pass another --port (or 0 for any free port).`) : err),
    );
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}/${token ? `?token=${token}` : ''}`,
    host,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.abort();
        server.close(() => {
          store.close();
          resolve();
        });
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

function defaultWebDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/dashboard/server.js → dist/web; src/dashboard/server.ts (tsx, tests) → dist/web too.
  return (
    [path.resolve(here, '../web'), path.resolve(here, '../../dist/web')].find((d) => existsSync(path.join(d, 'index.html'))) ?? path.resolve(here, '../web')
  );
}

interface AppContext {
  store: Store;
  runId?: string;
  token: string | null;
  host: string;
  webDir: string;
  pollMs: number;
  streams: Set<AbortController>;
}

const TOKEN_COOKIE = 'evoloop_token';

export function createDashboardApp(ctx: AppContext): Hono {
  const { store } = ctx;
  const app = new Hono();

  app.use('*', async (c, next) => {
    // DNS rebinding: a loopback server answers only to loopback names.
    const hostname = (c.req.header('host') ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (isLoopback(ctx.host) && !isLoopback(hostname) && hostname !== ctx.host) return c.text(`host ${hostname} not allowed`, 403);
    if (ctx.token) {
      const given =
        c.req.query('token') ?? c.req.header('x-evoloop-token') ?? c.req.header('authorization')?.replace(/^Bearer /, '') ?? getCookie(c, TOKEN_COOKIE);
      if (!given || !sameSecret(given, ctx.token)) {
        return c.text('this dashboard needs its access token: open the URL that `evoloop dashboard` printed (it ends in ?token=…).', 401);
      }
      if (c.req.query('token')) setCookie(c, TOKEN_COOKIE, ctx.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
    }
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
  });

  const runOf = (c: Context): RunRecord | undefined => {
    const id = ctx.runId ?? c.req.query('run');
    return id ? store.getRun(id) : store.latestRun();
  };
  const withRun = (fn: (c: Context, run: RunRecord) => Response | Promise<Response>) => (c: Context) => {
    const run = runOf(c);
    return run ? fn(c, run) : c.json({ error: 'no such run. Fix: pick one from /api/runs, or start one with `evoloop run`.' }, 404);
  };

  app.get('/api/runs', (c) => c.json(store.listRuns().map((r) => ({ id: r.id, status: r.status, createdAt: r.createdAt }))));

  app.get(
    '/api/summary',
    withRun((c, run) => c.json(headline(store, run))),
  );
  app.get(
    '/api/audit',
    withRun(async (c, run) => c.json(await auditPanel(store, run))),
  );
  app.get(
    '/api/progress',
    withRun((c, run) => c.json(progress(store, run))),
  );
  app.get(
    '/api/facets',
    withRun((c, run) => c.json(facets(store, run.id))),
  );
  app.get(
    '/api/spend',
    withRun((c, run) => c.json(spend(store, run.id))),
  );
  app.get(
    '/api/lineage',
    withRun((c, run) => c.json(lineage(store, run))),
  );
  app.get(
    '/api/islands',
    withRun((c, run) => c.json(islands(store, run))),
  );
  app.get(
    '/api/workers',
    withRun((c, run) => c.json(workers(store, run.id))),
  );

  app.get(
    '/api/candidates',
    withRun((c, run) => {
      const q = c.req.query();
      const sort = (Object.hasOwn(SORT_KEYS, q.sort ?? '') ? q.sort : 'id') as SortKey;
      const int = (v: string | undefined, fallback: number) => (v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : fallback);
      return c.json(
        queryCandidates(store, run.id, {
          status: q.status ? q.status.split(',').filter(Boolean) : undefined,
          operator: q.operator || undefined,
          model: q.model || undefined,
          island: q.island ? int(q.island, -1) : undefined,
          q: q.q || undefined,
          sort,
          dir: q.dir === 'asc' ? 'asc' : 'desc',
          offset: int(q.offset, 0),
          limit: int(q.limit, 50),
        }),
      );
    }),
  );

  app.get(
    '/api/candidates/:id',
    withRun(async (c, run) => {
      const detail = await candidateDetail(store, run, Number(c.req.param('id')));
      return detail ? c.json(detail) : c.json({ error: `no candidate ${c.req.param('id')} in run ${run.id}` }, 404);
    }),
  );

  app.post(
    '/api/stop',
    withRun(async (c, run) => {
      // A JSON body with confirm: true: a plain cross-site form cannot send it (it would need a CORS preflight we never grant).
      const body = c.req.header('content-type')?.startsWith('application/json') ? await c.req.json().catch(() => null) : null;
      if (!body || body.confirm !== true) return c.json({ error: 'send {"confirm": true} as application/json to stop the run' }, 400);
      if (run.status !== 'running') return c.json({ error: `run ${run.id} is ${run.status}, not running` }, 409);
      requestStop(store, run.id);
      return c.json({ ok: true, message: 'stop requested: the run finishes its candidates in flight, then stops' });
    }),
  );

  app.get(
    '/api/events',
    withRun((c, run) => {
      // Each stream polls the store: a bounded number keeps a page left open in many tabs (or a script) from starving the run.
      if (ctx.streams.size >= MAX_EVENT_STREAMS) {
        return c.json({ error: `already ${MAX_EVENT_STREAMS} live event streams open; close a dashboard tab and reload` }, 503);
      }
      let last = Number(c.req.query('after') ?? c.req.header('last-event-id') ?? 0) || 0;
      const abort = new AbortController();
      ctx.streams.add(abort);
      return streamSSE(c, async (stream) => {
        stream.onAbort(() => abort.abort());
        let quiet = 0;
        try {
          while (!abort.signal.aborted) {
            const events = store.events(run.id, last, 500);
            for (const e of events) {
              await stream.writeSSE({ id: String(e.id), event: 'evoloop', data: JSON.stringify({ id: e.id, ts: e.ts, ...e.data }) });
              last = e.id;
            }
            // A comment now and then keeps proxies and the browser from timing the stream out.
            quiet = events.length ? 0 : quiet + ctx.pollMs;
            if (quiet >= 15_000) (await stream.write(': ping\n\n'), (quiet = 0));
            if (events.length < 500) await stream.sleep(ctx.pollMs);
          }
        } finally {
          ctx.streams.delete(abort);
        }
      });
    }),
  );

  registerArtifactRoutes(app, store, withRun);

  app.all('/api/*', (c) => c.json({ error: `no API route ${c.req.method} ${c.req.path}` }, 404));

  const files = new Map<string, Buffer>();
  app.get('*', (c) => {
    let rel: string;
    try {
      rel = c.req.path === '/' ? 'index.html' : decodeURIComponent(c.req.path.slice(1));
    } catch {
      return c.text('bad path', 400);
    }
    const full = path.resolve(ctx.webDir, rel);
    if (!full.startsWith(ctx.webDir + path.sep)) return c.text('not found', 404);
    // Only files that exist are cached (the built page: a fixed, small set); a miss is never kept, so unique bad URLs cost no memory.
    if (!files.has(full) && existsSync(full)) files.set(full, readFileSync(full));
    const body = files.get(full);
    if (!body) {
      return rel === 'index.html' ? c.text(`the dashboard page is not built (no ${full}). Fix: npm run build.`, 500) : c.text('not found', 404);
    }
    c.header('Content-Type', MIME[path.extname(full)] ?? 'application/octet-stream');
    c.header('Cache-Control', rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    c.header(
      'Content-Security-Policy',
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    );
    return c.body(new Uint8Array(body));
  });

  return app;
}

/** Live `/api/events` streams served at once; more get 503. */
export const MAX_EVENT_STREAMS = 32;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
