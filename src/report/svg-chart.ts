// The score-over-time chart as a standalone SVG string, drawn on the server (no browser):
// accepted / rejected / failed marks, best-so-far steps with the champion's noise band,
// baseline and target lines. Points that would land on the same pixel are drawn once,
// so a 100,000-candidate run still makes a small file.
import type { Progress } from '../dashboard/queries.js';

export interface ChartOptions {
  width?: number;
  height?: number;
  title?: string;
}

const M = { left: 64, right: 16, top: 28, bottom: 40 };
const COLOR = { accepted: '#1a9850', rejected: '#8390b0', failed: '#d73027', band: '#1a9850', baseline: '#888', target: '#e08214' };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function scoreChartSvg(p: Progress, opts: ChartOptions = {}): string {
  const W = opts.width ?? 800;
  const H = opts.height ?? 320;
  const n = p.points.t.length;
  const scores = p.points.score.filter((s): s is number => s !== null);
  const ys = [...scores, ...p.champions.flatMap((c) => [c.lo, c.hi]), ...(p.baseline !== null ? [p.baseline] : []), ...(p.target !== null ? [p.target] : [])];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.06;
  [y0, y1] = [y0 - pad, y1 + pad];
  // Times are ms after the run started.
  const t0 = 0;
  const t1 = Math.max(1000, ...(n ? [p.points.t[n - 1]] : []));
  const sx = (t: number) => M.left + ((t - t0) / (t1 - t0)) * (W - M.left - M.right);
  const sy = (v: number) => M.top + (1 - (v - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const f = (v: number) => v.toFixed(1);
  const worst = p.goal === 'maximize' ? y0 + pad / 2 : y1 - pad / 2;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  if (opts.title) out.push(`<text x="${M.left}" y="17" font-size="13" font-weight="bold">${escapeXml(opts.title)}</text>`);
  // Axes and grid.
  for (const v of ticks(y0, y1, 5)) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(sy(v))}" y2="${f(sy(v))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(sy(v) + 4)}" text-anchor="end">${escapeXml(fmt(v))}</text>`);
  }
  const minutes = (t1 - t0) / 60_000;
  for (const m of ticks(0, minutes, 6)) {
    const x = sx(t0 + m * 60_000);
    out.push(`<line x1="${f(x)}" x2="${f(x)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#f3f3f3"/>`);
    out.push(`<text x="${f(x)}" y="${H - M.bottom + 15}" text-anchor="middle">${escapeXml(fmt(m))}</text>`);
  }
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle" fill="#555">minutes since the run started</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#ccc"/>`);
  // Champion noise band and best-so-far steps.
  if (p.champions.length) {
    const end = sx(t1);
    const steps = p.champions.map((c, i) => ({ c, x0: sx(c.t), x1: i + 1 < p.champions.length ? sx(p.champions[i + 1].t) : end }));
    const upper = steps.flatMap(({ c, x0, x1 }) => [`${f(x0)},${f(sy(c.hi))}`, `${f(x1)},${f(sy(c.hi))}`]);
    const lower = steps.flatMap(({ c, x0, x1 }) => [`${f(x0)},${f(sy(c.lo))}`, `${f(x1)},${f(sy(c.lo))}`]).reverse();
    out.push(`<polygon class="noise-band" points="${[...upper, ...lower].join(' ')}" fill="${COLOR.band}" fill-opacity="0.12"/>`);
    const best = steps.flatMap(({ c, x0, x1 }) => [`${f(x0)},${f(sy(c.score))}`, `${f(x1)},${f(sy(c.score))}`]);
    out.push(`<polyline class="best-so-far" points="${best.join(' ')}" fill="none" stroke="${COLOR.accepted}" stroke-width="2"/>`);
  }
  const hline = (v: number | null, color: string, dash: string, cls: string, label: string) => {
    if (v === null) return;
    out.push(`<line class="${cls}" x1="${M.left}" x2="${W - M.right}" y1="${f(sy(v))}" y2="${f(sy(v))}" stroke="${color}" stroke-dasharray="${dash}"/>`);
    out.push(`<text x="${W - M.right - 4}" y="${f(sy(v) - 4)}" text-anchor="end" fill="${color}">${escapeXml(label)}</text>`);
  };
  hline(p.baseline, COLOR.baseline, '6 4', 'baseline', `baseline ${fmt(p.baseline ?? 0)}`);
  hline(p.target, COLOR.target, '2 4', 'target', `target ${fmt(p.target ?? 0)}`);
  // Marks: rejected and failed first (under), accepted on top. Rejected and failed marks
  // that would land in the same 2-pixel cell are drawn once; champions never are thinned.
  const seen = new Set<string>();
  const marks: string[][] = [[], [], []];
  for (let i = 0; i < n; i++) {
    const k = p.points.kind[i];
    const s = p.points.score[i];
    const x = sx(p.points.t[i]);
    const y = sy(s ?? worst);
    const key = `${k}:${Math.round(x / 2)}:${Math.round(y / 2)}`;
    if (k > 1 && seen.has(key)) continue;
    seen.add(key);
    const id = p.points.id[i];
    if (k <= 1) marks[2].push(`<circle data-id="${id}" cx="${f(x)}" cy="${f(y)}" r="4"><title>#${id} ${escapeXml(fmt(s ?? 0))}</title></circle>`);
    else if (k === 2) marks[0].push(`<circle data-id="${id}" cx="${f(x)}" cy="${f(y)}" r="2.5"/>`);
    else marks[1].push(`<path data-id="${id}" d="M${f(x - 3)},${f(y - 3)}l6,6m0,-6l-6,6"/>`);
  }
  out.push(`<g class="rejected" fill="${COLOR.rejected}" fill-opacity="0.7">`, ...marks[0], '</g>');
  out.push(`<g class="failed" stroke="${COLOR.failed}" stroke-width="1.5">`, ...marks[1], '</g>');
  out.push(`<g class="accepted" fill="${COLOR.accepted}">`, ...marks[2], '</g>');
  // Legend.
  const legend: [string, string][] = [
    ['accepted', COLOR.accepted],
    ['rejected', COLOR.rejected],
    ['failed (no score, on the bottom edge)', COLOR.failed],
  ];
  let lx = M.left + 220;
  for (const [label, color] of legend) {
    out.push(`<circle cx="${lx}" cy="13" r="4" fill="${color}"/><text x="${lx + 8}" y="17">${escapeXml(label)}</text>`);
    lx += 30 + label.length * 6;
  }
  out.push('</svg>');
  return out.join('\n');
}

