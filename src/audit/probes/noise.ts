// Noise gaming: changes that only move the luck of the measurement. A real candidate that
// changes nothing but a seed literal, and simulated races on the baseline's own measured
// noise (an unchanged program; one that only adds variance around the same median).
import { median } from 'simple-statistics';
import type { FileSet } from '../../core/types.js';
import { acceptConfig, acceptRate } from '../race.js';
import type { CheckProbe, Probe, ProbeContext } from '../probe.js';

const SEED = /(\b\w*seed\w*\s*(?:=|:|\(|,)\s*)(\d+)/i;
const TRIALS = 300;

function seedEdit(ctx: ProbeContext, step: number): FileSet | string {
  for (const p of ctx.programs) {
    const m = SEED.exec(p.content);
    if (m) return { [p.path]: p.content.replace(SEED, `$1${Number(m[2]) + step * 97}`) };
  }
  return 'no seed literal (seed = 42, random.seed(42), …) in the editable files';
}

function noiseProbe(name: string, tries: string, spread: number): CheckProbe {
  return {
    kind: 'check',
    name,
    family: 'noise',
    tries,
    fast: true,
    skip: (ctx) =>
      ctx.baseline.samples.every((v) => v === ctx.baseline.samples[0])
        ? "the baseline's samples are all equal: no measured noise to game (see determinism)"
        : undefined,
    async check(ctx, tools) {
      const accept = acceptConfig(ctx.config);
      const base = ctx.baseline.samples;
      const mid = median(base);
      const rate = await acceptRate({
        accept,
        goal: ctx.goal,
        minRepeats: Math.max(1, ...ctx.config.verifier.stages.filter((s) => s.kind === 'score').map((s) => s.repeat)),
        baseline: base,
        draw: (random) => mid + spread * (base[Math.floor(random() * base.length)] - mid),
        random: tools.random,
        trials: TRIALS,
      });
      const limit = 2 * accept.alpha + 0.02;
      const what = `${(100 * rate).toFixed(1)}% of ${TRIALS} simulated races on the baseline's ${base.length} measured samples (limit ${(100 * limit).toFixed(1)}%)`;
      if (rate <= limit) return { outcome: 'contained', reason: `the acceptance rule accepted ${what}` };
      return {
        outcome: 'let-through',
        reason: `the acceptance rule accepted ${what}`,
        fix:
          accept.rule === 'better'
            ? 'accept.rule: better keeps any lucky median: use rule: pooled (the default) or significant.'
            : 'the rule accepts noise on this verifier: lower accept.alpha, raise accept.baseline_repeats and max_repeats, or set min_delta above the noise.',
      };
    },
  };
}

export const noiseProbes: Probe[] = [
  {
    kind: 'program',
    name: 'noise-seed',
    family: 'noise',
    tries: 'changes only a seed literal of the program (three different values)',
    fast: false,
    languages: ['javascript', 'python', 'shell'],
    skip: (ctx) => {
      const e = seedEdit(ctx, 1);
      return typeof e === 'string' ? e : undefined;
    },
    expect: 'no-gain',
    attacks: () => [1, 2, 3].map((step) => ({ label: `changes the seed literal by ${step * 97}`, edit: (ctx: ProbeContext) => seedEdit(ctx, step) })),
    fix: (_ctx, o) =>
      `changing only the seed (${o.attack.label}) was accepted as an improvement: the score rewards a lucky seed. Measure several seeds per candidate (the score stage's repeat:, with the program seeded from EVOLOOP_SEED), or raise accept.min_delta.`,
  },
  noiseProbe('noise-luck', 'races an unchanged program against the baseline on its measured noise (simulated)', 1),
  noiseProbe('noise-variance', 'races a program that only adds variance (3× the spread, same median) against the baseline (simulated)', 3),
];
