// The acceptance rule as a run applies it (population/greedy's race): a challenger starts
// with initialRepeats, decide() asks for more samples of either side until it answers.
// The audit races probe candidates against the baseline with it, and simulates races on
// the baseline's measured noise to see what the rule would accept from luck alone.
import type { Config } from '../config/schema.js';
import type { Goal } from '../core/types.js';
import { decide, initialRepeats, type AcceptConfig } from '../evaluate/acceptance.js';

export function acceptConfig(config: Config): AcceptConfig {
  const a = config.accept;
  return { rule: a.rule, alpha: a.alpha, minDelta: a.min_delta, baselineRepeats: a.baseline_repeats, maxRepeats: a.max_repeats };
}

export type RaceResult = { decision: 'accept' | 'reject'; reason: string; samples: number[] } | { failed: { kind: string; message: string } };

/**
 * Races a challenger against the champion. `measure(n)` gives the challenger's first n
 * samples (or a failure); `champion(n)` the champion's first n (measured on demand).
 */
export async function race(opts: {
  accept: AcceptConfig;
  goal: Goal;
  minRepeats: number;
  champion: (n: number) => Promise<number[] | undefined>;
  measure: (n: number) => Promise<number[] | { kind: string; message: string }>;
}): Promise<RaceResult> {
  let champion = (await opts.champion(0))!;
  let n = Math.max(initialRepeats(champion, opts.accept), opts.minRepeats);
  for (;;) {
    const samples = await opts.measure(n);
    if (!Array.isArray(samples)) return { failed: samples };
    const verdict = decide(champion, samples, opts.goal, opts.accept);
    if (verdict.decision !== 'more') return { decision: verdict.decision, reason: verdict.reason, samples };
    if (verdict.wantChampion > champion.length) {
      const more = await opts.champion(verdict.wantChampion);
      if (!more) return { decision: 'reject', reason: 'the baseline could not be re-measured', samples };
      champion = more;
    }
    n = Math.max(n, verdict.wantChallenger);
  }
}

/**
 * How often the rule accepts a challenger drawn from `draw` against a champion drawn from
 * the baseline's samples, over `trials` simulated races (both sides resampled).
 */
export async function acceptRate(opts: {
  accept: AcceptConfig;
  goal: Goal;
  minRepeats: number;
  baseline: number[];
  draw: (random: () => number) => number;
  random: () => number;
  trials: number;
}): Promise<number> {
  const { baseline, random } = opts;
  const resample = () => baseline[Math.floor(random() * baseline.length)];
  let accepted = 0;
  for (let t = 0; t < opts.trials; t++) {
    const champ: number[] = baseline.map(resample);
    const chal: number[] = [];
    const r = await race({
      accept: opts.accept,
      goal: opts.goal,
      minRepeats: opts.minRepeats,
      champion: async (n) => {
        while (champ.length < n) champ.push(resample());
        return champ;
      },
      measure: async (n) => {
        while (chal.length < n) chal.push(opts.draw(random));
        return chal.slice(0, n);
      },
    });
    if ('decision' in r && r.decision === 'accept') accepted++;
  }
  return accepted / opts.trials;
}
