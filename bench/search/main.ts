// Benchmark: which search strategy finds the best program on synthetic deceptive landscapes?
// Every run is the real engine (engine/evolution.ts) with the real populations (greedy,
// best-of-n, islands from population/registry.ts), the real admission, store (SQLite in a
// temp folder, on /dev/shm when there is one), bandit and `merge` operator. Only two parts are
// stand-ins, so a run takes a fraction of a second instead of minutes: the backend computes the
// landscape's value from the candidate's genome file in-process (deterministic, recorded as a
// measurement like any backend's), and the proposer is scripted with a known step distribution:
//
//   step: change k coordinates (k = 1, 2, 3 with probability 0.6, 0.3, 0.1, chosen uniformly);
//         each is resampled uniformly in [0, 1] with probability 0.15, else moved by N(0, 0.1);
//         clamped to [0, 1], written with 3 decimals.
//
// "islands + merge" mixes step 0.8 / merge 0.2 (through the run's operator bandit, those
// weights as its prior); the islands strategies get the island bandit, as `evoloop run` wires
// them. The figure per cell is the median over seeds of the best value the strategy reports
// (its champion) after the same number of candidates, at each budget of --budgets (one run to
// the largest, read at the smaller ones: the best accepted value among the first N candidates,
// which at the end must equal the champion the strategy reports); below, what merge did.
//
// The islands declare a landscape's behaviour metrics (landscapes.ts) as MAP-Elites features;
// greedy and best-of-n have no use for them.
//
// The landscapes (landscapes.ts): "easy" (one smooth peak; islands must not be worse there) and
// three deceptive ones, each a trap for a hill climber with this proposer: "separable" (climbing
// one component makes the other a valley, the bonus needs both), "needle" (the slope leads away
// from it), and "rugged": blocks of two coordinates, each with four peaks whose basins are wider
// than a step and whose coordinates differ, so a climber stays on the peak its first lucky steps
// chose. (Until 2026-12 "rugged" was ripples of period 0.1 on each coordinate alone: about the
// step's σ and separable, so greedy solved it coordinate by coordinate; it trapped nothing.)
// The budgets go to 2400 because that is where the strategies part: a population splits its
// budget over islands and cells, so below about 1200 candidates a lone hill climber is ahead
// of it even on the traps, and only after that do the combined lineages reach the bonuses a
// climber never finds. The bonus landscapes are bimodal across seeds (reached or not), so
// their median moves in jumps: read the "k/N" beside it, and use 30 seeds to compare two
// versions of a strategy (the same code reached the needle in 7/10 seeds and in 12/30).
//
//   npx tsx bench/search/main.ts [--budgets 600,1200,2400] [--seeds 10] [--islands N] [--interval K] [--selection 0.5,0.3,0.2] [--restart 40]
//                                [--only separable,needle] [--strategies greedy,islands]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { median } from 'simple-statistics';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { seedFrom } from '../../src/core/random.js';
import type { FileSet } from '../../src/core/types.js';
import { Evolution } from '../../src/engine/evolution.js';
import type { CandidateSpec, EvaluationBackend, MeasurePlan } from '../../src/evaluate/backend.js';
import type { Measured } from '../../src/evaluate/evaluator.js';
import { storeRecorder } from '../../src/evaluate/recorder.js';
import { ProposalBandits } from '../../src/operators/bandits.js';
import { mergeOperator } from '../../src/operators/merge/merge.js';
import type { Operator } from '../../src/operators/operator.js';
import { ISLAND_DEFAULTS, islandSettings } from '../../src/population/islands/settings.js';
import { strategies } from '../../src/population/registry.js';
import { admission } from '../../src/propose/admission.js';
import { openStore, type Store } from '../../src/store/store.js';
import { DIM, genomeText, LANDSCAPES, parseGenome, type Landscape } from './landscapes.js';

const { values: args } = parseArgs({
  options: {
    budgets: { type: 'string', default: '600,1200,2400' },
    seeds: { type: 'string', default: '10' },
    // Unless given, what a user gets: the islands strategy's defaults (population/islands/settings.ts).
    islands: { type: 'string', default: String(ISLAND_DEFAULTS.islands) },
    interval: { type: 'string', default: String(ISLAND_DEFAULTS.interval) },
    selection: { type: 'string' },
    restart: { type: 'string' },
    only: { type: 'string' },
    strategies: { type: 'string' },
  },
});
const BUDGETS = args
  .budgets!.split(',')
  .map(Number)
  .sort((a, b) => a - b);
