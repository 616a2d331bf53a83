// The islands strategy: N islands evolve in isolation, each a MAP-Elites archive (archive.ts).
// A child enters a cell, or replaces its occupant, only by winning the race against it
// (population/racing.ts, the same racing greedy's champion gets); the global champion is the
// best confirmed elite, and a new one must also win against the previous champion. Every
// `migration.interval` accepted children the best of each island is copied to its ring
// neighbour as a `migrate` row measured before it lands; a stagnant island is re-seeded from
// the best one. Archives and counters are in the store (store.search), so resume is exact.
import { median } from 'simple-statistics';
import { RunError } from '../../core/errors.js';
import { improvement } from '../../core/fitness.js';
import type { FileSet } from '../../core/types.js';
import type { EditHistories } from '../../operators/merge/resolve.js';
import type { Inspiration } from '../../operators/operator.js';
import { changeHash } from '../../propose/patch-hash.js';
import { sampleScoring, type SampleScoring } from '../../store/samples.js';
import type { CandidateRecord } from '../../store/store.js';
import { startBaseline } from '../baseline.js';
import { runHoldout } from '../holdout.js';
import { Lineage } from '../lineage.js';
import { MIGRATE_OPERATOR, type NoSelection, type Parent, type Population, type PopulationDeps, type Selection } from '../population.js';
import { Racing, recordFailure, type Decided, type Incumbent, type Measurement } from '../racing.js';
import { Archive, type Elite } from './archive.js';
import { combinedPairs, pairKey, sentCopies, sentKey, type EliteMemory } from './elite-memory.js';
import { featureValues } from './features.js';
import { fewestInFlight, type IslandChooser } from './island-choice.js';
import { migrationMoves, restartMoves, type Move } from './migration.js';
import { pickParent, pickPartner, sample } from './parent-choice.js';
import { INSPIRATIONS, islandSettings, OTHER_ISLAND_INSPIRATION, OTHER_ISLAND_PARTNER, type IslandSettings } from './settings.js';

/** What resume needs beyond the archives: accepted children (for the migration interval), rounds done, proposals to each island since its best improved. */
interface Counters {
  accepted: number;
  migrations: number;
  stale: number[];
}
const COUNTERS = 'islands.counters';

export class IslandsPopulation implements Population {
  readonly settings: IslandSettings;
  private readonly racing: Racing;
  private readonly scoring: SampleScoring;
  private readonly goal: 'maximize' | 'minimize';
  private readonly choose: IslandChooser;
  private readonly archives: Archive[];
  private readonly inFlight: number[];
  private readonly lineage: Lineage;
  /** The base's text of every file an elite changed (partner choice compares against it; select cannot wait for a read). */
  private readonly baseText = new Map<string, string | undefined>();
  /** Pairs of elites already given to a two-parent operator: combining them again would propose the same. */
  private combined!: EliteMemory;
  /** Elites copied to an island since it was last re-seeded: migration sends each once. */
  private sent!: EliteMemory;
  /** Each proposal's island best when it was selected, to tell at release whether the island improved. */
  private readonly bestAtSelect = new WeakMap<Selection, number | undefined>();
  private counters!: Counters;
  private champion!: Incumbent;
  private baseline!: Elite;

  constructor(private readonly d: PopulationDeps) {
    this.settings = islandSettings(d.config.search);
    this.racing = new Racing(d);
    this.scoring = sampleScoring(d.config);
    this.goal = d.config.objective.goal;
    this.choose = d.chooseIsland ?? fewestInFlight;
    const { islands, features, elites } = this.settings;
    this.archives = Array.from({ length: islands }, () => new Archive(features, elites, this.goal));
    this.inFlight = Array(islands).fill(0);
    this.lineage = new Lineage(d.store);
  }

  best(): number | undefined {
    return this.champion?.score;
  }

  /** Each island's archive, best first (views and tests). */
  elites(island: number): Elite[] {
    return this.archives[island].elites();
  }

