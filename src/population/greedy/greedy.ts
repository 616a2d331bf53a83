// Greedy hill-climbing: one champion is every child's parent; a child replaces it when the
// acceptance rule says it is better, racing more repeats of both while the rule is unsure.
// Holdout stages run on the baseline and each new champion only, and raise an alarm when a
// champion improves the objective but gets worse on holdout.
import { median } from 'simple-statistics';
import { RunError } from '../../core/errors.js';
import { improvement } from '../../core/fitness.js';
import type { CandidateStatus, FileSet } from '../../core/types.js';
import { decide, decideSimplify, initialRepeats, noiseFloor, type AcceptConfig, type Verdict } from '../../evaluate/acceptance.js';
import { describeFailure, type CandidateSpec } from '../../evaluate/backend.js';
import type { Failure } from '../../evaluate/evaluator.js';
import { changeHash } from '../../propose/patch-hash.js';
import { codeSize } from '../../workspace/code-size.js';
import { sampleScoring, type SampleScoring } from '../../store/samples.js';
import type { CandidateRecord } from '../../store/store.js';
import type { HoldoutResult } from '../../store/verdict.js';
import type { Parent, Population, PopulationDeps } from '../population.js';

type Decided = Exclude<Verdict, { decision: 'more' }>;

interface Champion {
  id: number;
  files: FileSet;
  commitSha: string;
  samples: number[];
  score: number;
}

