// The verifier audit panel: whether the run's verifier was audited (evoloop audit), and every
// probe the last audit let through, with its fix.
import { html, useLive } from './live.js';

interface Audit {
  line: string;
  last: { createdAt: number; probes: number; contained: number; detected: number; letThrough: { name: string; reason: string; fix: string }[] } | null;
}

export function AuditPanel({ tick }: { tick: number }) {
  const { data } = useLive<Audit>('audit', {}, tick);
  if (!data) return null;
  const bad = data.last?.letThrough ?? [];
  return html`<section class=${`audit-panel ${bad.length ? 'warn' : ''}`} data-testid="audit-panel">
    <h3>Verifier audit</h3>
    <p>${data.line}</p>
    ${data.last && html`<p class="muted">${data.last.probes} probes: ${data.last.contained} contained, ${data.last.detected} detected, ${bad.length} let through</p>`}
    ${
      bad.length > 0 &&
      html`<ul>
        ${bad.map((b) => html`<li key=${b.name}><b>LET THROUGH ${b.name}</b>: ${b.reason}<br /><span class="muted">fix: ${b.fix}</span></li>`)}
      </ul>`
    }
  </section>`;
}
