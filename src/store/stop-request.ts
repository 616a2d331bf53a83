// A stop request from outside the running process (the dashboard's "stop run" button):
// written to the run's row, polled by the engine's heartbeat. A request older than the
// session does not stop it, so resuming after a stop works.
import type { Store } from './store.js';

export function requestStop(store: Store, runId: string, at = Date.now()): void {
  store.willWrite();
  store.db.prepare('UPDATE runs SET stop_requested_at = ? WHERE id = ?').run(at, runId);
}

/** True when a stop was requested at or after `since` (the session's start). */
export function stopRequestedSince(store: Store, runId: string, since: number): boolean {
  const at = store.db.prepare('SELECT stop_requested_at FROM runs WHERE id = ?').pluck().get(runId) as number | null | undefined;
  return at != null && at >= since;
}
