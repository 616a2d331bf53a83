// Benchmark: does acceptance tell luck from improvement?
// Simulates noisy verifiers and candidates with known true effects, and measures each
// acceptance rule. Run: npx tsx bench/noise/main.ts   (seeded: same figures every run)
import { DEFAULT_ACCEPT, decide, initialRepeats, type AcceptConfig } from '../../src/evaluate/acceptance.js';
import { seededRandom } from '../../src/core/random.js';

const SEED = 20240501;
const START = 100; // true objective value of the baseline (maximize)
const BASELINE_REPEATS = DEFAULT_ACCEPT.baselineRepeats;
const RATE_TRIALS = 1000; // comparisons per (scenario, rule, effect)
const CLIMB_RUNS = 100; // hill-climbs per (scenario, rule)
const CLIMB_BUDGET = 600; // evaluations per hill-climb, baseline included
const EFFECTS = [-2, -1, 0, 0.5, 1, 2, 4]; // true effect of a challenger, in noise SDs
// Hill-climb candidate streams, as [true effect in noise SDs, probability].
type Stream = Array<[effect: number, weight: number]>;
// A mature program: improvements are rare, most edits are neutral or slightly worse.
const SPARSE: Stream = [
  [4, 0.0125],
  [2, 0.0125],
  [1, 0.0125],
  [0.5, 0.0125],
  [0, 0.35],
  [-0.5, 0.3],
  [-1, 0.2],
  [-2, 0.1],
];
// Early days: 20% of edits improve, the worse ones are spread out.
const RICH: Stream = [
  [4, 0.05],
  [2, 0.05],
  [1, 0.05],
  [0.5, 0.05],
  [0, 0.3],
  [-0.5, 0.125],
  [-1, 0.125],
  [-2, 0.125],
  [-4, 0.125],
];

