// Where stage results go: the one implementation every backend records through, so a
// result is written in one place whichever backend ran it. The store's unique key
// (candidate, epoch, stage, repeat) makes a retried duplicate a no-op: the first result stays.
import { hostname } from 'node:os';
// A result's artifacts are recorded in the same transaction, so a result is never without them.
import type { StageResult } from '../core/types.js';
import type { StageArtifacts } from '../store/artifacts.js';
import type { Store } from '../store/store.js';

export interface MeasurementRecorder {
  /** The stage results already recorded for a candidate in an epoch (reused instead of run again). */
  recorded(candidateId: number, epoch: number): StageResult[];
  /** Records one finished stage run and what it wrote to $EVOLOOP_ARTIFACTS, durable when this returns; the same slot again is a no-op. */
  record(candidateId: number, epoch: number, result: StageResult, artifacts?: StageArtifacts): void;
}

/** `maxRunBytes`: the run's artifacts cap (artifacts.run_mb); files past it are recorded as notes. */
export function storeRecorder(
  store: Pick<Store, 'measurements' | 'addMeasurement' | 'transaction' | 'artifacts'>,
  maxRunBytes = Infinity,
): MeasurementRecorder {
  return {
    recorded: (candidateId, epoch) => store.measurements(candidateId, epoch),
    // A worker's result names its host; one run here was made on this machine.
    record: (candidateId, epoch, result, artifacts) =>
      store.transaction(() => {
        store.addMeasurement(candidateId, epoch, { ...result, host: result.host ?? hostname() });
        if (artifacts && (artifacts.kept.length || artifacts.dropped.length)) store.artifacts.add(candidateId, epoch, result, artifacts, maxRunBytes);
      }),
  };
}
