// What the run cost: cumulative tokens and dollars over time, by model and by operator,
// and dollars per accepted improvement.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { fmtInt, fmtUsd } from './format.js';
import { html, useLive } from './live.js';

interface Group {
  key: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  usd: number;
  candidates?: number;
  accepted?: number;
}

interface Spend {
  series: { t: number[]; tokens: number[]; usd: number[] };
  byModel: Group[];
  byOperator: Group[];
  totalUsd: number;
  accepted: number;
  usdPerAccepted: number | null;
}

export function SpendView({ tick }: { tick: number }) {
  const { data, error } = useLive<Spend>('spend', {}, tick);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    if (!data || !box.current || data.series.t.length === 0) return;
    const cols = [data.series.t.map((t) => t / 1000), data.series.usd, data.series.tokens] as uPlot.AlignedData;
    if (plot.current) return void plot.current.setData(cols);
    plot.current = new uPlot(
      {
        width: box.current.clientWidth || 800,
        height: 260,
        scales: { x: { time: true }, usd: {}, tok: {} },
        series: [
          {},
          { label: 'dollars', scale: 'usd', stroke: '#d73027', width: 2, value: (_u, v) => fmtUsd(v) },
          { label: 'tokens', scale: 'tok', stroke: '#4575b4', width: 2 },
        ],
        axes: [{}, { scale: 'usd', values: (_u, vs) => vs.map((v) => fmtUsd(v)), size: 70 }, { scale: 'tok', side: 1, size: 70 }],
      },
      cols,
      box.current,
    );
  }, [data]);
  useEffect(() => () => plot.current?.destroy(), []);
  if (error && !data) return html`<div class="error">${error}</div>`;
  if (!data) return html`<div class="loading">loading…</div>`;
  const table = (title: string, rows: Group[], outcomes: boolean) =>
    html`<h3>${title}</h3>
      <table class="spend">
        <thead>
          <tr>
            <th></th>
            <th>calls</th>
            <th>input tokens</th>
            <th>output tokens</th>
            <th>dollars</th>
            ${
              outcomes &&
              html`<th>candidates</th>
                <th>accepted</th>
                <th>$ / accepted</th>`
            }
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (g) =>
              html`<tr>
                <td>${g.key}</td>
                <td class="num">${fmtInt(g.calls)}</td>
                <td class="num">${fmtInt(g.inputTokens)}</td>
                <td class="num">${fmtInt(g.outputTokens)}</td>
                <td class="num">${fmtUsd(g.usd)}</td>
                ${
                  outcomes &&
                  html`<td class="num">${fmtInt(g.candidates)}</td>
                    <td class="num">${fmtInt(g.accepted)}</td>
                    <td class="num">${g.accepted ? fmtUsd(g.usd / g.accepted) : '—'}</td>`
                }
              </tr>`,
          )}
        </tbody>
      </table>`;
  return html`<section class="panel spend" data-testid="spend">
    <h3>
      Spend: <b>${fmtUsd(data.totalUsd)}</b> · ${data.accepted} accepted improvement${data.accepted === 1 ? '' : 's'} ·
      ${data.usdPerAccepted !== null ? html`<b>${fmtUsd(data.usdPerAccepted)}</b> per accepted improvement` : 'no accepted improvement yet'}
    </h3>
    ${data.series.t.length === 0 ? html`<p class="muted">No model calls in this run (offline operators only), so nothing was spent on tokens.</p>` : html`<div ref=${box} class="chart"></div>`}
    ${data.byModel.length > 0 && table('By model', data.byModel, false)} ${table('By operator', data.byOperator, true)}
  </section>`;
}