const CANDIDATES = BUDGETS[BUDGETS.length - 1];
if (!BUDGETS.every((b) => Number.isInteger(b) && b > 0)) throw new Error(`--budgets ${args.budgets}: expected candidate counts like 600,1200,2400`);
/** The entries a comma-separated flag names (all when it is absent); an unknown name is an error, not an empty table. */
function pick<T extends { name: string }>(flag: string, list: string | undefined, all: T[]): T[] {
  if (!list) return all;
  const names = list.split(',');
  const unknown = names.filter((n) => !all.some((e) => e.name === n));
  if (unknown.length)
    throw new Error(`${flag} ${list}: unknown ${unknown.map((n) => `"${n}"`).join(', ')}; expected names from: ${all.map((e) => e.name).join(', ')}`);
  return all.filter((e) => names.includes(e.name));
}
const SEEDS = Number(args.seeds);
const ISLANDS = Number(args.islands);
const INTERVAL = Number(args.interval);
/** The islands' parent-selection mix, `exploit,explore,best` (default: the strategy's). */
const RESTART = args.restart ? { restart: { patience: Number(args.restart) } } : {};
const SELECTION = args.selection
  ? { selection: Object.fromEntries(['exploit', 'explore', 'best'].map((k, i) => [k, Number(args.selection!.split(',')[i])])) }
  : {};
const FILE = 'x.txt';
const BASE_COMMIT = 'b'.repeat(40);

interface Strategy {
  name: string;
  search: ConfigInput['search'];
  operators: Record<string, number>;
}
const ALL_STRATEGIES: Strategy[] = [
  { name: 'greedy', search: { strategy: 'greedy' }, operators: { step: 1 } },
  { name: 'best-of-n', search: { strategy: 'best-of-n' }, operators: { step: 1 } },
  { name: 'islands', search: { strategy: 'islands', islands: ISLANDS, migration: { interval: INTERVAL, rate: ISLAND_DEFAULTS.rate } }, operators: { step: 1 } },
  {
    name: 'islands + merge',
    search: { strategy: 'islands', islands: ISLANDS, migration: { interval: INTERVAL, rate: ISLAND_DEFAULTS.rate } },
    operators: { step: 0.8, merge: 0.2 },
  },
];
const STRATEGIES = pick('--strategies', args.strategies, ALL_STRATEGIES);

/** The scripted proposer (see the header). */
const step: Operator = {
  name: 'step',
  async propose(ctx) {
    const x = parseGenome((await ctx.readFile(FILE))!);
    const r = ctx.random();
    const k = r < 0.6 ? 1 : r < 0.9 ? 2 : 3;
    const coords = [...Array(DIM).keys()];
    for (let i = 0; i < k; i++) {
      const [c] = coords.splice(Math.floor(ctx.random() * coords.length), 1);
      x[c] = ctx.random() < 0.15 ? ctx.random() : x[c] + 0.1 * gaussian(ctx.random);
      x[c] = Math.min(1, Math.max(0, x[c]));
    }
    return { operator: 'step', description: `step on ${k} coordinate(s)`, changes: { [FILE]: genomeText(x) } };
  },
};

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Measures a candidate by the landscape's value of its genome, recorded like any backend's stage result. */
class LandscapeBackend implements EvaluationBackend {
  readonly protectedPaths = ['verify.sh'];
  readonly verifierDigest = 'landscape';
  evaluations = 0;
  constructor(
    private readonly store: Store,
    private readonly landscape: Landscape,
  ) {}

  async measure(candidate: CandidateSpec, plan: MeasurePlan): Promise<Measured> {
    const x = parseGenome(candidate.files[FILE] ?? genomeText(this.landscape.base));
    // A merge can garble the genome (lines dropped or doubled where the sides disagree): the verifier fails it.
    if (x.length !== DIM || !x.every(Number.isFinite)) {
      this.evaluations++;
      return { ok: false, failure: { kind: 'crash', stage: 's', message: `expected ${DIM} numbers, one a line` } };
    }
    const metrics = { y: this.landscape.value(x), ...this.landscape.behaviour?.metrics(x) };
    const recorder = storeRecorder(this.store);
    const done = new Set(recorder.recorded(candidate.candidateId, plan.epoch ?? 0).map((m) => m.repeat));
    for (let repeat = 0; repeat < plan.repeats; repeat++) {
      if (done.has(repeat)) continue;
      this.evaluations++;
      recorder.record(candidate.candidateId, plan.epoch ?? 0, {
        stage: 's',
        kind: 'score',
        repeat,
        seed: repeat + 1,
        ok: true,
        metrics,
        exitCode: 0,
        signal: null,
        durationMs: 0,
        stdoutTail: '',
        stderrTail: '',
      });
    }
    return { ok: true, samples: Array(plan.repeats).fill(metrics.y), metrics };
  }
}

