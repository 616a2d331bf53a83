// Score of every evaluated candidate over time: accepted, rejected and failed marks, the
// best-so-far step line with the champion's noise band, the baseline and the target.
// uPlot draws 100,000 points on a canvas quickly; drag to zoom, double-click to reset,
// hover names the candidate, click opens it.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { fmtScore } from './format.js';
import { html, useLive } from './live.js';
import type { Progress } from '../api.js';

const KIND_NAMES = ['baseline', 'accepted', 'rejected', 'failed'];

/** uPlot's aligned columns: x, then one column per series (null where a series has no point). */
export function toColumns(p: Progress): (number | null)[][] {
  const n = p.points.t.length;
  const x = new Array<number>(n);
  const accepted = new Array<number | null>(n).fill(null);
  const rejected = new Array<number | null>(n).fill(null);
  const failed = new Array<number | null>(n).fill(null);
  const best = new Array<number | null>(n).fill(null);
  const hi = new Array<number | null>(n).fill(null);
  const lo = new Array<number | null>(n).fill(null);
  let worst = Infinity * (p.goal === 'maximize' ? 1 : -1);
  for (const s of p.points.score) if (s !== null) worst = p.goal === 'maximize' ? Math.min(worst, s) : Math.max(worst, s);
  if (!Number.isFinite(worst)) worst = p.baseline ?? 0;
  let c = -1;
  for (let i = 0; i < n; i++) {
    const t = p.points.t[i];
    x[i] = (p.start + t) / 1000;
    const s = p.points.score[i];
    const k = p.points.kind[i];
    if (k <= 1) accepted[i] = s;
    else if (k === 2) rejected[i] = s;
    else failed[i] = s ?? worst; // failed candidates have no score: marked along the worst edge
    while (c + 1 < p.champions.length && p.champions[c + 1].t <= t) c++;
    if (c >= 0) ((best[i] = p.champions[c].score), (hi[i] = p.champions[c].hi), (lo[i] = p.champions[c].lo));
  }
  return [x, accepted, rejected, failed, best, hi, lo];
}

/**
 * Marks as filled squares, at most one per device pixel: with 100,000 candidates most
 * marks overlap, and skipping the repeats (and uPlot's per-point arcs) keeps the first
 * draw well under the 1.5 s budget.
 */
const markPaths =
  (size: number): uPlot.Series.PathBuilder =>
  (u, sidx, i0, i1) => {
    const xs = u.data[0];
    const ys = u.data[sidx];
    const path = new Path2D();
    const s = size * devicePixelRatio;
    const seen = new Set<number>();
    for (let i = i0; i <= i1; i++) {
      const y = ys[i];
      if (y === null || y === undefined) continue;
      const cx = Math.round(u.valToPos(xs[i] as number, 'x', true));
      const cy = Math.round(u.valToPos(y, 'y', true));
      const key = cx * 100_000 + cy;
      if (seen.has(key)) continue;
      seen.add(key);
      path.rect(cx - s / 2, cy - s / 2, s, s);
    }
    return { stroke: new Path2D(), fill: path, clip: undefined, flags: 0 };
  };

const dots = (color: string, size: number) => ({ stroke: color, fill: color, width: 0, paths: markPaths(size), points: { show: false } });

