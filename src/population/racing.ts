// Racing a challenger against an incumbent: measure the challenger, ask the acceptance rule,
// and while it is unsure measure both sides more (the incumbent up to what the rule wants,
// one re-measurement of an incumbent at a time). Greedy races against its champion; islands
// against a cell's occupant and then against the global champion. One loop for both, so an
// elite is confirmed exactly as a champion is, never on one lucky sample.
import type { FileSet } from '../core/types.js';
import { decide, decideSimplify, initialRepeats, type AcceptConfig, type Verdict } from '../evaluate/acceptance.js';
import { describeFailure, type CandidateSpec } from '../evaluate/backend.js';
import { NoisePool, type NoiseContext, type NoiseModel } from '../evaluate/noise-model.js';
import type { Failure } from '../evaluate/evaluator.js';
import type { CandidateRecord } from '../store/store.js';
import { codeSize } from '../workspace/code-size.js';
import { SIMPLIFY_OPERATOR, type PopulationDeps } from './population.js';

export type Decided = Exclude<Verdict, { decision: 'more' }>;

/** A measured program a challenger is compared with; `samples` grow when it is re-measured (`score` stays its recorded one). */
export interface Incumbent {
  id: number;
  files: FileSet;
  commitSha: string;
  samples: number[];
  score: number;
}

export interface Measurement {
  samples: number[];
  metrics: Record<string, number>;
}

export type RaceOutcome = { failure: Failure } | { measured: Measurement; verdict: Decided; against: Incumbent };

export function acceptConfig(config: PopulationDeps['config']): AcceptConfig {
  const a = config.accept;
  return { rule: a.rule, alpha: a.alpha, minDelta: a.min_delta, baselineRepeats: a.baseline_repeats, maxRepeats: a.max_repeats };
}

/** The run's noise for rule pooled: how to compare, and the pooled estimate every race feeds. */
export interface RunNoise {
  model: NoiseModel;
  pool: NoisePool;
}

export class Racing {
  readonly accept: AcceptConfig;
  /** The baseline's samples, which set how many repeats a new challenger gets first. */
  baselineSamples: number[] = [];
  /** Rule pooled only: set when the baseline is measured or restored (population/noise-probe.ts). */
  noise?: RunNoise;
  private readonly locks = new Map<number, Promise<unknown>>();

  constructor(private readonly d: Pick<PopulationDeps, 'config' | 'run' | 'backend' | 'workspace' | 'emit'>) {
    this.accept = acceptConfig(d.config);
  }

  /** The noise model, and a pool seeded with the baseline's repeats and replicates (seed i measured again). */
  startNoise(model: NoiseModel, baseline: Incumbent, replicates: number[]): void {
    const pool = new NoisePool(model.kind);
    pool.observeBaseline(baseline.id, baseline.samples, replicates);
    this.noise = { model, pool };
  }

  spec(candidateId: number, files: FileSet, commitSha: string): CandidateSpec {
    return { runId: this.d.run.id, candidateId, baseCommit: this.d.workspace.baseCommit, commitSha, files, verifierDigest: this.d.backend.verifierDigest };
  }

  /** Repeats every score stage asks for at least. */
  scoreRepeats(): number[] {
    return this.d.config.verifier.stages.filter((s) => s.kind === 'score').map((s) => s.repeat);
  }

  /** The first measurement of a challenger: as many repeats as a race starts with. */
  async measure(spec: CandidateSpec, atLeast = 1): Promise<{ failure: Failure } | { measured: Measurement }> {
    const n = Math.max(atLeast, initialRepeats(this.baselineSamples, this.accept), ...this.scoreRepeats());
    const measured = await this.d.backend.measure(spec, { kinds: 'search', repeats: n });
    return measured.ok ? { measured } : { failure: measured.failure };
  }

