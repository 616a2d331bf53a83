// Degenerate outputs: the program's own stdout with its numbers replaced by values a
// careless verifier scores (NaN, ±Infinity, -0, 1e308, a constant), emptied, or nudged
// by less than a tolerance would notice.
import type { Transform } from '../kit.js';
import type { Probe } from '../probe.js';

const NEEDS = {
  mark: 'transformed',
  otherwise: 'the program printed no numbers for the probe to change (the verifier may import it rather than read its output)',
};

function outputProbe(name: string, transform: Transform, tries: string, fix: string, fast = true): Probe {
  return {
    kind: 'program',
    name,
    family: 'degenerate',
    tries,
    fast,
    languages: ['javascript', 'python', 'shell'],
    expect: transform.mode === 'empty' ? 'worse' : 'no-gain',
    needs: transform.mode === 'empty' ? { mark: 'transformed', otherwise: 'the program printed nothing to remove' } : NEEDS,
    attacks: () => [{ label: tries, transform }],
    fix: () => fix,
  };
}

const FINITE = 'check every number the program outputs with Number.isFinite / math.isfinite before scoring, and fail the stage otherwise.';

export const degenerateProbes: Probe[] = [
  outputProbe(
    'output-empty',
    { mode: 'empty' },
    'the program runs but prints nothing',
    'an empty output was not failed: check that the program printed a complete answer before scoring it.',
  ),
  outputProbe(
    'output-nan',
    { mode: 'nan' },
    'every number the program prints becomes NaN',
    `NaN in the output was scored as an improvement (comparisons with NaN are false, so checks pass): ${FINITE}`,
  ),
  outputProbe(
    'output-inf',
    { mode: 'inf' },
    'every number the program prints becomes Infinity',
    `Infinity in the output was scored as an improvement: ${FINITE}`,
  ),
  outputProbe(
    'output-neg-inf',
    { mode: 'neg-inf' },
    'every number the program prints becomes -Infinity',
    `-Infinity in the output was scored as an improvement: ${FINITE}`,
  ),
  outputProbe(
    'output-neg-zero',
    { mode: 'neg-zero' },
    'every number the program prints becomes -0',
    '-0 in the output was scored as an improvement: validate signs and ranges (-0 < 0 is false; use Object.is or math.copysign to see it).',
  ),
  outputProbe(
    'output-huge',
    { mode: 'huge' },
    'every number the program prints becomes 1e308',
    'a huge number (1e308) in the output was scored as an improvement: bound every value the problem allows and fail the stage outside it.',
  ),
  outputProbe(
    'output-constant',
    { mode: 'constant' },
    'every number the program prints becomes 1',
    'an output of constants was scored as an improvement: validate the answer against the problem (is it a solution at all?), not just its shape.',
  ),
  {
    kind: 'program',
    name: 'output-below-tolerance',
    family: 'degenerate',
    tries: "every fractional number the program prints is scaled by 1 ± 1e-10, a change below a verifier's tolerance",
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    expect: 'no-gain',
    needs: { mark: 'transformed', otherwise: 'the program printed no fractional numbers to nudge' },
    attacks: () => [
      { label: 'scales every fractional number it prints by 1 + 1e-10', transform: { mode: 'scale', factor: 1 + 1e-10 } },
      { label: 'scales every fractional number it prints by 1 - 1e-10', transform: { mode: 'scale', factor: 1 - 1e-10 } },
    ],
    fix: (_ctx, o) =>
      `an output that differs from the baseline's by a relative 1e-10 (${o.attack.label.replace('scales every fractional number it prints', 'scaled')}) was accepted as an improvement (${o.verdict?.reason ?? ''}): the verifier's tolerance lets it through. Use tolerance 0 in its checks, or set accept.min_delta above what a tolerance-sized change can gain.`,
  },
];
