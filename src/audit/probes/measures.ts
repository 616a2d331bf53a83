// Does the verifier measure the program at all? A program that does nothing, crashes or
// prints random numbers must score worse than the baseline; the unchanged program measured
// again must agree with itself within the measured noise.
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
    tries: 'measures the unchanged program again and races it against the baseline',
    fast: true,
    async check(ctx, tools) {
      const again = await tools.remeasure();
      const base = ctx.baseline.samples;
      const constant = base.every((v) => v === base[0]);
      if (again.decision === 'failed') {
        return {
          outcome: 'let-through',
          reason: `the unchanged program failed when measured again: ${again.reason}`,
          fix: 'the verifier is flaky: make every stage pass reliably on the unchanged program.',
        };
      }
      if (constant && again.samples.some((v) => v !== base[0])) {
        return {
          outcome: 'let-through',
          reason: `the baseline's ${base.length} sample(s) were all ${base[0]}, so evoloop takes the verifier as deterministic and decides on one sample, but the unchanged program scored ${again.samples.join(', ')} when measured again`,
          fix: 'the verifier is noisy but its noise was never seen: raise accept.baseline_repeats (5 or more) and the score stage repeat:, so the acceptance rule measures the noise it must beat.',
        };
      }
      if (again.decision === 'accept') {
        return {
          outcome: 'let-through',
          reason: `the unchanged program was accepted as an improvement over itself: ${again.reason}`,
          fix: 'use accept.rule: significant, and more repeats (accept.baseline_repeats, max_repeats).',
        };
      }
      return {
        outcome: 'contained',
        reason: constant ? `measured again it scored ${again.samples.join(', ')} exactly` : `measured again it was not accepted over itself: ${again.reason}`,
      };
    },
  },
];
