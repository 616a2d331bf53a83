// A verifier that measures nothing "succeeds" silently: every candidate scores exactly what
// the baseline scored, and the run goes on rejecting them. When the baseline is constant over
// its repeats and the first few measured candidates all score exactly the same, say so once.
import type { EvolutionEvent } from './events.js';

/** Measured candidates after which identical scores are called out. */
export const FLAT_SCORE_CANDIDATES = 5;

export function flatScoreWatch(score: (candidateId: number) => number | null | undefined, warn: (message: string) => void): (e: EvolutionEvent) => void {
  let baseline: number | undefined;
  let same = 0;
  let armed = true;
  return (e) => {
    if (!armed) return;
    if (e.type === 'baseline') {
      baseline = e.score;
      armed = e.samples.every((s) => s === e.score);
      return;
    }
    // Only candidates that were measured (accepted or rejected) have a score to compare.
    if (e.type !== 'decided' || baseline === undefined || (e.status !== 'accepted' && e.status !== 'rejected')) return;
    if (score(e.candidateId) !== baseline) {
      armed = false;
      return;
    }
    if (++same < FLAT_SCORE_CANDIDATES) return;
    armed = false;
    warn(
      `warning: the baseline and the first ${FLAT_SCORE_CANDIDATES} measured candidates all scored exactly ${baseline}: the verifier may not be measuring the program (is it still the template from \`evoloop init\`?). Check that its score depends on the candidate's output, then run again.`,
    );
  };
}
