// The gain a champion is reported with, free of the winner's curse: a challenger is accepted
// because its samples came out high, so the samples that selected it overstate it. The
// reported gain over the baseline comes from its re-measurements (samples taken after the
// verdict, when it was re-measured as champion), against the baseline's mean. A champion not
// re-measured yet has its selection gain shrunk toward 0 by its own uncertainty (positive-part
// James–Stein) and added to what the champion it beat is reported with.
import { mean, probit } from 'simple-statistics';
import type { Verdict } from './verdict.js';

export interface ReportedGain {
  /** Over the baseline, sign-adjusted so positive = better. */
  gain: number;
  /**
   * remeasured: from `n` samples taken after the verdict; shrunk: the selection gain shrunk by its
   * interval (n = 0); selection: no interval to shrink by (a deterministic verifier is exact; the
   * naive rule measured too little to tell).
   */
  from: 'remeasured' | 'shrunk' | 'selection';
  n: number;
}

export interface ChampionSamples {
  id: number;
  verdict: Verdict | null;
  /** Every objective sample, in repeat order (the selecting ones first). */
  samples: number[];
}

/** Reported gains of each champion (the baseline first, then champions in the order they won). */
export function reportedGains(baseline: ChampionSamples, champions: ChampionSamples[], goal: 'maximize' | 'minimize'): Map<number, ReportedGain> {
  const sign = goal === 'maximize' ? 1 : -1;
  const base = mean(baseline.samples);
  const out = new Map<number, ReportedGain>();
  for (const c of champions) {
    const v = c.verdict?.kind === 'decided' ? c.verdict : undefined;
    if (!v) continue;
    const later = v.samples === undefined ? [] : c.samples.slice(v.samples);
    if (later.length > 0) {
      out.set(c.id, { gain: sign * (mean(later) - base), from: 'remeasured', n: later.length });
      continue;
    }
    const before = out.get(v.against)?.gain ?? 0;
    const shrunk = v.ci && v.ciLevel !== undefined;
    out.set(c.id, { gain: before + (shrunk ? shrink(v.gain, v.ci!, v.ciLevel!) : v.gain), from: shrunk ? 'shrunk' : 'selection', n: 0 });
  }
  return out;
}

/** g·max(0, 1 − se²/g²), se read back from the verdict's interval (normal approximation). */
function shrink(gain: number, ci: [number | null, number | null], level: number): number {
  if (ci[0] === null || ci[1] === null) return 0; // unbounded: the selection said nothing about the size
  const se = (ci[1] - ci[0]) / (2 * probit((1 + level) / 2));
  return gain === 0 ? 0 : gain * Math.max(0, 1 - (se * se) / (gain * gain));
}
