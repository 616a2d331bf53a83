// The dashboard page: a header with the run's headline and the stop button, then the
// views (progress + candidates, lineage, spend, islands) and one candidate's page.
// Routing is the URL hash, so the server only ever serves one page.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { api, followEvents, type LiveEvent } from './api.js';
import { AuditPanel } from './audit-panel.js';
import { CandidatePage } from './candidate-page.js';
import { CandidateTable } from './candidate-table.js';
import { ChampionStrip } from './champion-strip.js';
import { ComparePage } from './compare-page.js';
import { fmtDuration, fmtScore, fmtTime, fmtUsd } from './format.js';
import { IslandsView } from './islands-view.js';
import { WorkersView } from './workers-view.js';
import { LineageView } from './lineage-view.js';
import { html, useLive } from './live.js';
import { ProgressChart } from './progress-chart.js';
import { SpendView } from './spend-view.js';

export interface Summary {
  run: string;
  status: string;
  stopReason: string | null;
  baseCommit: string;
  candidates: number;
  accepted: number;
  byStatus: Record<string, number>;
  baseline: number | null;
  best: number | null;
  bestCandidate: number | null;
  /** The best champion's gain over the baseline from samples that did not select it (store/reported-gain.ts), as `status` and the report show it. */
  reportedGain: { gain: number; from: 'remeasured' | 'shrunk' | 'selection'; n: number } | null;
  elapsedMs: number;
  spend: { calls: number; inputTokens: number; outputTokens: number; usd: number };
  createdAt: number;
  config: { goal: 'maximize' | 'minimize'; objective: string; target: number | null; accept: { rule: string } };
  stopRequested: boolean;
  lastEventId: number;
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function App() {
  const [tick, setTick] = useState(0);
  const [feed, setFeed] = useState<LiveEvent[]>([]);
  const [after, setAfter] = useState<number | null>(null);
  const summary = useLive<Summary>('summary', {}, tick);
  const hash = useHash();

  useEffect(() => {
    // Start a few events back, so the Live panel of a finished (or quiet) run shows how it went.
    if (summary.data && after === null) setAfter(Math.max(0, summary.data.lastEventId - FEED_LINES));
  }, [summary.data]);
  useEffect(() => {
    if (after === null) return;
    // Many events can arrive at once; one re-render per animation frame is plenty.
    let pending: LiveEvent[] = [];
    let frame = 0;
    return followEvents(after, (e) => {
      pending.push(e);
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        const batch = pending;
        pending = [];
        setFeed((f) => [...batch.reverse(), ...f].slice(0, FEED_LINES));
        setTick((t) => t + 1);
      });
    });
  }, [after]);

  const s = summary.data;
  const goal = s?.config.goal ?? 'maximize';
  // The views load in parallel with the header rather than after it (first render at 100,000 candidates).
  const route = hash.replace(/^#\/?/, '').split('/');
  const view = route[0] || 'overview';
  return html`
    ${s ? html`<${Header} s=${s} />` : html`<header>${summary.error ? html`<div class="error">${summary.error}</div>` : html`<span class="loading">loading…</span>`}</header>`}
    <nav class="tabs">
      ${[
        ['overview', 'Progress & candidates'],
        ['lineage', 'Lineage'],
        ['spend', 'Spend'],
      ].map(([k, label]) => html`<a href=${`#/${k}`} class=${view === k ? 'active' : ''}>${label}</a>`)}
      <${IslandsTab} tick=${tick} active=${view === 'islands'} />
    </nav>
    <main>
      ${
        view === 'candidate'
          ? html`<${CandidatePage} id=${Number(route[1])} tick=${tick} goal=${goal} championId=${s?.bestCandidate ?? null} />`
          : view === 'compare'
            ? html`<${ComparePage} a=${Number(route[1])} b=${Number(route[2])} tick=${tick} />`
            : view === 'lineage'
              ? html`<${LineageView} tick=${tick} />`
              : view === 'spend'
                ? html`<${SpendView} tick=${tick} />`
                : view === 'islands'
                  ? html`<${IslandsView} tick=${tick} goal=${goal} />`
                  : html`<section class="overview">
                      <div class="chart-row">
                        <${ProgressChart} tick=${tick} />
                        <${Feed} events=${feed} run=${s} />
                      </div>
                      <${ChampionStrip} tick=${tick} />
                      <${AuditPanel} tick=${tick} />
                      <${CandidateTable} tick=${tick} />
                    </section>`
      }
    </main>
  `;
}

