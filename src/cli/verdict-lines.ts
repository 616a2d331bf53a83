// The trust part of `status`: how verdicts were made, the noise floor, each champion's
// gain with its interval and holdout score, and integrity alarms.
import type { RunSummary } from '../store/summary.js';
import { fmtScore } from './context.js';

export function verdictLines(s: RunSummary): string[] {
  const lines = [
    s.accept.naive
      ? 'acceptance: better — NAIVE (any better median is kept; lucky noise is accepted too)'
      : s.accept.rule === 'pooled'
        ? "acceptance: pooled (t test on the run's pooled noise, a spread check, at least 3 samples before any accept)"
        : 'acceptance: significant (one-sided Mann–Whitney, racing on uncertain verdicts)',
  ];
  if (s.noiseModel) lines.push(noiseModelLine(s.noiseModel));
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
      const r = c.reported;
      const reported =
        !r || r.from === 'selection' ? '' : ` · ${r.from === 'remeasured' ? `re-measured ${signed(r.gain)} (n=${r.n})` : `shrunk ${signed(r.gain)}`}`;
      lines.push(
        `  #${String(c.id).padEnd(5)} ${fmtScore(c.score).padStart(10)}  ${gain}${reported}${holdout}${c.flags.length ? `  [${c.flags.join(', ')}]` : ''}`,
      );
    }
  }
  const best = s.champions.find((c) => c.id === s.bestCandidate)?.reported;
  if (best && best.from !== 'selection')
    lines.push(
      best.from === 'remeasured'
        ? `best on re-measurement: ${signed(best.gain)} over the baseline (${best.n} samples taken after it was selected; the figures it won with overstate it)`
        : `best not re-measured yet: ${signed(best.gain)} over the baseline after shrinking the gain it was selected with by its uncertainty`,
    );
  const { tampered, holdoutAlarms, suspicious } = s.integrity;
  if (tampered.length) lines.push(`!! TAMPERED (changed protected files while running, never accepted): ${tampered.map((id) => `#${id}`).join(' ')}`);
  if (holdoutAlarms.length)
    lines.push(`!! HOLDOUT ALARM (objective up, holdout down — overfitting or gaming?): ${holdoutAlarms.map((id) => `#${id}`).join(' ')}`);
  if (suspicious.length) lines.push(`flagged for review (heuristics): ${suspicious.map((id) => `#${id}`).join(' ')} — see evoloop show <id>`);
  return lines;
}

/** Which comparison a pooled run makes, and the evidence for it. */
function noiseModelLine(m: NonNullable<RunSummary['noiseModel']>): string {
  const how = m.kind === 'seed' ? 'seed-driven — challenger and champion compared seed by seed' : 'machine noise — compared unpaired';
  const share = m.seedShare === null ? '' : `the seed explains ${(100 * m.seedShare).toFixed(0)}% of the baseline's variance`;
  const evidence =
    m.source === 'configured'
      ? 'set by accept.noise_model'
      : m.replicates > 0
        ? `${share}; ${m.replicates} seeds measured twice`
        : 'the baseline is deterministic';
  return `noise model: ${how} (${[m.source === 'configured' && share, evidence].filter(Boolean).join('; ')})`;
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : ''}${fmtScore(v)}`;
}
