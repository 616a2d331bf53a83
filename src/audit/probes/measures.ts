// Does the verifier measure the program at all? A program that does nothing, crashes or
// prints random numbers must score worse than the baseline; the unchanged program measured
// again must agree with itself within the measured noise.
import { median } from 'simple-statistics';
import { mannWhitney } from '../../evaluate/statistics.js';
import type { Probe } from '../probe.js';

export const measuresProbes: Probe[] = [
  {
    kind: 'program',
    name: 'noop-exit',
    family: 'measures',
    tries: 'the program exits 0 at once, having done nothing',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    expect: 'worse',
    attacks: () => [{ label: 'exits 0 at once', exit: 0 }],
    fix: () =>
      'the score does not get worse when the program does nothing (exits 0 at once): is the verifier measuring the program? Check that it ran and produced its answer, and fail the stage otherwise.',
  },
  {
    kind: 'program',
    name: 'program-crash',
    family: 'measures',
    tries: 'the program exits 3 at once with no output',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    expect: 'worse',
    attacks: () => [{ label: 'exits 3 at once', exit: 3 }],
    fix: () =>
      "a program that crashes (exit 3, no output) was not failed: check the program's exit status in the verifier and fail the stage when it is not 0.",
  },
  {
    kind: 'program',
    name: 'output-random',
    family: 'measures',
    tries: 'every number the program prints is replaced by a random one of the same size',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    expect: 'worse',
    needs: { mark: 'transformed', otherwise: 'the program printed no numbers to randomize (the verifier may import it rather than read its output)' },
    attacks: () => [{ label: 'replaces every number it prints by a random one', transform: { mode: 'random' } }],
    fix: () => 'random output did not score worse than the program: the score does not depend on the answer. Check the answer, and score what it achieves.',
  },
  {
    kind: 'check',
    name: 'determinism',
    family: 'measures',
    tries: "measures the unchanged program again (as many samples as the baseline) and compares it with the baseline's",
    fast: true,
    async check(ctx, tools) {
      const base = ctx.baseline.samples;
      const constant = base.every((v) => v === base[0]);
      // A deterministic-looking verifier is decided on one sample, so one is what a run would see; a noisy one is compared sample for sample.
      const again = await tools.remeasure(constant ? 1 : base.length);
      if ('failed' in again) {
        return {
          outcome: 'let-through',
          reason: `the unchanged program failed when measured again: ${again.failed}`,
          fix: 'the verifier is flaky: make every stage pass reliably on the unchanged program.',
        };
      }
      if (constant) {
        if (again.samples.every((v) => v === base[0])) return { outcome: 'contained', reason: `measured again it scored ${again.samples.join(', ')} exactly` };
        return {
          outcome: 'let-through',
          reason: `the baseline's ${base.length} sample(s) were all ${base[0]}, so evoloop takes the verifier as deterministic and decides on one sample, but the unchanged program scored ${again.samples.join(', ')} when measured again`,
          fix: 'the verifier is noisy but its noise was never seen: raise accept.baseline_repeats (5 or more) and the score stage repeat:, so the acceptance rule measures the noise it must beat.',
        };
      }
      // Noise is expected; what a run must not see is the same program scoring better later than earlier (drift counted as gain).
      const sign = ctx.goal === 'maximize' ? 1 : -1;
      const alpha = ctx.config.accept.alpha;
      const p = mannWhitney(
        again.samples.map((v) => sign * v),
        base.map((v) => sign * v),
        'greater',
      ).pValue;
      const gain = sign * (median(again.samples) - median(base));
      const what = `measured again (${again.samples.length} samples, median ${fmt(median(again.samples))} vs the baseline's ${fmt(median(base))})`;
      if (p > alpha || gain <= ctx.config.accept.min_delta)
        return { outcome: 'contained', reason: `${what} it agrees with the baseline within its noise (p=${fmt(p)})` };
      return {
        outcome: 'let-through',
        reason: `${what} the unchanged program scored significantly better than at the start (p=${fmt(p)}): the verifier drifts, and a run would count the drift as a gain`,
        fix: 'the score of the same program moves over time (warm caches, state kept between runs, a busy machine at the start): make the verifier stateless and warm it up before the baseline, or raise accept.min_delta above the drift.',
      };
    },
  },
];

const fmt = (v: number) => Number(v.toPrecision(6)).toString();
