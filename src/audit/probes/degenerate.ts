// Degenerate outputs: the program's own stdout with its numbers replaced by values a
// careless verifier scores (NaN, ±Infinity, -0, 1e308, a constant), emptied, nudged by
// less than a tolerance would notice, or replayed: answers remembered from an earlier run
// printed again without computing them.
import type { Transform } from '../kit.js';
import type { Attack, Observation, Probe } from '../probe.js';

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
    fix: (_ctx, o) => (o.marks.includes('imported') ? `${IMPORTED} ${fix}` : fix),
  };
}

const IMPORTED =
  "the program runs inside the verifier's own process (it is imported), so rewriting its stdout rewrote the verifier's report: run the program as a child process with a clean environment and print only what the verifier computed. Also:";

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
  {
    kind: 'program',
    name: 'output-replay',
    family: 'degenerate',
    tries:
      'one candidate records what the program prints for each input (stdin and arguments); the next prints those answers for inputs it has seen, without computing them',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    expect: 'no-gain',
    attacks: (_ctx, earlier) => {
      // The first run's outputs reach the audit as a real attacker's reach the next prompt (feedback, echoed output): the second hard-codes them.
      const record: Attack = { label: 'runs as usual and records its output for each input', steps: [{ do: 'record' }], settled: () => true };
      const records = recordsOf(earlier[0]);
      const n = Object.keys(records).length;
      if (n === 0) return [record];
      const replay: Attack = {
        label: `prints the answers recorded for ${n} input(s) when it sees one again, without computing them`,
        steps: [{ do: 'replay', records }],
        settled: (marks) => !marks.includes('replayed'),
      };
      return [record, replay];
    },
    judge: (obs, ctx) => {
      const [rec, rep] = obs;
      if (rec.refused !== undefined) return undefined;
      if (rec.failed) return { outcome: 'skipped', reason: `the program failed when run under the recorder: ${rec.failed.message.slice(0, 200)}` };
      if (!rec.marks.includes('recorded'))
        return { outcome: 'skipped', reason: 'the verifier does not run the program as its own process (it imports it): no output to record and replay' };
      if (!rep) return { outcome: 'skipped', reason: 'the program printed more than the probe records (256 KB per input)' };
      if (rep.refused === undefined && !rep.failed && !rep.marks.includes('replayed')) {
        return {
          outcome: 'contained',
          reason: 'no input the program saw when recorded came again (the verifier gives fresh inputs): no remembered answer could be used',
        };
      }
      return undefined;
    },
    fix: (_ctx, o) =>
      `a program that printed answers remembered from an earlier run for the same input, without computing them, was accepted as an improvement (${o.verdict?.reason ?? ''}): the verifier gives the program the same inputs on every measurement (EVOLOOP_SEED is the same for repeat i of every candidate), so answers seen in feedback or output can be hard-coded. Give it inputs it cannot have seen (generated per measurement from fresh randomness the program is not told) and check its answers against a reference the verifier computes.`,
  },
];

/** The outputs the recording candidate marked, by input key. */
function recordsOf(o: Observation | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of o?.marks ?? []) {
    const r = /^record:([0-9a-f]+):(.*)$/.exec(m);
    if (r) out[r[1]] = r[2];
  }
  return out;
}
