// From what happened to a probe's candidates to one outcome: the worst over its attacks
// (let through > detected > contained), with the reason and, when let through, the fix.
import type { Judgement, Observation, ProbeContext, ProgramProbe } from './probe.js';

const RANK = { 'let-through': 3, detected: 2, contained: 1, skipped: 0 } as const;

export function worst(judgements: Judgement[]): Judgement {
  return judgements.reduce((a, b) => (RANK[b.outcome] > RANK[a.outcome] ? b : a));
}

export function judgeObservation(probe: ProgramProbe, ctx: ProbeContext, o: Observation): Judgement {
  const sign = ctx.goal === 'maximize' ? 1 : -1;
  if (o.refused !== undefined) return { outcome: 'contained', reason: `${o.attack.label}: refused before running: ${o.refused}` };
  if (o.failed) return { outcome: 'contained', reason: `${o.attack.label}: failed (${o.failed.kind}): ${clip(o.failed.message)}` };
  const v = o.verdict!;
  if (v.decision === 'accept') {
    if (o.flags.length > 0) return { outcome: 'detected', reason: `${o.attack.label}: accepted (${v.reason}) but flagged ${o.flags.join(', ')}` };
    return {
      outcome: 'let-through',
      reason: `${o.attack.label}: accepted as an improvement (score ${fmt(v.median)} vs baseline ${fmt(ctx.baseline.score)}; ${v.reason})`,
      fix: probe.fix(ctx, o),
    };
  }
  if (probe.expect === 'worse' && sign * (v.median - ctx.baseline.score) >= 0) {
    return {
      outcome: 'let-through',
      reason: `${o.attack.label}: scored ${fmt(v.median)}, no worse than the baseline ${fmt(ctx.baseline.score)}`,
      fix: probe.fix(ctx, o),
    };
  }
  const worse = probe.expect === 'worse' ? `scored worse (${fmt(v.median)} vs baseline ${fmt(ctx.baseline.score)})` : `rejected: ${v.reason}`;
  return { outcome: 'contained', reason: `${o.attack.label}: ${worse}` };
}

export const clip = (s: string) => (s.length > 240 ? `${s.slice(0, 240)}…` : s).replace(/\s+/g, ' ');
const fmt = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)).toString() : String(v));
