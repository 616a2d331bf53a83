// One candidate in full: what changed (against its parent and against the base), how it
// measured (each stage and repeat), the verdict and its statistics, what the verifier
// said, and the model call that produced it with its tokens and cost.
import { useState } from 'preact/hooks';
import type { LlmCallRecord, StageResult } from '../../core/types.js';
import type { Verdict } from '../../store/verdict.js';
import { ArtifactColumns, type Column } from './artifacts-view.js';
import { ComparePicker } from './compare-page.js';
import { DiffView } from './diff-view.js';
import { fmtDuration, fmtInt, fmtScore, fmtTime, fmtUsd } from './format.js';
import { html, useLive } from './live.js';

/** A stage run as the API sends it (the store's record, with its reverification epoch). */
type Measurement = StageResult & { epoch: number };
type LlmCall = Omit<LlmCallRecord, 'runId' | 'candidateId'>;

interface Detail {
  id: number;
  parentId: number | null;
  parent2Id: number | null;
  parent: { id: number; status: string; score: number | null } | null;
  status: string;
  reason: string | null;
  operator: string;
  model: string | null;
  description: string;
  files: string[];
  patch: string;
  commitSha: string | null;
  ref: string | null;
  score: number | null;
  metrics: Record<string, number> | null;
  verdict: Verdict | null;
  flags: string[];
  island: number | null;
  tokensIn: number;
  tokensOut: number;
  usd: number;
  createdAt: number;
  finishedAt: number | null;
  evalMs: number | null;
  measurements: Measurement[];
  llmCalls: LlmCall[];
  baseDiff: { patch: string } | { error: string };
}

