// The baseline's repeats estimate the noise floor. A deterministic verifier has none: two
// equal samples say so, and the remaining repeats would only measure the same number again.
import type { CandidateSpec, EvaluationBackend } from './backend.js';
import type { Measured } from './evaluator.js';

/**
 * Measures the baseline `repeats` times, or stops at the first two when they are equal.
 * `atLeast` (the score stages' own `repeat`) is always measured: the user asked for those.
 */
export async function measureBaseline(backend: Pick<EvaluationBackend, 'measure'>, spec: CandidateSpec, repeats: number, atLeast = 1): Promise<Measured> {
  const first = Math.max(2, atLeast);
  if (repeats > first) {
    const probe = await backend.measure(spec, { kinds: 'search', repeats: first });
    if (!probe.ok || probe.samples.every((s) => s === probe.samples[0])) return probe;
  }
  return backend.measure(spec, { kinds: 'search', repeats });
}
