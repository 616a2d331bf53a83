// Islands (the islands strategy only): each island's best score as a heat map cell,
// with its candidate and acceptance counts. Shown only when candidates carry an island.
import { fmtInt, fmtScore } from './format.js';
import { html, useLive } from './live.js';

interface Island {
  island: number;
  candidates: number;
  accepted: number;
  best: number | null;
}

export function IslandsView({ tick, goal }: { tick: number; goal: string }) {
  const { data } = useLive<Island[]>('islands', {}, tick);
  if (!data || data.length === 0) return null;
  const scores = data.map((d) => d.best).filter((b): b is number => b !== null);
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  const heat = (b: number | null) => {
    if (b === null) return '#eee';
    const f = hi === lo ? 1 : (b - lo) / (hi - lo);
    const good = goal === 'maximize' ? f : 1 - f;
    return `hsl(${Math.round(10 + good * 110)}, 65%, ${Math.round(80 - good * 35)}%)`;
  };
  return html`<section class="panel islands" data-testid="islands">
    <h3>Islands <span class="muted">(best score per island)</span></h3>
    <div class="island-grid">
      ${data.map(
        (d) =>
          html`<div class="island" style=${{ background: heat(d.best) }}>
            <b>island ${d.island}</b>
            <div>${fmtScore(d.best)}</div>
            <div class="muted">${fmtInt(d.candidates)} candidates · ${d.accepted} accepted</div>
          </div>`,
      )}
    </div>
  </section>`;
}
