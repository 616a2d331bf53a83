// What the verifier kept of candidates' runs, side by side: one column per candidate (this
// one, its parent, the champion; or the two of a comparison), one row per artifact (stage and
// name), at the repeat picked. Images are <img> elements only: an SVG written by candidate
// code runs no script there (and the server sandboxes it besides). Text is fetched as text
// and shown escaped, with a search; other files are links that download.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { fmtBytes, type ArtifactInfo } from '../../core/artifact-types.js';
import { apiUrl } from './api.js';
import { html, useLive } from './live.js';

export interface Column {
  label: string;
  id: number;
}

export const artifactUrl = (a: Pick<ArtifactInfo, 'id'>, download = false) => apiUrl(`artifacts/${a.id}`, download ? { download: 1 } : {});

export function ArtifactColumns({ columns, tick }: { columns: Column[]; tick: number }) {
  const { data, error } = useLive<Record<string, ArtifactInfo[]>>('artifacts', { candidates: columns.map((c) => c.id).join(',') }, tick);
  const [repeat, setRepeat] = useState(0);
  if (error && !data) return html`<div class="error">${error}</div>`;
  const loaded = columns.map((c) => data?.[c.id] ?? []);
  const all = loaded.flat();
  const repeats = [...new Set(all.map((a) => a.repeat))].sort((x, y) => x - y);
  const rows = [...new Map(all.map((a) => [`${a.stage}\u0000${a.name}`, a])).values()];
  if (all.length === 0)
    return html`<h3>Artifacts</h3>
      <p class="muted" data-testid="artifacts-none">
        no artifacts: the verifier wrote nothing to <code>$EVOLOOP_ARTIFACTS</code> for ${columns.map((c) => `#${c.id}`).join(', ')}
      </p>`;
  const pick = (list: ArtifactInfo[], stage: string, name: string) => {
    const same = list.filter((a) => a.stage === stage && a.name === name && a.epoch === 0);
    return same.find((a) => a.repeat === repeat) ?? same[0];
  };
  return html`<h3>Artifacts <span class="muted">(what the verifier kept; images, text and files)</span></h3>
    ${
      repeats.length > 1 &&
      html`<div class="switch">
        repeat
        ${repeats.map((r) => html`<button class=${r === repeat ? 'active' : ''} data-testid="artifact-repeat" onClick=${() => setRepeat(r)}>${r}</button>`)}
      </div>`
    }
    <div class="artifact-grid" style=${`grid-template-columns: repeat(${columns.length}, minmax(0, 1fr))`} data-testid="artifacts">
      ${columns.map((c) => html`<div class="artifact-head"><a href=${`#/candidate/${c.id}`}>#${c.id}</a> ${c.label}</div>`)}
      ${rows.map((row) =>
        columns.map((c, i) => {
          const a = pick(loaded[i], row.stage, row.name);
          return html`<div class="artifact-cell" data-candidate=${c.id}>
            <div class="artifact-name">${row.stage} · ${row.name}</div>
            ${a ? html`<${Artifact} a=${a} />` : html`<span class="muted">—</span>`}
          </div>`;
        }),
      )}
    </div>`;
}

export function Artifact({ a }: { a: ArtifactInfo }) {
  if (a.hash === null) return html`<div class="muted" data-testid="artifact-note">${fmtBytes(a.size)} — ${a.note}</div>`;
  if (a.type === 'image') {
    return html`<a href=${artifactUrl(a)} target="_blank" rel="noopener"
      ><img class="artifact-image" data-testid="artifact-image" data-name=${a.name} src=${artifactUrl(a)} alt=${a.name} loading="lazy"
    /></a>`;
  }
  if (a.type === 'text') return html`<${TextViewer} a=${a} />`;
  return html`<a href=${artifactUrl(a, true)} data-testid="artifact-download">download ${a.name}</a> <span class="muted">(${fmtBytes(a.size)})</span>`;
}

const SHOWN_CHARS = 200_000;

/** A text artifact, escaped (Preact renders it as text), with a search that marks matching lines. */
export function TextViewer({ a }: { a: ArtifactInfo }) {
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [query, setQuery] = useState('');
  useEffect(() => {
    fetch(artifactUrl(a))
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`${r.status} ${r.statusText}`))))
      .then(setText, (e: Error) => setError(e.message));
  }, [a.id]);
  const lines = useMemo(() => (text ?? '').slice(0, SHOWN_CHARS).split('\n'), [text]);
  if (error) return html`<div class="error">${error}</div>`;
  if (text === null) return html`<span class="muted">loading…</span>`;
  const q = query.toLowerCase();
  // Searching shows the matching lines only, each with its line number.
  const shown = lines.map((l, i) => ({ l, n: i + 1 })).filter(({ l }) => !q || l.toLowerCase().includes(q));
  const mark = (line: string) => {
    if (!q) return line;
    const out: unknown[] = [];
    let at = 0;
    const lower = line.toLowerCase();
    for (let i = lower.indexOf(q); i >= 0; i = lower.indexOf(q, at)) {
      out.push(line.slice(at, i), html`<mark>${line.slice(i, i + q.length)}</mark>`);
      at = i + q.length;
    }
    out.push(line.slice(at));
    return out;
  };
  return html`<div class="text-viewer" data-testid="artifact-text">
    <div class="text-tools">
      <input
        type="search"
        placeholder="search"
        value=${query}
        data-testid="artifact-search"
        onInput=${(e: Event) => setQuery((e.target as HTMLInputElement).value)}
      />
      ${q && html`<span class="muted" data-testid="artifact-hits">${shown.length} matching line${shown.length === 1 ? '' : 's'}</span>`}
      <a href=${artifactUrl(a, true)}>download</a> <span class="muted">${fmtBytes(a.size)}</span>
    </div>
    <pre>${shown.map(({ l, n }) => html`<div>${q && html`<span class="line-no">${n}</span>`}${mark(l)}</div>`)}</pre>
    ${text.length > SHOWN_CHARS && html`<div class="muted">first ${SHOWN_CHARS.toLocaleString('en-US')} characters shown; download for the rest</div>`}
  </div>`;
}
