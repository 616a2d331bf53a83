import { describe, expect, it } from 'vitest';
import type { CandidateSpec, MeasurePlan } from './backend.js';
import { measureBaseline } from './baseline-samples.js';

const spec = { candidateId: 1 } as CandidateSpec;

/** A backend whose repeat i scores sample(i), counting the repeats it measured (reused ones once, as the real ones record them). */
function backend(sample: (repeat: number) => number, fail = false) {
  const measured = new Set<number>();
  return {
    measured,
    async measure(_spec: CandidateSpec, plan: MeasurePlan) {
      if (fail) return { ok: false as const, failure: { kind: 'crash' as const, stage: 'score', message: 'boom' } };
      const samples = Array.from({ length: plan.repeats }, (_, i) => (measured.add(i), sample(i)));
      return { ok: true as const, samples, metrics: {} };
    },
  };
}

describe('measureBaseline', () => {
  it('stops a deterministic baseline at two equal samples', async () => {
    const b = backend(() => 7);
    expect(await measureBaseline(b, spec, 5)).toMatchObject({ ok: true, samples: [7, 7] });
    expect(b.measured.size).toBe(2);
  });

  it('measures a noisy baseline every repeat', async () => {
    const b = backend((i) => 7 + i * 0.01);
    const m = await measureBaseline(b, spec, 5);
    expect(m.ok && m.samples).toHaveLength(5);
  });

  it("always measures the score stages' own repeat count, and never more than asked", async () => {
    const b = backend(() => 7);
    expect(await measureBaseline(b, spec, 5, 3)).toMatchObject({ samples: [7, 7, 7] });
    const one = backend(() => 7);
    expect(await measureBaseline(one, spec, 1)).toMatchObject({ samples: [7] });
    const two = backend(() => 7);
    expect(await measureBaseline(two, spec, 2)).toMatchObject({ samples: [7, 7] });
  });

  it('returns a failure from the first repeats as it is', async () => {
    expect(
      await measureBaseline(
        backend(() => 7, true),
        spec,
        5,
      ),
    ).toMatchObject({ ok: false, failure: { kind: 'crash' } });
  });
});