export class GreedyPopulation implements Population {
  private readonly accept: AcceptConfig;
  private readonly scoring: SampleScoring;
  private champion?: Champion;
  private baselineSamples: number[] = [];
  private championLock: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: PopulationDeps) {
    const a = d.config.accept;
    this.accept = { rule: a.rule, alpha: a.alpha, minDelta: a.min_delta, baselineRepeats: a.baseline_repeats, maxRepeats: a.max_repeats };
    this.scoring = sampleScoring(d.config);
  }

  best(): number | undefined {
    return this.champion?.score;
  }

  select(): Parent[] {
    const c = this.champion!;
    return [{ id: c.id, score: c.score, metrics: this.d.store.getCandidate(c.id)?.metrics ?? null, files: c.files, commitSha: c.commitSha }];
  }

  async start(): Promise<boolean> {
    const { store, run } = this.d;
    const done = run.baselineId !== null ? store.getCandidate(run.baselineId) : undefined;
    if (done && done.status === 'baseline') {
      this.baselineSamples = store.objectiveSamples(done.id, this.scoring);
      const row = store.getCandidate(run.championId ?? done.id)!;
      const samples = store.objectiveSamples(row.id, this.scoring);
      this.champion = {
        id: row.id,
        files: store.candidateFiles(row),
        commitSha: row.commitSha ?? this.d.workspace.baseCommit,
        samples,
        score: row.score ?? median(samples),
      };
      return true;
    }
    const baseline =
      done ??
      store.insertCandidate({
        runId: run.id,
        parentId: null,
        status: 'pending',
        operator: 'baseline',
        description: 'the base commit, unchanged',
        files: {},
        changeHash: changeHash({}),
        patch: '',
      });
    store.updateCandidate(baseline.id, { commitSha: this.d.workspace.baseCommit, startedAt: Date.now() });
    store.updateRun(run.id, { baselineId: baseline.id });
    const repeats = Math.max(this.accept.baselineRepeats, ...this.scoreRepeats());
    const measured = await this.d.backend.measure(this.spec(baseline.id, {}, this.d.workspace.baseCommit), { kinds: 'search', repeats });
    if (!measured.ok) {
      if (this.d.signal.aborted) return false; // resumed next time from the measurements already recorded
      store.updateCandidate(baseline.id, { status: 'failed', reason: describeFailure(measured.failure), finishedAt: Date.now() });
      throw new RunError(
        `the base commit fails its own verifier (${describeFailure(measured.failure)}). Nothing can be compared against it. Fix: make the unmodified program pass every stage (run the stage command by hand in ${this.d.workspace.problemDir}), commit, and run again.`,
      );
    }
    const score = median(measured.samples);
    const noise = noiseFloor(measured.samples);
    store.updateCandidate(baseline.id, { status: 'baseline', score, metrics: measured.metrics, finishedAt: Date.now(), verdict: { kind: 'baseline', noise } });
    store.updateRun(run.id, { championId: baseline.id });
    this.baselineSamples = measured.samples;
    this.champion = { id: baseline.id, files: {}, commitSha: this.d.workspace.baseCommit, samples: measured.samples, score };
    this.d.emit({ type: 'baseline', candidateId: baseline.id, score, samples: measured.samples, noise });
    await this.runHoldout(baseline.id, {}, this.d.workspace.baseCommit);
    return true;
  }

  async consider(c: CandidateRecord): Promise<CandidateRecord | undefined> {
    const { store } = this.d;
    const files = store.candidateFiles(c);
    const started = Date.now();
    store.updateCandidate(c.id, { startedAt: started });
    const spec = this.spec(c.id, files, c.commitSha!);
    type Outcome = { failure: Failure } | { measured: { samples: number[]; metrics: Record<string, number> }; verdict: Decided; against: Champion };
    const outcome = await (async (): Promise<Outcome> => {
      let n = Math.max(initialRepeats(this.baselineSamples, this.accept), ...this.scoreRepeats());
      for (;;) {
        const measured = await this.d.backend.measure(spec, { kinds: 'search', repeats: n });
        if (!measured.ok) return { failure: measured.failure };
        const champion = this.champion!;
        const verdict =
          c.operator === 'llm-simplify'
            ? decideSimplify(champion.samples, measured.samples, this.d.config.objective.goal, this.accept, await this.sizes(champion.files, files))
            : decide(champion.samples, measured.samples, this.d.config.objective.goal, this.accept);
        if (verdict.decision !== 'more') return { measured, verdict, against: champion };
        if (verdict.wantChampion > champion.samples.length) {
          const ok = await this.measureChampion(verdict.wantChampion);
          if (!ok) {
            const reason = 'the champion could not be re-measured, so no fair comparison was possible; kept the champion';
            return { measured, verdict: { decision: 'reject', reason, gain: 0, naive: false }, against: this.champion! };
          }
        }
        n = Math.max(n, verdict.wantChallenger);
      }
    })();
    if ('failure' in outcome) {
      if (this.d.signal.aborted) {
        store.updateCandidate(c.id, { reason: 'interrupted: will be evaluated when the run resumes' });
        return undefined;
      }
      const tampered = outcome.failure.kind === 'tampered';
      if (tampered) this.d.emit({ type: 'notice', message: `!! candidate ${c.id} TAMPERED with the verifier: ${outcome.failure.message}` });
      store.updateCandidate(c.id, {
        status: tampered ? 'tampered' : 'failed',
        reason: describeFailure(outcome.failure),
        flags: tampered ? [...c.flags, 'tampered'] : undefined,
        finishedAt: Date.now(),
        evalMs: Date.now() - started,
      });
      return store.getCandidate(c.id)!;
    }
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
      this.d.workspace.setRef(`refs/heads/evoloop/${this.d.run.id}/${c.id}`, c.commitSha!);
      this.d.emit({ type: 'champion', candidateId: c.id, score, previous, gain: improvement(score, previous, this.d.config.objective.goal) });
      await this.runHoldout(c.id, files, c.commitSha!, against.id);
    }
    return store.getCandidate(c.id)!;
  }

  private spec(candidateId: number, files: FileSet, commitSha: string): CandidateSpec {
    return { runId: this.d.run.id, candidateId, baseCommit: this.d.workspace.baseCommit, commitSha, files, verifierDigest: this.d.backend.verifierDigest };
  }

  /** code_size of the champion and of a simplification. */
  private async sizes(champion: FileSet, challenger: FileSet): Promise<{ champion: number; challenger: number }> {
    const { workspace, config } = this.d;
    return { champion: await codeSize(champion, workspace, config), challenger: await codeSize(challenger, workspace, config) };
  }

  private scoreRepeats(): number[] {
    return this.d.config.verifier.stages.filter((s) => s.kind === 'score').map((s) => s.repeat);
  }

  /** Adds repeats to the champion's samples; one champion measurement at a time. */
  private measureChampion(want: number): Promise<boolean> {
    const champion = this.champion!;
    const next = this.championLock.then(async () => {
      if (champion.samples.length >= want) return true;
      const measured = await this.d.backend.measure(this.spec(champion.id, champion.files, champion.commitSha), { kinds: 'search', repeats: want });
      if (!measured.ok) {
        this.d.emit({ type: 'notice', message: `re-measuring champion ${champion.id} failed: ${describeFailure(measured.failure)}` });
        return false;
      }
      champion.samples = measured.samples;
      return true;
    });
    this.championLock = next.catch(() => undefined);
    return next;
  }

  /** Holdout output never reaches a proposer; a champion worse on holdout than the one it replaced raises the alarm. */
  private async runHoldout(candidateId: number, files: FileSet, commitSha: string, previousId?: number): Promise<void> {
    const holdout = this.d.config.verifier.stages.filter((s) => s.kind === 'holdout');
    if (holdout.length === 0) return;
    const repeats = Math.max(...holdout.map((s) => s.repeat));
    const measured = await this.d.backend.measure(this.spec(candidateId, files, commitSha), { kinds: 'holdout', repeats });
    const row = this.d.store.getCandidate(candidateId)!;
    const result: HoldoutResult = measured.ok ? { score: median(measured.samples), samples: measured.samples } : { failure: describeFailure(measured.failure) };
    const previous = previousId === undefined ? undefined : this.d.store.getCandidate(previousId)?.verdict?.holdout;
    const before = previous && 'score' in previous ? previous.score : undefined;
    const worse = 'score' in result && before !== undefined && improvement(result.score, before, this.d.config.objective.goal) < 0;
    const failed = 'failure' in result;
    if (worse || failed) {
      const what = failed ? `fails its holdout stage (${result.failure})` : `is worse on holdout (${before} → ${result.score})`;
      this.d.emit({
        type: 'notice',
        message: `!! HOLDOUT ALARM: champion ${candidateId} improved the objective but ${what}. Possible overfitting or gaming of the verifier: review it (evoloop show ${candidateId}).`,
      });
    }
    this.d.store.updateCandidate(candidateId, {
      verdict: { ...row.verdict!, holdout: result },
      flags: worse || failed ? [...row.flags, 'holdout-alarm'] : undefined,
    });
  }
}
