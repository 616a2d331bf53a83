// Remote workers and the queue's depth (runs with --redis only): a small table as the
// coordinator last saw them. The Redis URL is never part of it.
import { fmtDuration, fmtInt } from './format.js';
import { html, useLive } from './live.js';

interface Worker {
  id: string;
  host: string;
  labels: string[];
  jobsDone: number;
  failures: number;
  busy: number;
  lastSeen: number;
}

export function WorkersView({ tick }: { tick: number }) {
  const { data } = useLive<{ workers: Worker[]; queue: { waiting: number; active: number } | null }>('workers', {}, tick);
  if (!data?.queue) return null;
  return html`<section class="panel workers" data-testid="workers">
    <h3>Workers <span class="muted">queue: ${fmtInt(data.queue.waiting)} waiting · ${fmtInt(data.queue.active)} running</span></h3>
    <table>
      <thead>
        <tr>
          <th>worker</th>
          <th>host</th>
          <th>labels</th>
          <th>state</th>
          <th>jobs done</th>
          <th>failures</th>
          <th>last seen</th>
        </tr>
      </thead>
      <tbody>
        ${data.workers.map(
          (w) =>
            html`<tr>
              <td><code>${w.id}</code></td>
              <td>${w.host}</td>
              <td>${w.labels.join(', ') || '—'}</td>
              <td>${w.busy > 0 ? `busy (${w.busy})` : 'idle'}</td>
              <td>${fmtInt(w.jobsDone)}</td>
              <td>${fmtInt(w.failures)}</td>
              <td>${fmtDuration(Math.max(0, Date.now() - w.lastSeen))} ago</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
