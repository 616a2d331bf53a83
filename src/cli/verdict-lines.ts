// The trust part of `status`: how verdicts were made, the noise floor, each champion's
// gain with its interval and holdout score, and integrity alarms.
import type { RunSummary } from '../store/summary.js';
import { fmtScore } from './context.js';

export function verdictLines(s: RunSummary): string[] {
  const lines = [
    s.accept.naive
      ? 'acceptance: better — NAIVE (any better median is kept; lucky noise is accepted too)'
      : 'acceptance: significant (one-sided Mann–Whitney, racing on uncertain verdicts)',
  ];
  if (s.noise)
    lines.push(
      `noise floor (baseline, n=${s.noise.n}): median ${fmtScore(s.noise.median)}, MAD ${fmtScore(s.noise.mad)}, CV ${s.noise.cv === null ? '∞ (median 0)' : `${(100 * s.noise.cv).toFixed(2)}%`}`,
    );
  const hasHoldout = s.champions.some((c) => c.holdout !== null);
  if (s.champions.length > 1) {
    lines.push('champions:');
    for (const c of s.champions) {
      const gain =
        c.gain === null
          ? 'baseline'
          : `gain ${fmtScore(c.gain)}${c.ci ? ` [${fmtScore(c.ci[0])}, ${fmtScore(c.ci[1])}]` : ''}${c.pValue !== null ? ` p=${c.pValue.toPrecision(2)}` : ''}`;
      const holdout = hasHoldout ? ` · holdout ${fmtScore(c.holdout)}` : '';
      lines.push(`  #${String(c.id).padEnd(5)} ${fmtScore(c.score).padStart(10)}  ${gain}${holdout}${c.flags.length ? `  [${c.flags.join(', ')}]` : ''}`);
    }
  }
  const { tampered, holdoutAlarms, suspicious } = s.integrity;
  if (tampered.length) lines.push(`!! TAMPERED (changed protected files while running, never accepted): ${tampered.map((id) => `#${id}`).join(' ')}`);
  if (holdoutAlarms.length)
    lines.push(`!! HOLDOUT ALARM (objective up, holdout down — overfitting or gaming?): ${holdoutAlarms.map((id) => `#${id}`).join(' ')}`);
  if (suspicious.length) lines.push(`flagged for review (heuristics): ${suspicious.map((id) => `#${id}`).join(' ')} — see evoloop show <id>`);
  return lines;
}
