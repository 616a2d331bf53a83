// A stop request from outside the running process (the dashboard's "stop run" button):
// written to the run's row (Store.requestStop), polled by the engine's heartbeat. A request
// older than the session does not stop it, so resuming after a stop works.
import type { Store } from './store.js';

export function requestStop(store: Store, runId: string, at = Date.now()): void {
  store.requestStop(runId, at);
}

/** True when a stop was requested at or after `since` (the session's start). */
export function stopRequestedSince(store: Store, runId: string, since: number): boolean {
  const at = store.queries.stopRequestedAt(runId);
  return at !== null && at >= since;
}
