// Holdout stages run on the baseline and on each new champion only (their output never reaches
// a proposer), and raise an alarm when a champion improves the objective but gets worse on holdout.
import { median } from 'simple-statistics';
import { improvement } from '../core/fitness.js';
import type { FileSet } from '../core/types.js';
import { describeFailure } from '../evaluate/backend.js';
import type { HoldoutResult } from '../store/verdict.js';
import type { PopulationDeps } from './population.js';
import type { Racing } from './racing.js';

export async function runHoldout(
  d: Pick<PopulationDeps, 'config' | 'store' | 'backend' | 'emit'>,
  racing: Racing,
  candidateId: number,
  files: FileSet,
  commitSha: string,
  previousId?: number,
): Promise<void> {
  const holdout = d.config.verifier.stages.filter((s) => s.kind === 'holdout');
  if (holdout.length === 0) return;
  const repeats = Math.max(...holdout.map((s) => s.repeat));
  const measured = await d.backend.measure(racing.spec(candidateId, files, commitSha), { kinds: 'holdout', repeats });
  const row = d.store.getCandidate(candidateId)!;
  const result: HoldoutResult = measured.ok ? { score: median(measured.samples), samples: measured.samples } : { failure: describeFailure(measured.failure) };
  const previous = previousId === undefined ? undefined : d.store.getCandidate(previousId)?.verdict?.holdout;
  const before = previous && 'score' in previous ? previous.score : undefined;
  const worse = 'score' in result && before !== undefined && improvement(result.score, before, d.config.objective.goal) < 0;
  const failed = 'failure' in result;
  if (worse || failed) {
    const what = failed ? `fails its holdout stage (${result.failure})` : `is worse on holdout (${before} → ${result.score})`;
    d.emit({
      type: 'notice',
      message: `!! HOLDOUT ALARM: champion ${candidateId} improved the objective but ${what}. Possible overfitting or gaming of the verifier: review it (evoloop show ${candidateId}).`,
    });
  }
  d.store.updateCandidate(candidateId, {
    verdict: { ...row.verdict!, holdout: result },
    flags: worse || failed ? [...row.flags, 'holdout-alarm'] : undefined,
  });
}
