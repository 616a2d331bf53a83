// Talking to the dashboard server. The access token (when the server needs one) arrives
// in the URL once; the server turns it into a same-site cookie, so we drop it from the
// address bar and every later request carries the cookie.
const params = new URLSearchParams(location.search);
const runId = params.get('run');
if (params.has('token')) {
  params.delete('token');
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
}

export function apiUrl(path: string, query: Record<string, string | number | undefined | null> = {}): string {
  const q = new URLSearchParams();
  if (runId) q.set('run', runId);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `./api/${path}${s ? `?${s}` : ''}`;
}

export async function api<T>(path: string, query: Record<string, string | number | undefined | null> = {}, init?: RequestInit): Promise<T> {
  const res = await fetch(apiUrl(path, query), init);
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body as T;
}

export interface LiveEvent {
  id: number;
  ts: number;
  type: string;
  candidateId?: number;
  status?: string;
  score?: number;
  reason?: string;
  description?: string;
  message?: string;
  operator?: string;
}

/** Follows the run's events after `after`; returns a function that closes the stream. */
export function followEvents(after: number, onEvent: (e: LiveEvent) => void): () => void {
  const source = new EventSource(apiUrl('events', { after }));
  source.addEventListener('evoloop', (m) => onEvent(JSON.parse((m as MessageEvent).data)));
  return () => source.close();
}