function Header({ s }: { s: Summary }) {
  const gain = championGain(s);
  const decided = (s.byStatus.accepted ?? 0) + (s.byStatus.rejected ?? 0) + (s.byStatus.failed ?? 0) + (s.byStatus.tampered ?? 0);
  return html`
    <header>
      <div class="title">
        <strong>evoloop</strong> run <code>${s.run}</code>
        <span class=${`badge run-${s.status}`} data-testid="run-status">${s.status}</span>
        ${s.stopReason && html`<span class="muted">${s.stopReason}</span>`}
        ${s.config.accept.rule === 'better' && html`<span class="badge warn" title="accepts any better median, however noisy">naive acceptance</span>`}
      </div>
      <div class="headline" data-testid="headline">
        <span>${s.config.objective} (${s.config.goal})</span>
        <span
          >baseline <b>${fmtScore(s.baseline)}</b> → best
          <b>${fmtScore(s.best)}</b>${gain !== null ? ` (${gain.value >= 0 ? '+' : ''}${fmtScore(gain.value)}${gain.how})` : ''}
          ${s.bestCandidate !== null && html` <a href=${`#/candidate/${s.bestCandidate}`}>#${s.bestCandidate}</a>`}</span
        >
        <span
          ><b data-testid="candidate-count">${s.candidates}</b> candidates · ${s.accepted}
          accepted${decided ? ` (${((100 * s.accepted) / decided).toFixed(1)}% of evaluated)` : ''}</span
        >
        <span>${fmtUsd(s.spend.usd)} · ${(s.spend.inputTokens + s.spend.outputTokens).toLocaleString('en-US')} tokens</span>
        <span>${fmtDuration(s.elapsedMs)} · started ${fmtTime(s.createdAt)}</span>
      </div>
      ${s.status === 'running' && html`<${StopButton} s=${s} />`}
    </header>
  `;
}

/**
 * The champion's gain as `status` and the report give it: from its re-measurements or shrunk
 * (the score it was selected with overstates it); the plain difference of scores only when
 * there is nothing better (a deterministic verifier, the naive rule). Positive = better.
 */
function championGain(s: Summary): { value: number; how: string } | null {
  const r = s.reportedGain;
  if (r && r.from === 'remeasured') return { value: r.gain, how: ` re-measured, n=${r.n}` };
  if (r && r.from === 'shrunk') return { value: r.gain, how: ' shrunk, not re-measured yet' };
  return s.best !== null && s.baseline !== null ? { value: s.config.goal === 'minimize' ? s.baseline - s.best : s.best - s.baseline, how: '' } : null;
}

function StopButton({ s }: { s: Summary }) {
  const [stage, setStage] = useState<'idle' | 'confirm' | 'sent' | 'error'>(s.stopRequested ? 'sent' : 'idle');
  const [message, setMessage] = useState('');
  const send = () =>
    api<{ message: string }>('stop', {}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ confirm: true }) }).then(
      (r) => (setStage('sent'), setMessage(r.message)),
      (err: Error) => (setStage('error'), setMessage(err.message)),
    );
  if (stage === 'sent') return html`<div class="stop sent" data-testid="stop-sent">${message || 'stop requested'}</div>`;
  if (stage === 'confirm') {
    return html`<div class="stop confirm">
      Stop run ${s.run}? Candidates in flight finish first; <code>evoloop run</code> resumes it later.
      <button class="danger" data-testid="stop-confirm" onClick=${send}>Yes, stop the run</button>
      <button onClick=${() => setStage('idle')}>Cancel</button>
    </div>`;
  }
  return html`<div class="stop">
    <button class="danger" data-testid="stop" onClick=${() => setStage('confirm')}>Stop run…</button>
    ${stage === 'error' && html`<span class="error">${message}</span>`}
  </div>`;
}

/** Lines the Live panel keeps, newest first. */
const FEED_LINES = 12;

function Feed({ events, run }: { events: LiveEvent[]; run: Summary | undefined }) {
  const line = (e: LiveEvent) => {
    const who = e.candidateId !== undefined ? html`<a href=${`#/candidate/${e.candidateId}`}>#${e.candidateId}</a> ` : '';
    switch (e.type) {
      case 'decided':
        return html`${who}<span class=${`st-${e.status}`}>${e.status}</span> ${e.score !== undefined ? fmtScore(e.score) : ''}`;
      case 'champion':
        return html`${who}<b>new champion</b> ${fmtScore(e.score)}`;
      case 'proposed':
        return html`${who}proposed: ${e.description}`;
      case 'notice':
        return html`${e.message}`;
      default:
        return html`${e.type} ${e.reason ?? ''}`;
    }
  };
  return html`<aside class="feed" data-testid="feed">
    <h3>Live</h3>
    ${run && run.status !== 'running' && html`<p class="feed-ended" data-testid="feed-ended">run ${run.status}${run.stopReason ? `: ${run.stopReason}` : ''}</p>`}
    ${
      events.length === 0
        ? html`<p class="muted">${run && run.status !== 'running' ? 'no events recorded' : 'waiting for events…'}</p>`
        : events.map((e) => html`<div class="feed-line" key=${e.id}>${line(e)}</div>`)
    }
  </aside>`;
}

function IslandsTab({ tick, active }: { tick: number; active: boolean }) {
  const facets = useLive<{ islands: number[] }>('facets', {}, tick);
  // Only runs that use the islands strategy have island values; otherwise the tab does not exist.
  return facets.data && facets.data.islands.length > 0 ? html`<a href="#/islands" class=${active ? 'active' : ''}>Islands</a>` : null;
}

render(html`<${App} />`, document.getElementById('app')!);