interface RunStats {
  /** The best value after each of BUDGETS candidates. */
  best: number[];
  evaluations: number;
  /** merge rows proposed / accepted into a cell / whose second parent was on another island; merge selections skipped or found nothing new. */
  merges: number;
  mergesAccepted: number;
  mergesCrossIsland: number;
  mergesSkipped: number;
  /** whether the champion descends from a merge. */
  championFromMerge: boolean;
  migrants: number;
  /** Candidates proposed (the budget, unless the run stopped early). */
  proposed: number;
}

async function runOnce(landscape: Landscape, strategy: Strategy, seed: number): Promise<RunStats> {
  const dir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'evoloop-search-'));
  const config = validateConfig({
    edit: [FILE],
    protect: ['verify.sh'],
    verifier: { stages: [{ name: 's', kind: 'score', run: 'x' }] },
    objective: { metric: 'y', goal: 'maximize' },
    accept: { rule: 'better', baseline_repeats: 1 },
    budget: { candidates: CANDIDATES },
    search: { ...strategy.search, ...(strategy.search?.strategy === 'islands' ? { ...featuresOf(landscape), ...SELECTION, ...RESTART } : {}), seed },
    sandbox: 'off',
  });
  const store = openStore(dir);
  try {
    const run = store.createRun({
      id: `r${seed}`,
      problemDir: dir,
      repoRoot: dir,
      baseCommit: BASE_COMMIT,
      configJson: JSON.stringify(config),
      configHash: 'h',
      status: 'running',
      ownerPid: null,
    });
    const base: FileSet = { [FILE]: genomeText(landscape.base), 'verify.sh': 'exit 0' };
    const workspace = {
      baseCommit: BASE_COMMIT,
      problemDir: dir,
      baseFiles: () => Object.keys(base),
      readBase: async (p: string) => base[p],
      symlinkOnPath: () => undefined,
      commit: (files: FileSet, parent: string) => seedFrom(JSON.stringify(files), parent).toString(16).padStart(40, '0'),
      setRef: () => undefined,
    };
    const backend = new LandscapeBackend(store, landscape);
    const abandon = new AbortController();
    // The run's bandits as `evoloop run` builds them (operators/select.ts), the island bandit included.
    const bandits = new ProposalBandits(strategy.operators, {}, config.search.strategy === 'islands' ? islandSettings(config.search).islands : 0);
    const population = strategies[config.search.strategy]({
      config,
      store,
      run,
      workspace,
      backend,
      emit: () => undefined,
      signal: abandon.signal,
      chooseIsland: bandits.chooseIsland,
    });
    const byName: Record<string, Operator> = { step, merge: mergeOperator({ store, goal: 'maximize' }) };
    const rules = { edit: config.edit, protect: config.protect, alwaysProtected: [] };
    const evolution = new Evolution({
      config,
      rules,
      store,
      run,
      workspace,
      // As operators/select.ts picks: the bandit's choice, another than `except` (the operator that just found nothing new) when there is one.
      operators: {
        pick: (random, except) => {
          const others = Object.keys(strategy.operators).filter((n) => n !== except);
          return byName[bandits.operators.choose(random, except !== undefined && others.length > 0 ? others : undefined)];
        },
        observe: (c) => bandits.observe(c),
      },
      population,
      admit: admission({ store, run, workspace, rules, protectedPaths: backend.protectedPaths }),
      emit: (e) => {
        if (e.type === 'notice' && e.message.startsWith('merge:')) mergesSkipped++;
      },
      abandon,
    });
    let mergesSkipped = 0;
    await evolution.run();
    const rows = store.listCandidates(run.id);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const merges = rows.filter((r) => r.operator === 'merge');
    const championId = store.getRun(run.id)!.championId;
    const ancestors = new Set<number>();
    for (let todo = championId == null ? [] : [championId]; todo.length > 0;) {
      const id = todo.pop()!;
      if (ancestors.has(id)) continue;
      ancestors.add(id);
      todo.push(...(byId.get(id)?.parents ?? []));
    }
    // The best accepted value among the first N candidates (migrants are copies of accepted ones).
    const best = BUDGETS.map((n) => {
      const upTo = rows.filter((r) => r.operator !== 'migrate' && r.operator !== 'baseline')[n - 1]?.id ?? Infinity;
      return Math.max(...rows.filter((r) => r.id <= upTo && (r.status === 'accepted' || r.operator === 'baseline')).map((r) => r.score!));
    });
    if (best[best.length - 1] !== population.best())
      throw new Error(`bench bug: best accepted ${best[best.length - 1]} is not the champion ${population.best()}`);
    return {
      best,
      evaluations: backend.evaluations,
      merges: merges.length,
      mergesAccepted: merges.filter((r) => r.status === 'accepted').length,
      mergesCrossIsland: merges.filter((r) => r.parents.length > 1 && byId.get(r.parents[1])?.island !== r.island).length,
      mergesSkipped,
      championFromMerge: merges.some((r) => ancestors.has(r.id)),
      migrants: rows.filter((r) => r.operator === 'migrate').length,
      proposed: rows.filter((r) => r.operator !== 'migrate' && r.operator !== 'baseline').length,
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const landscapes = pick('--only', args.only, LANDSCAPES);
console.log(
  `bench/search: best after ${BUDGETS.join(', ')} candidates, median of ${SEEDS} seeds; islands: ${ISLANDS}, migration every ${INTERVAL} accepted, rate ${ISLAND_DEFAULTS.rate}; ` +
    `selection ${args.selection ? `exploit,explore,best = ${args.selection}` : 'as the strategy defaults'}` +
    (args.restart ? `; restart after ${args.restart} proposals without improving` : ''),
);
for (const l of landscapes) {
  console.log(`  ${l.name.padEnd(10)} (max ${l.max}, base ${l.value(l.base).toFixed(3)}): ${l.about}`);
  if (l.behaviour) console.log(`  ${''.padEnd(10)} islands' features: ${l.behaviour.about}, 5 bins each`);
}
console.log('');
const header = ['landscape', 'budget', ...STRATEGIES.map((s) => s.name)];
console.log(header.map((h, i) => h.padEnd(i === 0 ? 11 : i === 1 ? 8 : 17)).join(''));
const started = Date.now();
const mergeLines: string[] = [];
for (const l of landscapes) {
  const cells: string[][] = BUDGETS.map(() => []);
  for (const s of STRATEGIES) {
    const runs: RunStats[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) runs.push(await runOnce(l, s, seed));
    BUDGETS.forEach((_, b) => {
      const bests = runs.map((r) => r.best[b]);
      const solved = l.name === 'easy' || l.name === 'rugged' ? '' : ` ${bests.filter((v) => v >= solvedAt(l)).length}/${SEEDS}`;
      cells[b].push(`${median(bests).toFixed(3)}${solved}`);
    });
    if (s.operators.merge) {
      const sum = (f: (r: RunStats) => number) => runs.reduce((n, r) => n + f(r), 0);
      mergeLines.push(
        `  ${l.name.padEnd(10)} ${s.name}: per run ${(sum((r) => r.merges) / SEEDS).toFixed(1)} merges, ${(sum((r) => r.mergesAccepted) / SEEDS).toFixed(1)} accepted, ` +
          `${(sum((r) => r.mergesCrossIsland) / SEEDS).toFixed(1)} with a partner from another island, ${(sum((r) => r.mergesSkipped) / SEEDS).toFixed(1)} skipped; ` +
          `${(sum((r) => r.migrants) / SEEDS).toFixed(1)} migrants; champion descends from a merge in ${sum((r) => (r.championFromMerge ? 1 : 0))}/${SEEDS}; ` +
          `${sum((r) => (r.proposed < CANDIDATES ? 1 : 0))}/${SEEDS} runs stopped before the budget`,
      );
    }
  }
  BUDGETS.forEach((n, b) => console.log([(b === 0 ? l.name : '').padEnd(11), String(n).padEnd(8), ...cells[b].map((c) => c.padEnd(17))].join('')));
}
if (mergeLines.length > 0) console.log(`\nmerge (means over seeds):\n${mergeLines.join('\n')}`);
console.log(`\n(separable, needle: "k/N" = seeds that reached the bonus; ${((Date.now() - started) / 1000).toFixed(0)} s in all)`);

/** The landscape's behaviour metrics as the islands' MAP-Elites features, five bins over [0, 1] each. */
function featuresOf(l: Landscape): { features?: { name: string; metric: string; range: [number, number]; bins: number }[] } {
  if (!l.behaviour) return {};
  return { features: Object.keys(l.behaviour.metrics(l.base)).map((m) => ({ name: m, metric: m, range: [0, 1], bins: 5 })) };
}

/** The value above which the landscape's bonus was found. */
function solvedAt(l: Landscape): number {
  return l.name === 'separable' ? 2 : 1;
}