export function CandidatePage({ id, tick, goal, championId }: { id: number; tick: number; goal: string; championId: number | null }) {
  const { data: c, error } = useLive<Detail>(`candidates/${id}`, {}, tick);
  const [against, setAgainst] = useState<'parent' | 'base'>('parent');
  if (error && !c) return html`<div class="error">${error}</div>`;
  if (!c) return html`<div class="loading">loading candidate ${id}…</div>`;
  return html`<section class="candidate" data-testid="candidate-page" data-id=${c.id}>
    <h2>
      Candidate #${c.id}
      <span class=${`st st-${c.status}`} data-testid="candidate-status">${c.status}</span>
      ${c.flags.map((f) => html` <span class="badge warn" data-testid="flag">${f}</span>`)}
    </h2>
    <div class="facts">
      <div>
        score
        <b data-testid="candidate-score">${fmtScore(c.score)}</b>
        (${goal})${c.parent ? html` · parent <a href=${`#/candidate/${c.parent.id}`}>#${c.parent.id}</a> ${fmtScore(c.parent.score)}` : ''}
        ${c.parent2Id !== null ? html` · second parent <a href=${`#/candidate/${c.parent2Id}`}>#${c.parent2Id}</a>` : ''}
      </div>
      <div>operator <b>${c.operator}</b>${c.model ? html` · model <b>${c.model}</b>` : ''}${c.island !== null ? ` · island ${c.island}` : ''}</div>
      <div>
        tokens ${fmtInt(c.tokensIn)} in / ${fmtInt(c.tokensOut)} out · cost ${fmtUsd(c.usd)} · evaluation ${fmtDuration(c.evalMs)} · finished
        ${fmtTime(c.finishedAt)}
      </div>
      ${c.commitSha && html`<div>commit <code>${c.commitSha.slice(0, 12)}</code>${c.ref ? html` · <code>${c.ref}</code>` : ''}</div>`}
      ${c.description && html`<div class="description">${c.description}</div>`} ${c.reason && html`<div class="reason">${c.reason}</div>`}
    </div>

    <h3>Change</h3>
    <div class="switch">
      <button class=${against === 'parent' ? 'active' : ''} data-testid="diff-parent" onClick=${() => setAgainst('parent')}>against parent</button>
      <button class=${against === 'base' ? 'active' : ''} data-testid="diff-base" onClick=${() => setAgainst('base')}>
        against base (${c.files.length} file${c.files.length === 1 ? '' : 's'})
      </button>
    </div>
    ${
      against === 'parent'
        ? html`<${DiffView} patch=${c.patch} testid="diff" />`
        : 'error' in c.baseDiff
          ? html`<div class="error">${c.baseDiff.error}</div>`
          : html`<${DiffView} patch=${c.baseDiff.patch} testid="diff" />`
    }

    <${VerdictTable} v=${c.verdict} metrics=${c.metrics} />
    <${ArtifactColumns} columns=${artifactColumns(c, championId)} tick=${tick} />
    <${ComparePicker} a=${c.id} />
    <${Measurements} rows=${c.measurements} />
    <${ModelCalls} calls=${c.llmCalls} operator=${c.operator} />
  </section>`;
}

/** This candidate, its parent and the current champion (each once). */
function artifactColumns(c: Detail, championId: number | null): Column[] {
  const columns: Column[] = [{ label: 'this candidate', id: c.id }];
  if (c.parentId !== null) columns.push({ label: 'parent', id: c.parentId });
  if (championId !== null && championId !== c.id && championId !== c.parentId) columns.push({ label: 'champion', id: championId });
  else if (championId !== null) columns.find((col) => col.id === championId)!.label += ' (champion)';
  return columns;
}

function VerdictTable({ v, metrics }: { v: Verdict | null; metrics: Record<string, number> | null }) {
  if (!v && !metrics) return null;
  const d = v?.kind === 'decided' ? v : undefined;
  const noise = v?.kind === 'baseline' ? v.noise : undefined;
  const stat = (label: string, value: unknown) =>
    value === undefined || value === null
      ? null
      : html`<tr>
          <th>${label}</th>
          <td>${value}</td>
        </tr>`;
  return html`<h3>Verdict</h3>
    <table class="kv" data-testid="verdict">
      ${stat('decision', d?.decision)} ${stat('reason', d?.reason)} ${stat('gain', d ? fmtScore(d.gain) : undefined)}
      ${stat('p-value', d?.pValue !== undefined ? fmtScore(d.pValue) : undefined)}
      ${stat('confidence interval', d?.ci ? `[${fmtScore(d.ci[0])}, ${fmtScore(d.ci[1])}]${d.ciLevel ? ` (${(d.ciLevel * 100).toFixed(1)}%)` : ''}` : undefined)}
      ${stat('rule', d ? (d.naive ? 'naive (better median, no test)' : 'significant') : undefined)}
      ${stat('compared against', d ? html`<a href=${`#/candidate/${d.against}`}>#${d.against}</a> (${d.championSamples} samples)` : undefined)}
      ${stat('noise floor', noise ? `median ${fmtScore(noise.median)}, MAD ${fmtScore(noise.mad)}, CV ${noise.cv === null ? '∞' : `${(noise.cv * 100).toFixed(1)}%`}` : undefined)}
      ${stat('holdout', v?.holdout ? ('failure' in v.holdout ? `failed: ${v.holdout.failure}` : `${fmtScore(v.holdout.score)} (${v.holdout.samples.map((x: number) => fmtScore(x)).join(', ')})`) : undefined)}
      ${stat(
        'metrics (median)',
        metrics
          ? Object.entries(metrics)
              .map(([k, x]) => `${k}=${fmtScore(x)}`)
              .join('  ')
          : undefined,
      )}
    </table>`;
}

function Measurements({ rows }: { rows: Measurement[] }) {
  if (rows.length === 0)
    return html`<h3>Measurements</h3>
      <p class="muted">not measured</p>`;
  const names = [...new Set(rows.flatMap((m) => Object.keys(m.metrics)))];
  return html`<h3>Measurements <span class="muted">(each stage and repeat)</span></h3>
    <table class="measurements" data-testid="measurements">
      <thead>
        <tr>
          <th>stage</th>
          <th>kind</th>
          <th>repeat</th>
          <th>seed</th>
          <th>result</th>
          <th>time</th>
          ${names.map((n) => html`<th>${n}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (m) =>
            html`<tr class=${m.ok ? '' : 'bad'}>
              <td>${m.stage}</td>
              <td>${m.kind}</td>
              <td>${m.repeat}</td>
              <td>${m.seed}</td>
              <td>
                ${m.ok ? 'ok' : html`<b>${m.failure?.kind ?? 'failed'}</b>`}${m.exitCode !== null && m.exitCode !== 0 ? ` (exit ${m.exitCode})` : ''}${m.signal ? ` (${m.signal})` : ''}
              </td>
              <td class="num">${fmtDuration(m.durationMs)}</td>
              ${names.map((n) => html`<td class="num">${fmtScore(m.metrics[n])}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
    ${rows.map(
      (m) =>
        html`<details class="output" open=${!m.ok}>
          <summary>${m.stage}#${m.repeat} output${m.failure ? ` — ${m.failure.message}` : ''}</summary>
          ${
            m.feedback &&
            html`<div>
              <b>feedback</b>
              <pre>${m.feedback}</pre>
            </div>`
          }
          ${
            m.stdoutTail &&
            html`<div>
              <b>stdout (tail)</b>
              <pre>${m.stdoutTail}</pre>
            </div>`
          }
          ${
            m.stderrTail &&
            html`<div>
              <b>stderr (tail)</b>
              <pre>${m.stderrTail}</pre>
            </div>`
          }
          ${!m.feedback && !m.stdoutTail && !m.stderrTail && html`<p class="muted">no output</p>`}
        </details>`,
    )}`;
}

function ModelCalls({ calls, operator }: { calls: LlmCall[]; operator: string }) {
  if (calls.length === 0)
    return html`<h3>Model</h3>
      <p class="muted">no model call: proposed by the offline <code>${operator}</code> operator</p>`;
  return html`<h3>Model calls</h3>
    ${calls.map(
      (k, i) =>
        html`<div class="call" data-testid="llm-call">
          <div>
            ${i + 1}. ${k.model} · ${fmtInt(k.inputTokens)} in (${fmtInt(k.cachedTokens)} cached) / ${fmtInt(k.outputTokens)} out · ${fmtUsd(k.usd)} ·
            ${fmtDuration(k.latencyMs)} · ${k.attempts} attempt${k.attempts === 1 ? '' : 's'}
          </div>
          ${k.error && html`<div class="error">${k.error}</div>`}
          <details>
            <summary>prompt</summary>
            <pre>${k.prompt}</pre>
          </details>
          <details open>
            <summary>reply</summary>
            <pre>${k.response ?? '(none)'}</pre>
          </details>
        </div>`,
    )}`;
}