  async start(): Promise<boolean> {
    const started = await startBaseline(this.d, this.racing, this.scoring);
    if (!started) return false;
    const { store, run } = this.d;
    const row = store.getCandidate(started.baseline.id)!;
    const values = await this.features(row.metrics ?? {}, {});
    if ('missing' in values) throw new RunError(`the base program cannot be placed on the islands: ${values.missing}`);
    const cell = this.archives[0].slotFor(values).cell;
    this.baseline = { ...started.baseline, island: 0, cell, operator: 'baseline', description: row.description, metrics: row.metrics };
    const saved = store.search.cells(run.id);
    if (saved.length > 0) {
      for (const c of saved) this.archives[c.island]?.put(this.eliteOf(store.getCandidate(c.candidateId)!, c.island, c.cell));
      for (const a of this.archives) for (const e of a.elites()) await this.readBase(e.files);
    } else {
      store.transaction(() => this.archives.forEach((_, i) => this.place({ ...this.baseline, island: i })));
    }
    this.counters = store.search.get<Counters>(run.id, COUNTERS) ?? { accepted: 0, migrations: 0, stale: Array(this.archives.length).fill(0) };
    this.combined = combinedPairs(store, run.id);
    this.sent = sentCopies(store, run.id);
    const championId = store.getRun(run.id)!.championId ?? this.baseline.id;
    this.champion = championId === this.baseline.id ? started.baseline : this.eliteOf(store.getCandidate(championId)!, -1, '');
    return true;
  }

  select(random: () => number, count: 1 | 2): Selection | NoSelection {
    const island = this.choose(
      this.inFlight.map((inFlight, i) => ({ island: i, inFlight })),
      random,
    );
    const elites = this.archives[island].elites();
    const first = pickParent(elites, this.settings.selection, random);
    const parents = [first];
    if (count === 2) {
      const partner = this.partnerFor(island, first, random);
      if (!partner)
        return {
          skip: `no island has an elite besides #${first.id} that is neither its ancestor nor its descendant, so there is nothing to combine yet`,
        };
      parents.push(partner);
    }
    const exclude = new Set(parents.map((p) => p.id));
    const inspirations = sample(
      elites.filter((e) => e.cell !== first.cell),
      INSPIRATIONS,
      exclude,
      random,
    );
    const far = this.otherIsland(island, random, OTHER_ISLAND_INSPIRATION);
    if (far !== undefined) inspirations.push(...sample(this.archives[far].elites(), 1, exclude, random));
    this.inFlight[island]++;
    const selection = { parents: parents.map((e) => this.parentOf(e)), inspirations: inspirations.map((e) => this.inspirationOf(e)), island };
    this.bestAtSelect.set(selection, this.archives[island].best()?.score);
    return selection;
  }

  /** A proposal to an island is over: it counts towards the island's stagnation unless the island's best improved meanwhile. */
  async release(selection: Selection): Promise<void> {
    const island = selection.island!;
    this.inFlight[island]--;
    const before = this.bestAtSelect.get(selection);
    const now = this.archives[island].best()?.score;
    const improved = before !== undefined && now !== undefined && improvement(now, before, this.goal) > 0;
    this.counters.stale[island] = improved ? 0 : this.counters.stale[island] + 1;
    this.saveCounters();
    if (selection.parents.length === 2) {
      this.combined.add(pairKey(selection.parents[0].id, selection.parents[1].id));
      this.combined.save(this.liveElites());
    }
    const patience = this.settings.restartPatience;
    if (patience !== undefined && this.counters.stale[island] >= patience) await this.restart(island);
  }

