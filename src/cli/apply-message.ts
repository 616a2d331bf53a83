// The commit message `apply` writes: the champion's whole lineage, one line per accepted
// step from the baseline up, each with the score it reached and its gain, so the history
// says what the change is made of, not only its last step.
import { improvement } from '../core/fitness.js';
import type { CandidateRecord, RunRecord, Store } from '../store/store.js';
import { fmtScore } from './context.js';

export function applyMessage(store: Store, run: RunRecord, c: CandidateRecord, goal: 'maximize' | 'minimize'): string {
  const lineage: CandidateRecord[] = [];
  for (let at: CandidateRecord | undefined = c; at && at.status !== 'baseline'; at = at.parentId === null ? undefined : store.getCandidate(at.parentId)) {
    lineage.unshift(at);
  }
  const baseline = run.baselineId === null ? undefined : store.getCandidate(run.baselineId);
  const steps = lineage.map((step) => {
    const parent = step.parentId === null ? undefined : store.getCandidate(step.parentId);
    const gain = step.score !== null && parent?.score != null ? ` (${signed(improvement(step.score, parent.score, goal))})` : '';
    return `- #${step.id} ${step.operator}: ${step.description.split('\n')[0]} → ${fmtScore(step.score)}${gain}`;
  });
  const total =
    c.score !== null && baseline?.score != null ? `, ${signed(improvement(c.score, baseline.score, goal))} over the baseline ${fmtScore(baseline.score)}` : '';
  return [
    `evoloop: candidate ${c.id} of run ${run.id} (score ${fmtScore(c.score)}${total})`,
    '',
    `${lineage.length} step${lineage.length === 1 ? '' : 's'} from the base ${run.baseCommit.slice(0, 12)} (${goal}):`,
    ...steps,
    '',
    `Evoloop-Run: ${run.id}`,
    `Evoloop-Candidate: ${c.id}`,
  ].join('\n');
}

function signed(gain: number): string {
  return `${gain >= 0 ? '+' : '-'}${fmtScore(Math.abs(gain))}`;
}
