// Time against input size for the candidate's sort and the shipped one (baseline-sort.mjs),
// drawn as an SVG for evoloop's artifacts. Measured after the score, so it never changes it.
import { rng } from './workload.mjs';

const SIZES = [500, 2000, 8000, 32000];
const ROUNDS = 5; // the fastest of these per size: the plot shows shape, not noise

/** Milliseconds per size for each named sort: {name: [ms, ...]}. Rounds alternate between the sorts, so a pause (GC) hits neither more. */
export function timeBySize(sorts, seed) {
  const random = rng(seed ^ 0x5eed);
  const inputs = SIZES.map((n) => Array.from({ length: n }, () => random() * 2e6 - 1e6));
  const byNumber = (a, b) => a - b;
  const names = Object.keys(sorts);
  const best = Object.fromEntries(names.map((name) => [name, SIZES.map(() => Infinity)]));
  inputs.forEach((input, i) => {
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of r % 2 ? [...names].reverse() : names) {
        const copy = input.slice();
        const start = performance.now();
        sorts[name](copy, byNumber);
        best[name][i] = Math.min(best[name][i], performance.now() - start);
      }
    }
  });
  return best;
}

const W = 480;
const H = 300;
const M = { left: 58, right: 30, top: 30, bottom: 42 };
const COLORS = { candidate: '#d73027', baseline: '#7a8396' };

/** A log-log line plot of timeBySize's result. */
export function timingSvg(series, title) {
  const all = Object.values(series).flat().filter((v) => v > 0);
  const [y0, y1] = [Math.log10(Math.min(...all)) - 0.1, Math.log10(Math.max(...all)) + 0.1];
  const [x0, x1] = [Math.log10(SIZES[0]), Math.log10(SIZES.at(-1))];
  const sx = (n) => M.left + ((Math.log10(n) - x0) / (x1 - x0)) * (W - M.left - M.right);
  const sy = (ms) => M.top + (1 - (Math.log10(Math.max(ms, 1e-6)) - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const f = (v) => v.toFixed(1);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${M.left}" y="18" font-size="13" font-weight="bold">${title}</text>`,
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#ccc"/>`,
  ];
  for (const n of SIZES) {
    out.push(`<text x="${f(sx(n))}" y="${H - M.bottom + 15}" text-anchor="middle">${n.toLocaleString('en-US')}</text>`);
  }
  for (let e = Math.ceil(y0); e <= Math.floor(y1); e++) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(sy(10 ** e))}" y2="${f(sy(10 ** e))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(sy(10 ** e) + 4)}" text-anchor="end">${10 ** e} ms</text>`);
  }
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 8}" text-anchor="middle" fill="#555">array length (random floats), log scale</text>`);
  let row = 0;
  for (const [name, times] of Object.entries(series)) {
    const color = COLORS[name] ?? '#2456a6';
    const points = times.map((ms, i) => `${f(sx(SIZES[i]))},${f(sy(ms))}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [i, ms] of times.entries()) out.push(`<circle cx="${f(sx(SIZES[i]))}" cy="${f(sy(ms))}" r="3" fill="${color}"/>`);
    const y = M.top + 14 + row++ * 15;
    out.push(`<text x="${M.left + 10}" y="${y}" fill="${color}">${name}: ${times.map((ms) => ms.toFixed(2)).join(' / ')} ms</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