  async consider(c: CandidateRecord): Promise<CandidateRecord | undefined> {
    const { store } = this.d;
    const island = c.island ?? 0;
    const migrant = c.operator === MIGRATE_OPERATOR;
    const files = store.candidateFiles(c);
    const started = Date.now();
    store.updateCandidate(c.id, { startedAt: started });
    const spec = this.racing.spec(c.id, files, c.commitSha!);
    const failed = (failure: Parameters<typeof recordFailure>[2]) => recordFailure(this.d, c, failure, started);
    const first = await this.racing.measure(spec);
    if ('failure' in first) return failed(first.failure);
    const values = await this.features(first.measured.metrics, files);
    if ('missing' in values) {
      store.updateCandidate(c.id, {
        status: 'rejected',
        reason: values.missing,
        score: median(first.measured.samples),
        metrics: first.measured.metrics,
        finishedAt: Date.now(),
      });
      return store.getCandidate(c.id)!;
    }
    await this.readBase(files);
    const archive = this.archives[island];
    const slot = archive.slotFor(values);
    let measured: Measurement = first.measured;
    let verdict: Decided;
    let against: Incumbent;
    if (slot.occupant) {
      const occupant = slot.occupant;
      const raced = await this.racing.race(spec, measured, () => archive.get(slot.cell) ?? occupant, c.operator);
      if ('failure' in raced) return failed(raced.failure);
      ({ measured, verdict, against } = raced);
    } else {
      const gain = improvement(median(measured.samples), this.baseline.score, this.goal);
      verdict = { decision: 'accept', reason: `entered the empty cell ${slot.cell} of island ${island} (no occupant to race)`, gain, naive: false };
      against = this.baseline;
    }
    const holds = () => (slot.occupant ? archive.get(slot.cell)?.id === against.id : archive.get(slot.cell) === undefined);
    let enters = verdict.decision === 'accept' && holds();
    // A new global champion must also beat the previous one, however it entered its cell.
    let champion = enters && slot.occupant !== undefined && against.id === this.champion.id;
    if (enters && !champion && improvement(median(measured.samples), this.champion.score, this.goal) > 0) {
      const raced = await this.racing.race(spec, measured, () => this.champion);
      if ('failure' in raced) return failed(raced.failure);
      measured = raced.measured;
      champion = raced.verdict.decision === 'accept' && raced.against.id === this.champion.id;
      verdict = { ...verdict, reason: `${verdict.reason}; against champion ${raced.against.id}: ${raced.verdict.reason}` };
      enters = holds();
    }
    champion &&= enters;
    const score = median(measured.samples);
    const reason =
      enters || verdict.decision !== 'accept'
        ? verdict.reason
        : `was better than cell ${slot.cell}'s occupant ${against.id}, but a newer elite took the cell first`;
    const elite: Elite = {
      id: c.id,
      files,
      commitSha: c.commitSha!,
      samples: measured.samples,
      score,
      island,
      cell: slot.cell,
      operator: c.operator,
      description: c.description,
      metrics: measured.metrics,
    };
    store.transaction(() => {
      store.updateCandidate(c.id, {
        status: enters ? 'accepted' : 'rejected',
        reason,
        score,
        metrics: measured.metrics,
        verdict: { kind: 'decided', ...verdict, against: against.id, championSamples: against.samples.length },
        finishedAt: Date.now(),
        evalMs: Date.now() - started,
      });
      if (enters) this.place(elite);
      if (champion) store.updateRun(this.d.run.id, { championId: elite.id });
      if (!migrant && enters) {
        this.counters.accepted++;
        this.saveCounters();
      }
    });
    if (champion) await this.crown(elite);
    // Rounds due are counted from accepted children, so a round a kill interrupted still happens.
    if (!migrant && Math.floor(this.counters.accepted / this.settings.migration.interval) > this.counters.migrations) await this.migrate();
    return store.getCandidate(c.id)!;
  }

  // ── migration and restart ──────────────────────────────────────────────────
  private migratable = (e: Elite) => e.operator !== MIGRATE_OPERATOR && e.id !== this.baseline.id;

  private async migrate(): Promise<void> {
    const round = this.counters.migrations + 1;
    const moves = migrationMoves(this.archives, this.settings.migration.rate, round, this.migratable, (e, to) => this.sent.has(sentKey(e.id, to)));
    const rows = this.d.store.transaction(() => {
      this.counters.migrations = round;
      this.saveCounters();
      const copies = moves.map((m) => this.copy(m));
      this.sent.save(this.liveElites());
      return copies;
    });
    for (const row of rows) await this.consider(row);
  }

  private async restart(island: number): Promise<void> {
    const moves = restartMoves(this.archives, island, this.goal, this.migratable);
    const rows = this.d.store.transaction(() => {
      this.counters.stale[island] = 0;
      this.saveCounters();
      if (moves.length === 0) return [];
      this.archives[island].clear();
      this.d.store.search.clearIsland(this.d.run.id, island);
      this.sent.forget((key) => key.endsWith(`>${island}`));
      this.place({ ...this.baseline, island });
      const copies = moves.map((m) => this.copy(m));
      this.sent.save(this.liveElites());
      return copies;
    });
    if (rows.length > 0) this.d.emit({ type: 'notice', message: `${moves[0].why}: ${rows.length} elite(s) copied` });
    for (const row of rows) await this.consider(row);
  }

  private liveElites(): Set<number> {
    return new Set(this.archives.flatMap((a) => a.elites().map((e) => e.id)));
  }

  /** A migrant: a pending row on the receiving island with the original as its parent and the same files and commit. */
  private copy(m: Move): CandidateRecord {
    const { store, run } = this.d;
    this.sent.add(sentKey(m.elite.id, m.to));
    const row = store.insertCandidate({
      runId: run.id,
      parentId: m.elite.id,
      parents: [m.elite.id],
      status: 'pending',
      operator: MIGRATE_OPERATOR,
      description: `copy of #${m.elite.id} from island ${m.from} (${m.why})`,
      files: m.elite.files,
      changeHash: changeHash(m.elite.files),
      patch: '',
      island: m.to,
    });
    store.updateCandidate(row.id, { commitSha: m.elite.commitSha });
    return { ...row, commitSha: m.elite.commitSha };
  }