export function ProgressChart({ tick }: { tick: number }) {
  const { data, error } = useLive<Progress>('progress', {}, tick);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hover, setHover] = useState<string>('');
  const dataRef = useRef<Progress | undefined>(undefined);
  dataRef.current = data;

  useEffect(() => {
    if (!data || !box.current) return;
    const columns = toColumns(data) as uPlot.AlignedData;
    if (plot.current) {
      plot.current.setData(columns, !plot.current.select.width && !zoomed(plot.current));
      return;
    }
    const opts: uPlot.Options = {
      width: box.current.clientWidth || 800,
      height: 320,
      cursor: { drag: { x: true, y: true, uni: 30 }, points: { size: 9 } },
      scales: {
        x: { time: true },
        // Keep the baseline and the target in view (they are not series, so uPlot would not).
        y: {
          range: (_u, lo, hi) => {
            const p = dataRef.current;
            const extra = [p?.baseline, p?.target].filter((v): v is number => v !== null && v !== undefined);
            const [a, b] = [Math.min(lo, ...extra), Math.max(hi, ...extra)];
            const pad = (b - a || Math.abs(a) || 1) * 0.05;
            return [a - pad, b + pad];
          },
        },
      },
      legend: { show: true, live: false },
      series: [
        {},
        { label: 'accepted', ...dots('#1a9850', 7) },
        { label: 'rejected', ...dots('rgba(90,110,160,0.55)', 4) },
        { label: 'failed', ...dots('#d73027', 4) },
        { label: 'best so far', stroke: '#1a9850', width: 2, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } },
        { label: 'champion noise high', stroke: 'rgba(26,152,80,0.2)', paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } },
        { label: 'champion noise low', stroke: 'rgba(26,152,80,0.2)', paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } },
      ],
      bands: [{ series: [5, 6], fill: 'rgba(26,152,80,0.12)' }],
      axes: [{}, { size: 70, values: (_u, vals) => vals.map((v) => fmtScore(v)) }],
      hooks: {
        // Baseline and target are horizontal lines drawn here, not 100,000-entry series.
        draw: [
          (u) => {
            const p = dataRef.current;
            if (!p) return;
            const line = (v: number | null, color: string, dash: number[]) => {
              if (v === null) return;
              const y = Math.round(u.valToPos(v, 'y', true));
              if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
              u.ctx.save();
              u.ctx.strokeStyle = color;
              u.ctx.setLineDash(dash.map((d) => d * devicePixelRatio));
              u.ctx.lineWidth = devicePixelRatio;
              u.ctx.beginPath();
              u.ctx.moveTo(u.bbox.left, y);
              u.ctx.lineTo(u.bbox.left + u.bbox.width, y);
              u.ctx.stroke();
              u.ctx.restore();
            };
            line(p.baseline, '#888', [6, 4]);
            line(p.target, '#e08214', [2, 4]);
          },
        ],
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            const p = dataRef.current;
            if (i === null || i === undefined || !p || i >= p.points.id.length) return setHover('');
            setHover(
              `#${p.points.id[i]} · ${KIND_NAMES[p.points.kind[i]]} · score ${fmtScore(p.points.score[i])} · ${new Date(p.start + p.points.t[i]).toLocaleTimeString()}`,
            );
          },
        ],
      },
    };
    const u = new uPlot(opts, columns, box.current);
    plot.current = u;
    u.over.addEventListener('click', () => {
      const i = u.cursor.idx;
      const p = dataRef.current;
      if (i !== null && i !== undefined && p && !u.select.width) location.hash = `#/candidate/${p.points.id[i]}`;
    });
    const resize = new ResizeObserver(() => box.current && u.setSize({ width: box.current.clientWidth, height: 320 }));
    resize.observe(box.current);
    return undefined;
  }, [data]);
  useEffect(() => () => plot.current?.destroy(), []);

  const n = data?.points.id.length ?? 0;
  return html`<div class="panel progress" data-testid="progress" data-points=${n} data-ready=${data ? '1' : '0'}>
    <h3>
      Score over time
      ${data && html`<span class="legend-extra"><span class="baseline-key">- - baseline ${fmtScore(data.baseline)}</span>${data.target !== null ? html` <span class="target-key">··· target ${fmtScore(data.target)}</span>` : ''}</span>`}
      <span class="muted">(${n.toLocaleString('en-US')} evaluated · drag to zoom, double-click to reset, click a point to open it)</span>
    </h3>
    ${error && html`<div class="error">${error}</div>`}
    <div ref=${box} class="chart"></div>
    <div class="hover" data-testid="progress-hover">${hover || '\u00a0'}</div>
  </div>`;
}

function zoomed(u: uPlot): boolean {
  const x = u.scales.x;
  const xs = u.data[0];
  return xs.length > 0 && x.min !== undefined && x.max !== undefined && (x.min > (xs[0] as number) || x.max < (xs[xs.length - 1] as number));
}
