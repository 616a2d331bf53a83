// Greedy hill-climbing: one champion is every child's parent; a child replaces it when the
// acceptance rule says it is better, racing more repeats of both while the rule is unsure
// (population/racing.ts). Holdout stages run on the baseline and each new champion only.
import { median } from 'simple-statistics';
import { improvement } from '../../core/fitness.js';
import type { CandidateStatus } from '../../core/types.js';
import { sampleScoring, type SampleScoring } from '../../store/samples.js';
import type { CandidateRecord } from '../../store/store.js';
import { startBaseline } from '../baseline.js';
import { runHoldout } from '../holdout.js';
import type { NoSelection, Parent, Population, PopulationDeps, Selection } from '../population.js';
import { Racing, recordFailure, type Incumbent } from '../racing.js';
import { recordChampion } from '../../workspace/run-refs.js';

export class GreedyPopulation implements Population {
  protected readonly racing: Racing;
  private readonly scoring: SampleScoring;
  private champion?: Incumbent;
  private baselineRow?: Incumbent;

  constructor(protected readonly d: PopulationDeps) {
    this.racing = new Racing(d);
    this.scoring = sampleScoring(d.config);
  }

  best(): number | undefined {
    return this.champion?.score;
  }

  select(_random: () => number, count: 1 | 2): Selection | NoSelection {
    if (count > 1)
      return { skip: 'greedy keeps one champion, so it has no second parent to combine with; use search.strategy: islands for an operator that combines two' };
    return { parents: [this.parentOf(this.champion!)], inspirations: [], island: null };
  }

  /** The base program as a parent (best-of-n proposes every child from it). */
  protected baseline(): Parent {
    return this.parentOf(this.baselineRow!);
  }

  private parentOf(c: Incumbent): Parent {
    return { id: c.id, score: c.score, metrics: this.d.store.getCandidate(c.id)?.metrics ?? null, files: c.files, commitSha: c.commitSha };
  }

  async start(): Promise<boolean> {
    const started = await startBaseline(this.d, this.racing, this.scoring);
    if (!started) return false;
    this.baselineRow = started.baseline;
    this.champion = started.baseline;
    const championId = this.d.store.getRun(this.d.run.id)!.championId;
    if (started.resumed && championId !== null && championId !== started.baseline.id) {
      const { store } = this.d;
      const row = store.getCandidate(championId)!;
      const samples = store.objectiveSamples(row.id, this.scoring);
      this.champion = { id: row.id, files: store.candidateFiles(row), commitSha: row.commitSha!, samples, score: row.score ?? median(samples) };
      await this.asChampion(this.champion);
    }
    return true;
  }

  /** With a pairwise judge stage, a champion's recorded comparisons were with its predecessor: as the incumbent its samples are
   * those repeats read again against itself, ties (evaluate/judge/pairwise.ts; recorded results only, nothing runs again). */
  private async asChampion(c: Incumbent): Promise<void> {
    if (!this.d.config.verifier.stages.some((s) => s.compare)) return;
    const again = await this.d.backend.measure(this.racing.spec(c.id, c.files, c.commitSha), { kinds: 'search', repeats: c.samples.length });
    if (again.ok) c.samples = again.samples;
  }

  async consider(c: CandidateRecord): Promise<CandidateRecord | undefined> {
    const { store } = this.d;
    const files = store.candidateFiles(c);
    const started = Date.now();
    store.updateCandidate(c.id, { startedAt: started });
    const spec = this.racing.spec(c.id, files, c.commitSha!);
    const first = await this.racing.measure(spec);
    const outcome = 'failure' in first ? first : await this.racing.race(spec, first.measured, () => this.champion!, c.operator);
    if ('failure' in outcome) return recordFailure(this.d, c, outcome.failure, started);
    const { measured, verdict, against } = outcome;
    const score = median(measured.samples);
    const accepted = verdict.decision === 'accept' && against.id === this.champion!.id;
    const status: CandidateStatus = accepted ? 'accepted' : 'rejected';
    const reason = accepted || verdict.decision !== 'accept' ? verdict.reason : 'was better than an earlier champion, but a newer champion arrived first';
    store.updateCandidate(c.id, {
      status,
      reason,
      score,
      metrics: measured.metrics,
      verdict: { kind: 'decided', ...verdict, against: against.id, championSamples: against.samples.length },
      finishedAt: Date.now(),
      evalMs: Date.now() - started,
    });
    if (accepted) {
      const previous = this.champion!.score;
      this.champion = { id: c.id, files, commitSha: c.commitSha!, samples: measured.samples, score };
      store.updateRun(this.d.run.id, { championId: c.id });
      await this.asChampion(this.champion);
      recordChampion(this.d.workspace, this.d.run.id, c.id, c.commitSha!);
      this.d.emit({ type: 'champion', candidateId: c.id, score, previous, gain: improvement(score, previous, this.d.config.objective.goal) });
      await runHoldout(this.d, this.racing, c.id, files, c.commitSha!, against.id);
    }
    return store.getCandidate(c.id)!;
  }
}