/** One run's best-so-far steps over candidates proposed, for the side-by-side chart. */
export interface Curve {
  label: string;
  points: { x: number; score: number }[];
  /** Where its line ends (its number of candidates). */
  end: number;
}

const CURVE_COLORS = ['#1a9850', '#4575b4', '#d73027'];

/** Best-so-far of several runs against candidates proposed (not time: runs go at different speeds), with the baseline. */
export function curvesChartSvg(curves: Curve[], baseline: number | null, opts: ChartOptions = {}): string {
  const W = opts.width ?? 800;
  const H = opts.height ?? 280;
  const ys = [...curves.flatMap((c) => c.points.map((p) => p.score)), ...(baseline !== null ? [baseline] : [])];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.08;
  [y0, y1] = [y0 - pad, y1 + pad];
  const x1 = Math.max(1, ...curves.map((c) => c.end));
  const sx = (x: number) => M.left + (x / x1) * (W - M.left - M.right);
  const sy = (v: number) => M.top + (1 - (v - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  if (opts.title) out.push(`<text x="${M.left}" y="17" font-size="13" font-weight="bold">${escapeXml(opts.title)}</text>`);
  for (const v of ticks(y0, y1, 5)) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(sy(v))}" y2="${f(sy(v))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(sy(v) + 4)}" text-anchor="end">${escapeXml(fmt(v))}</text>`);
  }
  for (const x of ticks(0, x1, 6).filter((x) => Number.isInteger(x))) {
    out.push(`<text x="${f(sx(x))}" y="${H - M.bottom + 15}" text-anchor="middle">${x}</text>`);
  }
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle" fill="#555">candidates proposed</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#ccc"/>`);
  if (baseline !== null) {
    out.push(
      `<line class="baseline" x1="${M.left}" x2="${W - M.right}" y1="${f(sy(baseline))}" y2="${f(sy(baseline))}" stroke="#888" stroke-dasharray="6 4"/>`,
    );
  }
  let lx = M.left + 220;
  curves.forEach((c, i) => {
    const color = CURVE_COLORS[i % CURVE_COLORS.length];
    const steps = c.points.flatMap((p, k) => {
      const next = k + 1 < c.points.length ? c.points[k + 1].x : c.end;
      return [`${f(sx(p.x))},${f(sy(p.score))}`, `${f(sx(next))},${f(sy(p.score))}`];
    });
    out.push(`<polyline class="curve" data-run="${escapeXml(c.label)}" points="${steps.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    out.push(`<line x1="${lx}" x2="${lx + 14}" y1="13" y2="13" stroke="${color}" stroke-width="2"/><text x="${lx + 18}" y="17">${escapeXml(c.label)}</text>`);
    lx += 40 + c.label.length * 6;
  });
  out.push('</svg>');
  return out.join('\n');
}

function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(5)));
}
