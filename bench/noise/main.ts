// Benchmark: does acceptance tell luck from improvement, and at what cost in evaluations?
// Simulates noisy verifiers and candidates with known true effects, and measures each
// acceptance rule. Run: npx tsx bench/noise/main.ts [--trials N] [--climbs N] [--only <scenario substring>]
// (seeded: same figures every run).
import { DEFAULT_ACCEPT, decide, initialRepeats, type AcceptConfig } from '../../src/evaluate/acceptance.js';
import { classifyNoise, NoisePool, type NoiseKind } from '../../src/evaluate/noise-model.js';
import { seedFrom, seededRandom } from '../../src/core/random.js';

const SEED = 20240501;
const START = 100; // true objective value of the baseline (maximize)
const BASELINE_REPEATS = DEFAULT_ACCEPT.baselineRepeats;
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const RATE_TRIALS = arg('trials', 2000); // comparisons per (scenario, rule, effect)
const TRIALS_PER_RUN = 20; // comparisons against one baseline (one simulated run: its pooled noise, its seeds)
const CLIMB_RUNS = arg('climbs', 200); // hill-climbs per (scenario, rule)
const CLIMB_BUDGET = 600; // evaluations per hill-climb, baseline included
const EFFECTS = [-2, -1, 0, 0.5, 1, 2, 4]; // true effect of a challenger, in noise SDs
const INFLATION = 10; // the variance inflator: true effect 0, this many times the noise SD
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
function gauss(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

// ── noise models: a measurement of a program whose true value is v ───────────
// Noise SD is cv·START throughout (before a drift), so effects in "noise SDs" mean the same all along a climb.
type Noise = 'gaussian' | 'student-t(3)' | 'lognormal';
interface Scenario {
  label: string;
  noise: Noise;
  cv: number;
  /** Share of the variance that is the seed's (the same seed gives the same value up to the rest). */
  seedShare: number;
  /** The machine's noise is multiplied by this halfway through a run. */
  drift: number;
}
const sd = (s: Scenario) => s.cv * START;
/** Machine noise: mean 0, SD 1. */
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

interface Arm {
  id: number;
  value: number;
  /** Multiplies the noise (the variance inflator: INFLATION). */
  spread: number;
  samples: number[];
}

/** One simulated run: its seeds' effects, its noise level, its evaluation count. Sample i of an arm is measured with seed i. */
class World {
  evals = 0;
  level = 1;
  private ids = 0;
  private readonly seedEffects: number[] = [];
  constructor(
    readonly s: Scenario,
    private readonly rng: Rng,
  ) {}
  arm(value: number, spread = 1): Arm {
    return { id: this.ids++, value, spread, samples: [] };
  }
  measure(arm: Arm, seed: number): number {
    while (this.seedEffects.length <= seed) this.seedEffects.push(gauss(this.rng));
    const { seedShare } = this.s;
    const noise = Math.sqrt(seedShare) * this.seedEffects[seed] + this.level * Math.sqrt(1 - seedShare) * deviate(this.s, this.rng);
    this.evals++;
    return arm.value + sd(this.s) * arm.spread * noise;
  }
  fill = (arm: Arm, n: number) => {
    while (arm.samples.length < n) arm.samples.push(this.measure(arm, arm.samples.length));
  };
}

// ── rules under test ─────────────────────────────────────────────────────────
/** Decides champion vs challenger in one run, measuring through the world; true = accepted. */
type Judge = (champ: Arm, chal: Arm) => boolean;
interface Rule {
  name: string;
  /** After the baseline is measured: what the rule learns of the run (the pooled rule's noise model). */
  start(world: World, baseline: Arm): { judge: Judge; kind?: NoiseKind };
}

function significant(name: string, cfg: AcceptConfig): Rule {
  return {
    name,
    start: (world) => ({
      judge(champ, chal) {
        world.fill(chal, initialRepeats(champ.samples, cfg));
        for (;;) {
          const v = decide(champ.samples, chal.samples, 'maximize', cfg);
          if (v.decision !== 'more') return v.decision === 'accept';
          world.fill(chal, v.wantChallenger);
          world.fill(champ, v.wantChampion);
        }
      },
    }),
  };
}
/** The pooled rule, raced as population/racing.ts races it: replicates at baseline, one pool per run. */
function pooled(name: string, cfg: AcceptConfig): Rule {
  return {
    name,
    start(world, baseline) {
      const samples = baseline.samples;
      const replicates = samples.every((v) => v === samples[0]) ? [] : samples.map((_, i) => world.measure(baseline, i));
      const kind = replicates.length ? classifyNoise(samples, replicates).kind : 'machine';
      const pool = new NoisePool(kind);
      pool.observeBaseline(baseline.id, samples, replicates);
      return {
        kind,
        judge(champ, chal) {
          world.fill(chal, initialRepeats(champ.samples, cfg));
          for (;;) {
            pool.observe(champ, chal);
            const v = decide(champ.samples, chal.samples, 'maximize', cfg, { kind, pool: pool.estimate(chal.id) });
            if (v.decision !== 'more') return v.decision === 'accept';
            world.fill(chal, v.wantChallenger);
            world.fill(champ, v.wantChampion);
          }
        },
      };
    },
  };
}
function naive(name: string, repeats: number): Rule {
  const cfg: AcceptConfig = { ...DEFAULT_ACCEPT, rule: 'better' };
  return {
    name,
    start: (world) => ({
      judge(champ, chal) {
        world.fill(chal, repeats);
        world.fill(champ, repeats);
        return decide(champ.samples, chal.samples, 'maximize', cfg).decision === 'accept';
      },
    }),
  };
}
const POOLED = pooled('pooled (default)', { ...DEFAULT_ACCEPT, rule: 'pooled' });
const ONE = naive('better, 1 sample (naive)', 1);
const THREE = naive('better, 3-sample median', 3);
const RULES: Rule[] = [
  POOLED,
  significant('significant (MW)', { ...DEFAULT_ACCEPT, rule: 'significant' }),
  significant('significant, Welch t', { ...DEFAULT_ACCEPT, rule: 'significant', test: 'welch' }),
  ONE,
  THREE,
];

// ── experiments ──────────────────────────────────────────────────────────────
type Challenger = number | 'inflator';

/** Acceptance rate and evaluations per decision for challengers of one kind, in runs of TRIALS_PER_RUN against the run's baseline. */
function rates(s: Scenario, rule: Rule, who: Challenger, rng: Rng) {
  let accepted = 0;
  let evals = 0;
  let paired = 0;
  const runs = Math.ceil(RATE_TRIALS / TRIALS_PER_RUN);
  for (let r = 0; r < runs; r++) {
    const world = new World(s, rng);
    const champ = world.arm(START);
    world.fill(champ, BASELINE_REPEATS);
    const { judge, kind } = rule.start(world, champ);
    if (kind === 'seed') paired++;
    const before = world.evals; // the baseline (and its replicates) are paid once per run, not per decision
    for (let t = 0; t < TRIALS_PER_RUN; t++) {
      if (t === TRIALS_PER_RUN / 2) world.level = s.drift;
      const chal = who === 'inflator' ? world.arm(START, INFLATION) : world.arm(START + who * sd(s) * world.level);
      if (judge(champ, chal)) accepted++;
    }
    evals += world.evals - before;
  }
  const trials = runs * TRIALS_PER_RUN;
  return { rate: accepted / trials, evals: evals / trials, paired: paired / runs };
}

/**
 * Greedy hill-climb on a fixed evaluation budget: the champion's true value, bad candidates kept,
 * evaluations per decision. Common random numbers: climb k of a scenario and stream draws its
 * candidates from one seeded stream and its measurements from another, the same for every rule,
 * so the rules meet the same candidates in the same order and their difference is measured
 * far more precisely than by independent climbs.
 */
function climb(s: Scenario, rule: Rule, stream: Stream, k: number) {
  const [streamName, label] = [stream === SPARSE ? 'sparse' : 'rich', s.label];
  const rng = seededRandom(seedFrom(SEED, label, streamName, k, 'candidates'));
  const world = new World(s, seededRandom(seedFrom(SEED, label, streamName, k, 'measurements')));
  let champ = world.arm(START);
  world.fill(champ, BASELINE_REPEATS);
  const { judge } = rule.start(world, champ);
  const start = world.evals;
  let worseKept = 0;
  let decisions = 0;
  while (world.evals < CLIMB_BUDGET) {
    if (world.evals >= CLIMB_BUDGET / 2) world.level = s.drift;
    const effect = pick(stream, rng);
    const chal = world.arm(champ.value + effect * sd(s) * world.level);
    decisions++;
    if (judge(champ, chal)) {
      champ = chal; // its samples become the champion's and keep accumulating
      if (effect <= 0) worseKept++;
    }
  }
  return { value: champ.value, worseKept, perDecision: (world.evals - start) / decisions };
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
const rng = seededRandom(SEED);
const scenarios: Scenario[] = [];
for (const noise of ['gaussian', 'student-t(3)', 'lognormal'] as Noise[])
  for (const cv of [0.01, 0.05, 0.1]) scenarios.push({ label: `${noise} cv ${Math.round(cv * 100)}%`, noise, cv, seedShare: 0, drift: 1 });
scenarios.push({ label: 'seed-driven cv 5%', noise: 'gaussian', cv: 0.05, seedShare: 0.95, drift: 1 });
scenarios.push({ label: 'drift cv 5% → ×3', noise: 'gaussian', cv: 0.05, seedShare: 0, drift: 3 });
const describe = (st: Stream) => st.map(([e, w]) => `${e}:${+(w * 100).toFixed(2)}%`).join(' ');

console.log(
  `bench/noise — seed ${SEED}; ${RATE_TRIALS} comparisons per rule and challenger, in runs of ${TRIALS_PER_RUN} against one baseline; ${CLIMB_RUNS} hill-climbs of ${CLIMB_BUDGET} evaluations per rule and stream.`,
);
console.log(
  `defaults: alpha ${DEFAULT_ACCEPT.alpha}, baseline_repeats ${BASELINE_REPEATS}, max_repeats ${DEFAULT_ACCEPT.maxRepeats}, min_delta 0; pooled: every baseline seed measured twice.`,
);
console.log('FA d = false-accept rate of challengers whose true effect is d noise SDs (0 = neutral, <0 = worse); FA infl = of a neutral');
console.log(`challenger with ${INFLATION}× the noise SD (the variance inflator). TA d = true-accept rate of challengers better by d SDs;`);
console.log('evals = measurements per decision averaged over the seven effects (challenger + champion top-ups; baseline not counted);');
console.log('paired = share of runs in which the pooled rule chose the seed-driven (paired) model.');
console.log(`climb = greedy hill-climb, champion replaced on accept and topped up alongside challengers (climb k meets the same candidates and`);
console.log(`measurement noise under every rule: common random numbers); final = mean true value`);
console.log(`reached (start ${START}, +cv per SD gained), bad = neutral/worse candidates accepted per climb, ev/dec = evaluations per decision.`);
console.log('Scenarios: seed-driven = 95% of the variance is the seed (same seed, same value up to the rest); drift = the machine noise');
console.log('triples halfway through each run (effects are in SDs of the noise at the time).');
console.log(`  sparse stream (effect SD:share): ${describe(SPARSE)}`);
console.log(`  rich stream:                     ${describe(RICH)}\n`);
const header = ['scenario'.padEnd(19), 'rule'.padEnd(26), '  FA 0', ' FA -1', ' FA -2', 'FA infl', 'TA 0.5', '  TA 1', '  TA 2', '  TA 4', ' evals', 'paired'];
console.log([...header, 'sparse final', '  bad', 'ev/dec', ' rich final', '  bad', 'ev/dec'].join(' '));
const verdicts: string[] = [];
for (const s of scenarios.filter((x) => !ONLY || x.label.includes(ONLY))) {
  const finals = new Map<Rule, { sparse: number[]; rich: number[] }>();
  let target = '';
  for (const rule of RULES) {
    const byEffect = new Map<Challenger, ReturnType<typeof rates>>([...EFFECTS, 'inflator' as const].map((e) => [e, rates(s, rule, e, rng)]));
    const r = (e: Challenger) => byEffect.get(e)!.rate;
    const evals = EFFECTS.reduce((sum, e) => sum + byEffect.get(e)!.evals, 0) / EFFECTS.length;
    const [sparse, rich] = [SPARSE, RICH].map((stream) => {
      const runs = Array.from({ length: CLIMB_RUNS }, (_, k) => climb(s, rule, stream, k));
      const values = runs.map((c) => c.value);
      return { values, value: avg(values), bad: avg(runs.map((c) => c.worseKept)), perDecision: avg(runs.map((c) => c.perDecision)) };
    });
    finals.set(rule, { sparse: sparse.values, rich: rich.values });
    console.log(
      [
        s.label.padEnd(19),
        rule.name.padEnd(26),
        ...[0, -1, -2].map((e) => pct(r(e))),
        pct(r('inflator')).padStart(7),
        ...[0.5, 1, 2, 4].map((e) => pct(r(e))),
        num(evals, 1),
        rule === POOLED ? pct(byEffect.get(0)!.paired) : '     —',
        num(sparse.value, 2).padStart(12),
        num(sparse.bad, 1).padStart(5),
        num(sparse.perDecision, 2),
        num(rich.value, 2).padStart(11),
        num(rich.bad, 1).padStart(5),
        num(rich.perDecision, 2),
      ].join(' '),
    );
    if (rule === POOLED) {
      const ok = (cond: boolean) => (cond ? 'ok' : 'NO');
      target = `${s.label.padEnd(19)} FA 0 ${pct(r(0))} ${ok(r(0) <= 0.05)}  FA infl ${pct(r('inflator'))} ${ok(r('inflator') <= 0.05)}  TA 2 ${pct(r(2))} ${ok(r(2) >= 0.8)}  sparse ev/dec ${num(sparse.perDecision, 2)} ${ok(sparse.perDecision <= 1.5)}`;
    }
  }
  const p = finals.get(POOLED)!;
  verdicts.push(
    `${target}  final: sparse > 1-sample ${above(p.sparse, finals.get(ONE)!.sparse)}, sparse > 3-median ${above(p.sparse, finals.get(THREE)!.sparse)}, rich > 3-median ${above(p.rich, finals.get(THREE)!.rich)}`,
  );
}
console.log('\ntargets (pooled rule; FA ≤ 5%, FA infl ≤ 5%, TA 2 ≥ 80%, sparse ev/dec ≤ 1.5, final above the naive rules,');
console.log('with the mean difference over the same climbs ± its standard error, relative to the naive rule):');
for (const v of verdicts) console.log('  ' + v);
console.log(`\n${((Date.now() - started) / 1000).toFixed(1)} s`);

/** Pooled minus the other rule's final value, climb by climb (the same candidates): its mean ± standard error, relative to the other's mean. */
function above(pooledFinals: number[], other: number[]): string {
  const d = pooledFinals.map((v, k) => v - other[k]);
  const m = avg(d);
  const se = Math.sqrt(d.reduce((sum, x) => sum + (x - m) ** 2, 0) / (d.length - 1) / d.length);
  const rel = (x: number) => `${x >= 0 ? '+' : ''}${((100 * x) / avg(other)).toFixed(1)}%`;
  return `${m > 0 ? 'ok' : 'NO'} (${rel(m)} ± ${rel(se).slice(1)})`;
}

function avg(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
