// The candidate table: filtered, sorted and paged by the server, so it stays fast at
// 100,000 rows. Clicking a row opens the candidate.
import { useState } from 'preact/hooks';
import { fmtDuration, fmtInt, fmtScore, fmtUsd } from './format.js';
import { html, useLive } from './live.js';
import type { CandidateRow as Row } from '../api.js';

interface Facets {
  statuses: Record<string, number>;
  operators: string[];
  models: string[];
  islands: number[];
}

const PAGE = 50;
const COLUMNS: [key: string | null, label: string][] = [
  ['id', '#'],
  ['status', 'status'],
  ['score', 'score'],
  ['operator', 'operator'],
  ['model', 'model'],
  [null, 'change / reason'],
  ['usd', 'cost'],
  ['eval', 'eval time'],
];

export function CandidateTable({ tick }: { tick: number }) {
  const [filter, setFilter] = useState({ status: '', operator: '', model: '', island: '', q: '' });
  const [sort, setSort] = useState({ key: 'id', dir: 'desc' as 'asc' | 'desc' });
  const [page, setPage] = useState(0);
  const facets = useLive<Facets>('facets', {}, tick).data;
  const { data, error } = useLive<{ total: number; rows: Row[] }>(
    'candidates',
    { ...filter, sort: sort.key, dir: sort.dir, offset: page * PAGE, limit: PAGE },
    tick,
  );
  const set = (k: keyof typeof filter) => (e: Event) => {
    setFilter({ ...filter, [k]: (e.target as HTMLInputElement).value });
    setPage(0);
  };
  const sortBy = (key: string) => {
    setSort(sort.key === key ? { key, dir: sort.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: key === 'id' ? 'desc' : 'asc' });
    setPage(0);
  };
  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE)) : 1;
  const select = (k: keyof typeof filter, label: string, values: (string | number)[], counts?: Record<string, number>) =>
    html`<label
      >${label}
      <select data-testid=${`filter-${k}`} value=${filter[k]} onChange=${set(k)}>
        <option value="">all</option>
        ${values.map((v) => html`<option value=${String(v)}>${v}${counts ? ` (${fmtInt(counts[v as string])})` : ''}</option>`)}
      </select></label
    >`;

  return html`<div class="panel table" data-testid="candidates" data-ready=${data ? '1' : '0'}>
    <div class="filters">
      ${select('status', 'status', Object.keys(facets?.statuses ?? {}), facets?.statuses)} ${select('operator', 'operator', facets?.operators ?? [])}
      ${(facets?.models.length ?? 0) > 0 && select('model', 'model', facets!.models)}
      ${(facets?.islands.length ?? 0) > 0 && select('island', 'island', facets!.islands)}
      <label>search <input type="search" data-testid="filter-q" placeholder="change or reason" value=${filter.q} onInput=${set('q')} /></label>
      <span class="muted" data-testid="table-total">${data ? `${fmtInt(data.total)} matching` : ''}</span>
    </div>
    ${error && html`<div class="error">${error}</div>`}
    <table>
      <thead>
        <tr>
          ${COLUMNS.map(
            ([key, label]) =>
              html`<th class=${key ? 'sortable' : ''} onClick=${key ? () => sortBy(key) : undefined}>
                ${label}${sort.key === key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
              </th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${data?.rows.map(
          (r) =>
            html`<tr key=${r.id} data-id=${r.id} data-status=${r.status} onClick=${() => (location.hash = `#/candidate/${r.id}`)}>
              <td><a href=${`#/candidate/${r.id}`}>${r.id}</a></td>
              <td><span class=${`st st-${r.status}`}>${r.status}</span>${r.flags.map((f) => html` <span class="badge warn">${f}</span>`)}</td>
              <td class="num">${fmtScore(r.score)}</td>
              <td>${r.operator}</td>
              <td>${r.model ?? ''}</td>
              <td class="what">
                ${r.status === 'accepted' || r.status === 'rejected' || r.status === 'baseline' ? r.description : (r.reason ?? r.description)}
              </td>
              <td class="num">${r.usd ? fmtUsd(r.usd) : ''}${r.tokens ? html`<div class="muted">${fmtInt(r.tokens)} tok</div>` : ''}</td>
              <td class="num">${fmtDuration(r.evalMs)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <div class="pager">
      <button disabled=${page === 0} onClick=${() => setPage(page - 1)}>← previous</button>
      <span>page ${page + 1} of ${fmtInt(pages)}</span>
      <button disabled=${page + 1 >= pages} data-testid="next-page" onClick=${() => setPage(page + 1)}>next →</button>
    </div>
  </div>`;
}