// ── seeded randomness ────────────────────────────────────────────────────────
type Rng = () => number;
const mulberry32 = seededRandom;
function gauss(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

// ── noise models: a measurement of a program whose true value is v ───────────
// Noise SD is cv·START throughout, so effects in "noise SDs" mean the same all along a climb.
type Noise = 'gaussian' | 'student-t(3)' | 'lognormal';
interface Scenario {
  noise: Noise;
  cv: number;
}
const sd = (s: Scenario) => s.cv * START;
function measure(s: Scenario, v: number, rng: Rng): number {
  return v + sd(s) * deviate(s, rng);
}
/** Mean 0, SD 1. */
function deviate(s: Scenario, rng: Rng): number {
  if (s.noise === 'gaussian') return gauss(rng);
  if (s.noise === 'student-t(3)') {
    const chi2 = gauss(rng) ** 2 + gauss(rng) ** 2 + gauss(rng) ** 2;
    return gauss(rng) / Math.sqrt(chi2 / 3) / Math.sqrt(3); // t(3) has variance 3
  }
  // Right-skewed: START·exp(σZ − σ²/2) has mean START and SD cv·START (e.g. run times).
  const sigma = Math.sqrt(Math.log(1 + s.cv ** 2));
  return (Math.exp(sigma * gauss(rng) - sigma ** 2 / 2) - 1) / s.cv;
}

// ── rules under test ─────────────────────────────────────────────────────────
interface Arm {
  value: number;
  samples: number[];
}
interface Rule {
  name: string;
  compare(champ: Arm, chal: Arm, fill: (arm: Arm, n: number) => void): boolean;
}

function significant(name: string, cfg: AcceptConfig): Rule {
  return {
    name,
    compare(champ, chal, fill) {
      fill(chal, initialRepeats(champ.samples, cfg));
      for (;;) {
        const v = decide(champ.samples, chal.samples, 'maximize', cfg);
        if (v.decision !== 'more') return v.decision === 'accept';
        fill(chal, v.wantChallenger);
        fill(champ, v.wantChampion);
      }
    },
  };
}
function naive(name: string, repeats: number): Rule {
  const cfg: AcceptConfig = { ...DEFAULT_ACCEPT, rule: 'better' };
  return {
    name,
    compare(champ, chal, fill) {
      fill(chal, repeats);
      fill(champ, repeats);
      return decide(champ.samples, chal.samples, 'maximize', cfg).decision === 'accept';
    },
  };
}
const RULES: Rule[] = [
  significant('significant (default, MW)', DEFAULT_ACCEPT),
  significant('significant, Welch t', { ...DEFAULT_ACCEPT, test: 'welch' }),
  naive('better, 1 sample (naive)', 1),
  naive('better, 3-sample median', 3),
];

// ── experiments ──────────────────────────────────────────────────────────────
/** Measurements made through `fill` are counted; sample i stands for seed i. */
function counter(s: Scenario, rng: Rng) {
  const state = {
    evals: 0,
    fill(arm: Arm, n: number) {
      while (arm.samples.length < n) {
        arm.samples.push(measure(s, arm.value, rng));
        state.evals++;
      }
    },
  };
  return state;
}

/** Acceptance rate and evaluations per decision for challengers of one true effect, each against a fresh baseline. */
function rates(s: Scenario, rule: Rule, effect: number, rng: Rng) {
  let accepted = 0;
  const c = counter(s, rng);
  for (let t = 0; t < RATE_TRIALS; t++) {
    const champ: Arm = { value: START, samples: [] };
    c.fill(champ, BASELINE_REPEATS);
    c.evals -= BASELINE_REPEATS; // the baseline is paid once per run, not per decision
    if (rule.compare(champ, { value: START + effect * sd(s), samples: [] }, c.fill)) accepted++;
  }
  return { rate: accepted / RATE_TRIALS, evals: c.evals / RATE_TRIALS };
}

/** Greedy hill-climb on a fixed evaluation budget; returns the champion's true value and the summed true effects kept. */
function climb(s: Scenario, rule: Rule, stream: Stream, rng: Rng) {
  const c = counter(s, rng);
  let champ: Arm = { value: START, samples: [] };
  c.fill(champ, BASELINE_REPEATS);
  let kept = 0;
  let worseKept = 0;
  while (c.evals < CLIMB_BUDGET) {
    const effect = pick(stream, rng);
    const chal: Arm = { value: champ.value + effect * sd(s), samples: [] };
    if (rule.compare(champ, chal, c.fill)) {
      champ = chal; // its samples become the champion's and keep accumulating
      kept += effect;
      if (effect <= 0) worseKept++;
    }
  }
  return { value: champ.value, kept, worseKept };
}
function pick(stream: Stream, rng: Rng): number {
  let r = rng();
  for (const [effect, weight] of stream) if ((r -= weight) < 0) return effect;
  return 0;
}

// ── report ───────────────────────────────────────────────────────────────────
const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(6);
const num = (x: number, d: number) => x.toFixed(d).padStart(6);
const started = Date.now();
const rng = mulberry32(SEED);
const scenarios: Scenario[] = [];
for (const noise of ['gaussian', 'student-t(3)', 'lognormal'] as Noise[]) for (const cv of [0.01, 0.05, 0.1]) scenarios.push({ noise, cv });
const describe = (st: Stream) => st.map(([e, w]) => `${e}:${+(w * 100).toFixed(2)}%`).join(' ');

console.log(
  `bench/noise — seed ${SEED}; ${RATE_TRIALS} comparisons per rule and effect; ${CLIMB_RUNS} hill-climbs of ${CLIMB_BUDGET} evaluations per rule and stream.`,
);
console.log(
  `significant defaults: alpha ${DEFAULT_ACCEPT.alpha}, baseline_repeats ${BASELINE_REPEATS}, max_repeats ${DEFAULT_ACCEPT.maxRepeats}, min_delta 0.`,
);
console.log('FA d = false-accept rate of challengers whose true effect is d noise SDs (0 = neutral, <0 = worse);');
console.log('TA d = true-accept rate of challengers better by d SDs; evals = measurements per decision, averaged over');
console.log('the seven effects (challenger + champion top-ups; baseline not counted).');
console.log(`climb = greedy hill-climb, champion replaced on accept and topped up alongside challengers; final = mean true`);
console.log(`value reached (start ${START}, +cv per SD gained), bad = neutral/worse candidates accepted per climb.`);
console.log(`  sparse stream (effect SD:share): ${describe(SPARSE)}`);
console.log(`  rich stream:                     ${describe(RICH)}\n`);
console.log(
  [
    'scenario'.padEnd(19),
    'rule'.padEnd(26),
    '  FA 0',
    ' FA -1',
    ' FA -2',
    'TA 0.5',
    '  TA 1',
    '  TA 2',
    '  TA 4',
    ' evals',
    'sparse final',
    'bad',
    ' rich final',
    'bad',
  ].join(' '),
);
const verdicts: string[] = [];
for (const s of scenarios) {
  const label = `${s.noise} cv ${Math.round(s.cv * 100)}%`.padEnd(19);
  const finals: Array<[number, number]> = [];
  for (const rule of RULES) {
    const byEffect = new Map(EFFECTS.map((e) => [e, rates(s, rule, e, rng)]));
    const r = (e: number) => byEffect.get(e)!.rate;
    const evals = EFFECTS.reduce((sum, e) => sum + byEffect.get(e)!.evals, 0) / EFFECTS.length;
    const climbs = [SPARSE, RICH].map((stream) => {
      const runs = Array.from({ length: CLIMB_RUNS }, () => climb(s, rule, stream, rng));
      return { value: avg(runs.map((c) => c.value)), bad: avg(runs.map((c) => c.worseKept)) };
    });
    finals.push([climbs[0].value, climbs[1].value]);
    console.log(
      [
        label,
        rule.name.padEnd(26),
        ...[0, -1, -2, 0.5, 1, 2, 4].map((e) => pct(r(e))),
        num(evals, 1),
        num(climbs[0].value, 2).padStart(12),
        num(climbs[0].bad, 1),
        num(climbs[1].value, 2).padStart(11),
        num(climbs[1].bad, 1),
      ].join(' '),
    );
    if (rule === RULES[0])
      verdicts.push(`${label} FA 0 ${pct(r(0))} ${r(0) <= 0.05 ? '≤ 5% ok ' : '> 5% NO '}  TA 2 ${pct(r(2))} ${r(2) >= 0.8 ? '≥ 80% ok ' : '< 80% NO '}`);
  }
  const [sig, , one, three] = finals;
  const beats = (k: 0 | 1) => (sig[k] > one[k] && sig[k] > three[k] ? 'beats naive' : 'NOT above naive');
  verdicts[verdicts.length - 1] += `  final: sparse ${beats(0)}, rich ${beats(1)}`;
}
console.log('\ntargets (default rule):');
for (const v of verdicts) console.log('  ' + v);
console.log(`\n${((Date.now() - started) / 1000).toFixed(1)} s`);

function avg(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