  // ── bookkeeping ────────────────────────────────────────────────────────────
  private place(elite: Elite): void {
    this.archives[elite.island].put(elite);
    this.d.store.search.setCell(this.d.run.id, elite.island, elite.cell, elite.id);
  }

  private async readBase(files: FileSet): Promise<void> {
    for (const p of Object.keys(files)) if (!this.baseText.has(p)) this.baseText.set(p, await this.d.workspace.readBase(p));
  }

  private saveCounters(): void {
    this.d.store.search.set(this.d.run.id, COUNTERS, this.counters);
  }

  /** A new global champion (already recorded as the run's championId): its branch, the event, holdout. */
  private async crown(elite: Elite): Promise<void> {
    const previous = this.champion;
    this.champion = elite;
    this.d.workspace.setRef(`refs/heads/evoloop/${this.d.run.id}/${elite.id}`, elite.commitSha);
    this.d.emit({
      type: 'champion',
      candidateId: elite.id,
      score: elite.score,
      previous: previous.score,
      gain: improvement(elite.score, previous.score, this.goal),
    });
    await runHoldout(this.d, this.racing, elite.id, elite.files, elite.commitSha, previous.id);
  }

  private features(metrics: Record<string, number>, files: Record<string, string>) {
    const { workspace, config } = this.d;
    return featureValues(this.settings.features, { metrics, files }, workspace, config);
  }

  private eliteOf(row: CandidateRecord, island: number, cell: string): Elite {
    const { store, workspace } = this.d;
    const samples = store.objectiveSamples(row.id, this.scoring);
    return {
      id: row.id,
      files: store.candidateFiles(row),
      commitSha: row.commitSha ?? workspace.baseCommit,
      samples,
      score: row.score ?? median(samples),
      island,
      cell,
      operator: row.operator,
      description: row.description,
      metrics: row.metrics,
    };
  }

  private parentOf(e: Elite): Parent {
    return { id: e.id, score: e.score, metrics: e.metrics, files: e.files, commitSha: e.commitSha };
  }

  private inspirationOf(e: Elite): Inspiration {
    return { id: e.id, score: e.score, metrics: e.metrics, files: e.files, island: e.id === this.baseline.id ? null : e.island, description: e.description };
  }

  /**
   * A second parent for `first`: an unrelated elite of its own island, or (with probability
   * OTHER_ISLAND_PARTNER, and whenever its island has none that brings a change) of the other
   * islands, where a lineage that climbed something else is most likely to be found. One that
   * brings nothing a line-wise merge could take (it conflicts, or has only what `first` has) is
   * the last resort: merge finds nothing new in it, llm-crossover may still combine the two.
   */
  private partnerFor(island: number, first: Elite, random: () => number): Elite | undefined {
    const lineage = {
      related: (a: number, b: number) => this.lineage.descends(a, b) || this.lineage.descends(b, a) || this.combined.has(pairKey(a, b)),
      common: (a: number, b: number) => this.common(a, b),
      base: (p: string) => this.baseText.get(p),
    };
    const own = this.archives[island].elites();
    const others = this.archives
      .flatMap((a, i) => (i === island ? [] : a.elites()))
      .sort((a, b) => (this.goal === 'maximize' ? b.score - a.score : a.score - b.score) || a.id - b.id);
    const pools = random() < OTHER_ISLAND_PARTNER ? [others, own] : [own, others];
    let fallback: Elite | undefined;
    for (const pool of pools) {
      const partner = pickPartner(first, pool, lineage, random);
      if (partner && partner.brings > 0) return partner.elite;
      fallback ??= partner?.elite;
    }
    return fallback;
  }

  /** Another island, with probability p (none when there is only one). */
  private otherIsland(island: number, random: () => number, p: number): number | undefined {
    const n = this.archives.length;
    if (n < 2 || random() >= p) return undefined;
    return (island + 1 + Math.floor(random() * (n - 1))) % n;
  }

  /** The files of the nearest common ancestor of `a` and `b` ({}: the base, when they share none), and both lineages' edits since it. */
  private common(a: number, b: number): { files: FileSet; edits: EditHistories } {
    const at = this.lineage.nearestCommon(a, b);
    const files = at === undefined ? {} : this.d.store.candidateFiles(this.d.store.getCandidate(at)!);
    return { files, edits: { mine: this.lineage.edits(a, at), theirs: this.lineage.edits(b, at) } };
  }
}
