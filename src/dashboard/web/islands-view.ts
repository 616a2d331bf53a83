// Islands (the islands strategy only): each island's MAP-Elites archive drawn as a heat map,
// one square per cell (rows: the first feature's bins, columns: the others'), coloured by
// its elite's score on one scale for all islands; empty cells grey. A cell links to its elite.
import { fmtInt, fmtScore } from './format.js';
import { html, useLive } from './live.js';

interface Island {
  id: number;
  best: number | null;
  bestCandidate: number | null;
  candidates: number;
  cells: number;
  grid: { cell: string; candidateId: number; score: number | null }[];
  /** Bins per feature; [K] for a best-K archive. */
  shape: number[];
}

/** Row and column of a cell key ("3,1", "2,0,1" or "elite-4") in a grid of this shape. */
function position(cell: string, shape: number[]): [number, number] {
  if (cell.startsWith('elite-')) return [0, Number(cell.slice(6))];
  const bins = cell.split(',').map(Number);
  if (bins.length === 1) return [0, bins[0]];
  const col = bins.slice(1).reduce((c, b, i) => c * shape[i + 1] + b, 0);
  return [bins[0], col];
}

export function IslandsView({ tick, goal }: { tick: number; goal: string }) {
  const { data } = useLive<Island[]>('islands', {}, tick);
  if (!data || data.length === 0) return null;
  const scores = data.flatMap((d) => d.grid.map((c) => c.score)).filter((s): s is number => s !== null);
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  const heat = (s: number | null) => {
    if (s === null) return '#eee';
    const f = hi === lo ? 1 : (s - lo) / (hi - lo);
    const good = goal === 'maximize' ? f : 1 - f;
    return `hsl(${Math.round(10 + good * 110)}, 65%, ${Math.round(80 - good * 35)}%)`;
  };
  return html`<section class="panel islands" data-testid="islands">
    <h3>Islands <span class="muted">(each island's archive; colour = elite score, grey = empty cell)</span></h3>
    <div class="island-grid">
      ${data.map((d) => {
        const shape = d.shape;
        const rows = d.grid[0]?.cell.startsWith('elite-') || shape.length === 1 ? 1 : shape[0];
        const cols = shape.length === 1 ? shape[0] : shape.slice(1).reduce((a, b) => a * b, 1);
        const at = new Map(d.grid.map((c) => [position(c.cell, shape).join(':'), c]));
        const squares = [];
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            const cell = at.get(`${r}:${c}`);
            squares.push(
              cell
                ? html`<a
                    class="cell"
                    data-testid="island-cell"
                    href=${`#/candidate/${cell.candidateId}`}
                    title=${`cell ${cell.cell}: #${cell.candidateId}, ${fmtScore(cell.score)}`}
                    style=${{ background: heat(cell.score) }}
                  ></a>`
                : html`<span class="cell empty" style=${{ background: heat(null) }}></span>`,
            );
          }
        }
        return html`<div class="island" data-testid="island">
          <b>island ${d.id}</b> · best
          <b>${fmtScore(d.best)}</b>${d.bestCandidate !== null ? html` <a href=${`#/candidate/${d.bestCandidate}`}>#${d.bestCandidate}</a>` : ''}
          <div class="heatmap" style=${{ gridTemplateColumns: `repeat(${cols}, 14px)` }}>${squares}</div>
          <div class="muted">${fmtInt(d.candidates)} candidates · ${d.cells} cells</div>
        </div>`;
      })}
    </div>
  </section>`;
}
