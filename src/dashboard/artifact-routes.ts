// The dashboard's artifact routes: candidates' artifact lists, one artifact's content, the
// champions' main images (the strip under the progress chart) and the compare view of two
// candidates. Artifacts are written by candidate code, so each is served as data, never as
// part of the page: its own safe content type, nosniff (set for every response), a CSP
// that sandboxes it and runs nothing (an SVG opened on its own runs no script), and a
// download for anything that is neither an image nor text. The page shows SVG only as <img>.
import type { Context, Hono } from 'hono';
import { mainImage, type ArtifactInfo } from '../core/artifact-types.js';
import type { RunRecord, Store } from '../store/store.js';
import { diffBetween } from '../workspace/diff.js';

type WithRun = (fn: (c: Context, run: RunRecord) => Response | Promise<Response>) => (c: Context) => Response | Promise<Response>;

export const ARTIFACT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox";

/** What the page may show of an artifact (no stored path: the page fetches it by id). */
const info = ({ id, candidateId, epoch, stage, kind, repeat, name, type, mediaType, size, hash, note }: ArtifactInfo): ArtifactInfo => ({
  id,
  candidateId,
  epoch,
  stage,
  kind,
  repeat,
  name,
  type,
  mediaType,
  size,
  hash,
  note,
});

export function registerArtifactRoutes(app: Hono, store: Store, withRun: WithRun): void {
  const inRun = (run: RunRecord, id: number) => {
    const c = Number.isSafeInteger(id) ? store.getCandidate(id) : undefined;
    return c && c.runId === run.id ? c : undefined;
  };

  app.get(
    '/api/artifacts',
    withRun((c, run) => {
      const ids = (c.req.query('candidates') ?? '').split(',').filter(Boolean).slice(0, 10).map(Number);
      const missing = ids.filter((id) => !inRun(run, id));
      if (ids.length === 0 || missing.length)
        return c.json({ error: `no candidate ${missing.join(', ') || '(none given)'} in run ${run.id}: ?candidates=<id>,<id>` }, 404);
      return c.json(Object.fromEntries(ids.map((id) => [id, store.artifacts.list(id).map(info)])));
    }),
  );

  app.get(
    '/api/artifacts/:id',
    withRun((c, run) => {
      const a = store.artifacts.get(Number(c.req.param('id')));
      const bytes = a && a.runId === run.id ? store.artifacts.read(a) : undefined;
      if (!a || !bytes) return c.json({ error: `no artifact ${c.req.param('id')} in run ${run.id} (dropped, or removed by evoloop gc)` }, 404);
      // Text of every kind is sent as plain text: Markdown or JSON is never rendered by the browser.
      const download = a.type === 'file' || c.req.query('download') !== undefined;
      c.header('Content-Type', a.type === 'image' ? a.mediaType : a.type === 'text' ? 'text/plain; charset=utf-8' : 'application/octet-stream');
      c.header('Content-Security-Policy', ARTIFACT_CSP);
      c.header('Cache-Control', 'private, max-age=3600');
      if (download) c.header('Content-Disposition', `attachment; filename="${downloadName(a.name)}"`);
      return c.body(new Uint8Array(bytes));
    }),
  );

  app.get(
    '/api/champion-images',
    withRun((c, run) =>
      c.json(
        store.queries.champions(run.id).map((ch) => {
          const image = mainImage(store.artifacts.list(ch.id));
          return { id: ch.id, t: ch.finishedAt - run.createdAt, score: ch.score, image: image ? info(image) : null };
        }),
      ),
    ),
  );

  app.get(
    '/api/compare',
    withRun(async (c, run) => {
      const [a, b] = [inRun(run, Number(c.req.query('a'))), inRun(run, Number(c.req.query('b')))];
      if (!a || !b) return c.json({ error: `compare needs two candidates of run ${run.id}: ?a=<id>&b=<id>` }, 404);
      const side = (x: NonNullable<typeof a>) => ({
        id: x.id,
        status: x.status,
        reason: x.reason,
        score: x.score,
        metrics: x.metrics,
        verdict: x.verdict,
        operator: x.operator,
        description: x.description,
        parentId: x.parentId,
      });
      return c.json({ a: side(a), b: side(b), diff: await diffBetween(run, store.candidateFiles(a), store.candidateFiles(b)) });
    }),
  );
}

/** A file name for Content-Disposition: the last part of the artifact's name, plain characters only. */
function downloadName(name: string): string {
  return (name.split('/').pop() ?? 'artifact').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'artifact';
}
