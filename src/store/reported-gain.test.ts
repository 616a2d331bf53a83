import { describe, expect, it } from 'vitest';
import { reportedGains } from './reported-gain.js';
import type { Verdict } from './verdict.js';

const decided = (against: number, gain: number, samples: number, ci?: [number, number]): Verdict => ({
  kind: 'decided',
  decision: 'accept',
  reason: 'r',
  gain,
  naive: false,
  against,
  championSamples: 5,
  samples,
  ...(ci && { ci, ciLevel: 0.95 }),
});
const baseline = { id: 1, verdict: null, samples: [10, 10.2, 9.8, 10.1, 9.9] }; // mean 10

describe('reported gains (no winner’s curse)', () => {
  it('comes from the samples taken after the verdict, not from the ones that selected the champion', () => {
    // Selected on two lucky samples (13, 12.6), re-measured at 11.1 and 10.9: the honest gain is +1.
    const gains = reportedGains(baseline, [{ id: 2, verdict: decided(1, 2.8, 2, [1, 4.6]), samples: [13, 12.6, 11.1, 10.9] }], 'maximize');
    expect(gains.get(2)).toEqual({ gain: expect.closeTo(1, 10), from: 'remeasured', n: 2 });
  });

  it('shrinks the selection gain by its uncertainty before any re-measurement, on top of the champion it beat', () => {
    const se = 1; // a 95% interval of ±1.96 around 2.8
    const gains = reportedGains(
      baseline,
      [
        { id: 2, verdict: decided(1, 2.8, 2, [2.8 - 1.96, 2.8 + 1.96]), samples: [13, 12.6] },
        { id: 3, verdict: decided(2, 1, 2, [-0.96, 2.96]), samples: [14, 13.6] },
      ],
      'maximize',
    );
    expect(gains.get(2)!.from).toBe('shrunk');
    expect(gains.get(2)!.gain).toBeCloseTo(2.8 * (1 - (se * se) / 2.8 ** 2), 2);
    // A gain no larger than its standard error shrinks to nothing: champion 3 is reported as champion 2.
    expect(gains.get(3)!.gain).toBeCloseTo(gains.get(2)!.gain, 10);
  });

  it('keeps an exact gain (deterministic verifier: no interval) and signs it for goal minimize', () => {
    expect(reportedGains(baseline, [{ id: 2, verdict: decided(1, 0.5, 1), samples: [9.5] }], 'minimize').get(2)).toEqual({
      gain: 0.5,
      from: 'selection',
      n: 0,
    });
    expect(reportedGains(baseline, [{ id: 2, verdict: decided(1, 0.5, 1), samples: [9.5, 9.4] }], 'minimize').get(2)).toEqual({
      gain: expect.closeTo(0.6, 10),
      from: 'remeasured',
      n: 1,
    });
  });
});
