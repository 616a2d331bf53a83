// Two candidates side by side (#/compare/A/B): the change from A's program to B's, their
// metrics with the difference, their verdicts, and their artifacts.
import { useState } from 'preact/hooks';
import type { Verdict } from '../../store/verdict.js';
import { ArtifactColumns } from './artifacts-view.js';
import { DiffView } from './diff-view.js';
import { fmtScore } from './format.js';
import { html, useLive } from './live.js';

interface Side {
  id: number;
  status: string;
  reason: string | null;
  score: number | null;
  metrics: Record<string, number> | null;
  verdict: Verdict | null;
  operator: string;
  description: string;
  parentId: number | null;
}

interface Comparison {
  a: Side;
  b: Side;
  diff: { patch: string } | { error: string };
}

const verdictText = (v: Verdict | null) => (!v ? '—' : v.kind === 'decided' ? `${v.decision}: ${v.reason}` : 'baseline (noise floor measured)');

export function ComparePage({ a, b, tick }: { a: number; b: number; tick: number }) {
  const { data, error } = useLive<Comparison>('compare', { a, b }, tick);
  if (error && !data) return html`<div class="error">${error}</div>`;
  if (!data) return html`<div class="loading">loading #${a} and #${b}…</div>`;
  const names = [...new Set([...Object.keys(data.a.metrics ?? {}), ...Object.keys(data.b.metrics ?? {})])].sort();
  const cell = (s: Side) => html`<a href=${`#/candidate/${s.id}`}>#${s.id}</a> <span class=${`st st-${s.status}`}>${s.status}</span>`;
  return html`<section class="compare" data-testid="compare-page">
    <h2>Compare ${cell(data.a)} → ${cell(data.b)}</h2>
    <${ComparePicker} a=${a} b=${b} />
    <table class="kv" data-testid="compare-table">
      <thead>
        <tr>
          <th></th>
          <th>#${data.a.id}</th>
          <th>#${data.b.id}</th>
          <th>difference</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <th>score</th>
          <td class="num">${fmtScore(data.a.score)}</td>
          <td class="num">${fmtScore(data.b.score)}</td>
          <td class="num">${data.a.score !== null && data.b.score !== null ? fmtScore(data.b.score - data.a.score) : '—'}</td>
        </tr>
        ${names.map((n) => {
          const [x, y] = [data.a.metrics?.[n], data.b.metrics?.[n]];
          return html`<tr>
            <th>${n}</th>
            <td class="num">${fmtScore(x)}</td>
            <td class="num">${fmtScore(y)}</td>
            <td class="num">${x !== undefined && y !== undefined ? fmtScore(y - x) : '—'}</td>
          </tr>`;
        })}
        <tr>
          <th>verdict</th>
          <td>${verdictText(data.a.verdict)}</td>
          <td>${verdictText(data.b.verdict)}</td>
          <td></td>
        </tr>
        <tr>
          <th>change</th>
          <td>${data.a.operator}: ${data.a.description || data.a.reason || '—'}</td>
          <td>${data.b.operator}: ${data.b.description || data.b.reason || '—'}</td>
          <td></td>
        </tr>
      </tbody>
    </table>
    <h3>Change from #${data.a.id} to #${data.b.id}</h3>
    ${'error' in data.diff ? html`<div class="error">${data.diff.error}</div>` : html`<${DiffView} patch=${data.diff.patch} testid="compare-diff" />`}
    <${ArtifactColumns}
      columns=${[
        { label: '', id: data.a.id },
        { label: '', id: data.b.id },
      ]}
      tick=${tick}
    />
  </section>`;
}

/** Compare this candidate with another one, by id. */
export function ComparePicker({ a, b }: { a: number; b?: number }) {
  const [other, setOther] = useState(b !== undefined ? String(b) : '');
  const go = (e: Event) => {
    e.preventDefault();
    if (/^\d+$/.test(other.trim())) location.hash = `#/compare/${a}/${other.trim()}`;
  };
  return html`<form class="compare-picker" onSubmit=${go}>
    compare #${a} with #<input size="6" value=${other} data-testid="compare-with" onInput=${(e: Event) => setOther((e.target as HTMLInputElement).value)} />
    <button type="submit">compare</button>
  </form>`;
}
