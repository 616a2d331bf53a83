// Objective samples from recorded measurements: repeat r's sample is the objective scored on
// the merged metrics of every score stage at r. Repeats count while complete and scorable, so
// a re-measured champion's extra repeats count and an interrupted repeat does not.
import { compileObjective, type Objective } from '../core/fitness.js';
import type { Metrics, StageKind } from '../core/types.js';
import type { MeasurementRecord } from './store.js';

export interface SampleScoring {
  /** The score stages, by name: a repeat is complete when each has an ok measurement. */
  stages: string[];
  score: (m: Metrics) => number | undefined;
}

/** Scoring for a run's config (the loaded config, or a run's stored configJson parsed). */
export function sampleScoring(config: { objective: Objective; verifier: { stages: { name: string; kind: StageKind }[] } }): SampleScoring {
  const objective = compileObjective(config.objective);
  return {
    stages: config.verifier.stages.filter((s) => s.kind === 'score').map((s) => s.name),
    score: (m) => {
      const scored = objective.score(m);
      return 'score' in scored ? scored.score : undefined;
    },
  };
}

export function objectiveSamples(measurements: MeasurementRecord[], scoring: SampleScoring): number[] {
  const merged = new Map<number, Metrics>();
  const seen = new Map<number, Set<string>>();
  for (const m of measurements) {
    if (!m.ok || m.kind !== 'score') continue;
    merged.set(m.repeat, { ...merged.get(m.repeat), ...m.metrics });
    seen.set(m.repeat, (seen.get(m.repeat) ?? new Set()).add(m.stage));
  }
  const samples: number[] = [];
  for (let r = 0; merged.has(r) && scoring.stages.every((s) => seen.get(r)!.has(s)); r++) {
    const score = scoring.score(merged.get(r)!);
    if (score === undefined) break;
    samples.push(score);
  }
  return samples;
}