  /**
   * Races a measured challenger against `incumbent()` (read again after every wait, so a newer
   * incumbent is the one compared with) until the acceptance rule decides. A simplification
   * (`operator` llm-simplify) is judged by decideSimplify: smaller and not significantly worse.
   */
  async race(spec: CandidateSpec, first: Measurement, incumbent: () => Incumbent, operator?: string): Promise<RaceOutcome> {
    let measured = first;
    for (;;) {
      const against = incumbent();
      const goal = this.d.config.objective.goal;
      const verdict =
        operator === SIMPLIFY_OPERATOR
          ? decideSimplify(against.samples, measured.samples, goal, this.accept, await this.sizes(against.files, spec.files))
          : decide(against.samples, measured.samples, goal, this.accept, this.observe(against, spec.candidateId, measured.samples));
      if (verdict.decision !== 'more') return { measured, verdict, against };
      if (verdict.wantChampion > against.samples.length && !(await this.remeasure(against, verdict.wantChampion))) {
        const reason = `the incumbent ${against.id} could not be re-measured, so no fair comparison was possible; kept the incumbent`;
        return { measured, verdict: { decision: 'reject', reason, gain: 0, naive: false }, against };
      }
      if (verdict.wantChallenger > measured.samples.length) {
        const more = await this.d.backend.measure(spec, { kinds: 'search', repeats: verdict.wantChallenger });
        if (!more.ok) return { failure: more.failure };
        measured = more;
      }
    }
  }

  /** Feeds the race's samples to the pool; what decide() compares with: the pool without this challenger. */
  private observe(against: Incumbent, challenger: number, samples: number[]): NoiseContext | undefined {
    if (!this.noise) return undefined;
    this.noise.pool.observe(against, { id: challenger, samples });
    return { kind: this.noise.model.kind, pool: this.noise.pool.estimate(challenger) };
  }

  /** code_size of an incumbent and of a challenger. */
  private async sizes(incumbent: FileSet, challenger: FileSet): Promise<{ champion: number; challenger: number }> {
    const { workspace, config } = this.d;
    return { champion: await codeSize(incumbent, workspace, config), challenger: await codeSize(challenger, workspace, config) };
  }

  /** Adds repeats to an incumbent's samples; one re-measurement of an incumbent at a time. */
  private remeasure(incumbent: Incumbent, want: number): Promise<boolean> {
    const next = (this.locks.get(incumbent.id) ?? Promise.resolve()).then(async () => {
      if (incumbent.samples.length >= want) return true;
      const measured = await this.d.backend.measure(this.spec(incumbent.id, incumbent.files, incumbent.commitSha), { kinds: 'search', repeats: want });
      if (!measured.ok) {
        this.d.emit({ type: 'notice', message: `re-measuring incumbent ${incumbent.id} failed: ${describeFailure(measured.failure)}` });
        return false;
      }
      incumbent.samples = measured.samples;
      return true;
    });
    this.locks.set(
      incumbent.id,
      next.catch(() => undefined),
    );
    return next;
  }
}

/**
 * Records a child whose measurement failed: kept pending when the run is abandoned (resume
 * evaluates it), else failed, or tampered with an alarm. Returns the row, or undefined if pending.
 */
export function recordFailure(
  d: Pick<PopulationDeps, 'store' | 'emit' | 'signal'>,
  c: CandidateRecord,
  failure: Failure,
  started: number,
): CandidateRecord | undefined {
  if (d.signal.aborted) {
    d.store.updateCandidate(c.id, { reason: 'interrupted: will be evaluated when the run resumes' });
    return undefined;
  }
  const tampered = failure.kind === 'tampered';
  if (tampered) d.emit({ type: 'notice', message: `!! candidate ${c.id} TAMPERED with the verifier: ${failure.message}` });
  d.store.updateCandidate(c.id, {
    status: tampered ? 'tampered' : 'failed',
    reason: describeFailure(failure),
    flags: tampered ? [...c.flags, 'tampered'] : undefined,
    finishedAt: Date.now(),
    evalMs: Date.now() - started,
  });
  return d.store.getCandidate(c.id)!;
}
