// Per-operator statistics of a run (for `status`): how many proposals each operator made,
// how many could be evaluated, how many were accepted, the mean gain of those, and their cost.
import { improvement } from '../core/fitness.js';
import type { Goal } from '../core/types.js';
import type { Store } from '../store/store.js';

export interface OperatorStats {
  operator: string;
  proposals: number;
  /** Evaluated by the verifier (not invalid, duplicate or pending). */
  valid: number;
  accepted: number;
  /** Mean improvement over the parent of the accepted ones (null when none). */
  meanGain: number | null;
  tokensIn: number;
  tokensOut: number;
  usd: number;
}

const NOT_EVALUATED = new Set(['invalid', 'duplicate', 'pending']);

export function operatorStats(store: Store, runId: string, goal: Goal): OperatorStats[] {
  const candidates = store.listCandidates(runId);
  const score = new Map(candidates.map((c) => [c.id, c.score]));
  const by = new Map<string, OperatorStats & { gains: number[] }>();
  for (const c of candidates) {
    if (c.operator === 'baseline') continue;
    const s = by.get(c.operator) ?? { operator: c.operator, proposals: 0, valid: 0, accepted: 0, meanGain: null, tokensIn: 0, tokensOut: 0, usd: 0, gains: [] };
    s.proposals++;
    if (!NOT_EVALUATED.has(c.status)) s.valid++;
    if (c.status === 'accepted') {
      s.accepted++;
      const parent = c.parentId === null ? null : score.get(c.parentId);
      if (c.score !== null && parent != null) s.gains.push(improvement(c.score, parent, goal));
    }
    s.tokensIn += c.tokensIn;
    s.tokensOut += c.tokensOut;
    s.usd += c.usd;
    by.set(c.operator, s);
  }
  return [...by.values()].map(({ gains, ...s }) => ({ ...s, meanGain: gains.length ? gains.reduce((a, b) => a + b, 0) / gains.length : null }));
}
