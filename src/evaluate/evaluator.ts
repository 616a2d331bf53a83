// The verifier cascade for one candidate: stages in the configured order, cheap gates
// first; repeat i runs with seed i so every candidate is measured on the same schedule.
// Each finished stage run is recorded (through the recorder it is handed) before the next
// starts, and a result already recorded (from before a crash) is reused instead of run again.
import path from 'node:path';
import { median } from 'simple-statistics';
import { isJudgeStage, isModelRunStage, modelKeyNames, type Config, type StageConfig } from '../config/schema.js';
import type { compileObjective } from '../core/fitness.js';
import type { FailureKind, Metrics, StageResult } from '../core/types.js';
import type { StageArtifacts } from '../store/artifacts.js';
import type { Worktree } from '../workspace/workspace.js';
import { collectArtifacts } from './artifacts.js';
import { exclusively } from './exclusive-lock.js';
import { runFunctionStage } from './function-stage.js';
import type { Judge } from './judge/judge.js';
import type { ModelRun } from './model-run/model-run.js';
import type { HostGuard } from './host-guard.js';
import type { IntegrityGuard } from './integrity.js';
import type { MeasurementRecorder } from './recorder.js';
import { runStage } from './run-stage.js';
import { ScratchFolders } from './scratch-folders.js';

export interface Failure {
  kind: FailureKind;
  stage: string;
  message: string;
}

export type Measured = { ok: true; samples: number[]; metrics: Metrics } | { ok: false; failure: Failure };

export interface EvaluatorOptions {
  config: Config;
  runId: string;
  /** Where each finished stage result goes, and where earlier ones are found on resume. */
  recorder: MeasurementRecorder;
  objective: ReturnType<typeof compileObjective>;
  /** Where metrics files and artifacts go while a stage runs (outside every worktree). */
  scratchDir: string;
  /** evoloop's own folder (store, worktree pool): hidden from sandboxed stages. */
  stateDir: string;
  signal: AbortSignal;
  /** The protected files' base content; checked after every stage. */
  guard: IntegrityGuard;
  /** Git's configuration outside the worktree; checked (and put back) after every stage. */
  hostGuard?: HostGuard;
  /** What a stage did to its worktree that evoloop must not trust (a planted .git, a link in place of a file it wrote). */
  worktreeAudit?: (wt: Worktree) => string[];
  /** What the worktree takes on disk as it was handed over, when the pool knows it (saves the first stage's disk walk). */
  worktreeBytes?: (wt: Worktree) => number | undefined;
  /** Grades `kind: judge` stages (built from judge.model when the verifier has one). */
  judge?: Judge;
  /** Calls the model of `model_run` stages (built from their model_run.model). */
  modelRun?: ModelRun;
}

/** The baseline measured again with the run's seeds: same-seed repeats tell seed-driven noise from machine noise (evaluate/noise-model.ts). */
export const REPLICATE_EPOCH = -1;
/** Seeds of the run's schedule; reverification epochs get fresh ones, the replicate epoch the run's own again. */
export const seedFor = (epoch: number, repeat: number) => (epoch === REPLICATE_EPOCH ? 0 : epoch) * 1_000_000 + repeat + 1;

export class Evaluator {
  private readonly scratch: ScratchFolders;

  constructor(private readonly opts: EvaluatorOptions) {
    this.scratch = new ScratchFolders(opts.scratchDir);
  }

  private judge(): Judge {
    if (!this.opts.judge) throw new Error('a judge stage needs judge.model (validated at start)');
    return this.opts.judge;
  }

  private modelRun(): ModelRun {
    if (!this.opts.modelRun) throw new Error('a model_run stage needs its model (validated at start)');
    return this.opts.modelRun;
  }

  get protectedPaths(): string[] {
    return this.opts.guard.paths;
  }

  /**
   * Measures repeats [0, repeats) of a candidate materialized in `wt` (reusing any already
   * recorded) and returns one objective sample per repeat. `kinds` picks gate+score (the
   * search) or holdout (champions only).
   */
  async measure(candidateId: number, wt: Worktree, repeats: number, kinds: 'search' | 'holdout', epoch = 0): Promise<Measured> {
    const { recorder, objective } = this.opts;
    const recorded = new Map(recorder.recorded(candidateId, epoch).map((m) => [`${m.stage}#${m.repeat}`, m]));
    const samples: number[] = [];
    const perRepeat: Metrics[] = [];
    // Known until the first stage runs here: whatever runs may change the worktree.
    let handedOverBytes = this.opts.worktreeBytes?.(wt);
    for (let repeat = 0; repeat < repeats; repeat++) {
      const merged: Metrics = {};
      const stages = this.stagesFor(kinds, repeat);
      // A judge grades what the stages before it left in this worktree, and every stage after a model_run
      // stage reads its replies: when such a stage must run, the stages before it run again too.
      const readsEarlier = (i: number) => isJudgeStage(stages[i]) || stages.slice(0, i).some(isModelRunStage);
      const lastJudge = stages.findLastIndex((st, i) => readsEarlier(i) && !recorded.has(`${st.name}#${repeat}`));
      for (const st of stages.slice(0, lastJudge)) recorded.delete(`${st.name}#${repeat}`);
      const stdout = new Map<string, string>();
      for (const stage of stages) {
        let result = recorded.get(`${stage.name}#${repeat}`);
        if (result && isJudgeStage(stage) && this.opts.judge) result = this.opts.judge.asRecorded(stage, result, candidateId);
        if (!result) {
          let artifacts: StageArtifacts | undefined;
          if (this.opts.signal.aborted) return { ok: false, failure: { kind: 'signal', stage: stage.name, message: 'run stopped' } };
          // Taken before the stage and compared after: anything the stage did to protected entries shows.
          const before = this.opts.guard.listing(wt.problemDir);
          try {
            const ctx = { cwd: wt.problemDir, candidateId, repeat, seed: seedFor(epoch, repeat), signal: this.opts.signal };
            ({ result, artifacts } = isJudgeStage(stage)
              ? await this.judge().run(stage, { ...ctx, stdoutOf: (name) => stdout.get(name) })
              : isModelRunStage(stage)
                ? await this.modelRun().run(stage, ctx)
                : await this.runOne(stage, candidateId, wt, repeat, epoch, handedOverBytes));
          } catch (err) {
            if (!this.opts.signal.aborted) throw err;
          }
          handedOverBytes = undefined;
          if (this.opts.signal.aborted || !result) return { ok: false, failure: { kind: 'signal', stage: stage.name, message: 'run stopped' } };
          const touched = this.opts.guard.changed(wt.problemDir, before);
          const host = this.opts.hostGuard?.restore() ?? [];
          const audit = this.opts.worktreeAudit?.(wt) ?? [];
          if (touched.length > 0 || host.length > 0 || audit.length > 0) {
            const parts = [
              ...(touched.length ? [`changed protected file(s) while stage ${stage.name} ran: ${touched.join(', ')}`] : []),
              ...(audit.length ? [`tampered with its worktree while stage ${stage.name} ran: ${audit.join('; ')}`] : []),
              ...(host.length
                ? [
                    `changed git's configuration outside the worktree while stage ${stage.name} ran (it could make git run a program as you): ${host.join(', ')}`,
                  ]
                : []),
            ];
            const message = `${parts.join('; ')}. The candidate is never accepted. (If your verifier itself writes there, have it write to $EVOLOOP_ARTIFACTS or outside the protected paths.)`;
            result = { ...result, ok: false, failure: { kind: 'tampered', message } };
          }
          recorder.record(candidateId, epoch, result, artifacts);
        }
        stdout.set(stage.name, result.stdoutTail);
        if (!result.ok) {
          const failure = result.failure ?? { kind: 'crash' as const, message: 'stage failed' };
          const kind = stage.kind === 'gate' && failure.kind === 'crash' ? 'gate-failed' : failure.kind;
          return { ok: false, failure: { kind, stage: stage.name, message: failure.message } };
        }
        if (stage.kind !== 'gate') Object.assign(merged, result.metrics);
      }
      const scored = objective.score(merged);
      const scoring =
        this.stagesFor(kinds, repeat)
          .filter((st) => st.kind !== 'gate')
          .map((st) => st.name)
          .join('+') || 'none';
      if ('missing' in scored) {
        return {
          ok: false,
          failure: {
            kind: 'missing-objective',
            stage: scoring,
            message: `the objective needs metric(s) ${scored.missing.join(', ')} but the stages reported ${Object.keys(merged).join(', ') || 'none'}. Fix: report them from a score stage, or change objective in evoloop.yaml.`,
          },
        };
      }
      if ('nonFinite' in scored) {
        return {
          ok: false,
          failure: { kind: 'bad-metrics', stage: scoring, message: `the objective is not a finite number for metrics ${JSON.stringify(merged)}` },
        };
      }
      samples.push(scored.score);
      perRepeat.push(merged);
    }
    return { ok: true, samples, metrics: medianMetrics(perRepeat) };
  }

  /** Gates run for the first `repeat` indices they ask for; score stages run at every index. */
  private stagesFor(kinds: 'search' | 'holdout', repeat: number): StageConfig[] {
    return this.opts.config.verifier.stages.filter((s) =>
      kinds === 'holdout' ? s.kind === 'holdout' : s.kind === 'score' || (s.kind === 'gate' && repeat < s.repeat),
    );
  }

  private async runOne(
    stage: StageConfig,
    candidateId: number,
    wt: Worktree,
    repeat: number,
    epoch: number,
    worktreeBytes: number | undefined,
  ): Promise<{ result: StageResult; artifacts?: StageArtifacts }> {
    const seed = seedFor(epoch, repeat);
    const scratchDir = this.scratch.take();
    const measure = async (): Promise<{ result: StageResult; artifacts?: StageArtifacts }> => {
      if (stage.fn) {
        return {
          result: await runFunctionStage(stage, {
            worktree: wt.root,
            cwd: wt.problemDir,
            seed,
            repeat,
            candidate: String(candidateId),
            signal: this.opts.signal,
          }),
        };
      }
      const result = await runStage(
        {
          name: stage.name,
          kind: stage.kind,
          run: stage.run!,
          timeoutMs: stage.timeout,
          env: stage.env,
          memoryMb: stage.memory_mb,
          maxProcs: stage.max_procs,
          diskMb: stage.disk_mb,
          tmpMb: stage.tmp_mb,
          maxOutputBytes: stage.max_output_kb * 1024,
          metrics: stage.metrics,
        },
        {
          cwd: wt.problemDir,
          worktree: wt.root,
          runId: this.opts.runId,
          candidateId: String(candidateId),
          repeat,
          seed,
          scratchDir,
          sandbox: this.opts.config.sandbox,
          expose: this.opts.config.sandbox_expose,
          readOnlyBinds: this.opts.guard.binds(wt.problemDir),
          hidden: [this.opts.stateDir],
          stateDir: this.opts.stateDir,
          secrets: modelKeyNames(this.opts.config),
          signal: this.opts.signal,
          worktreeBytes,
        },
      );
      // Read here, once the stage and all it started are gone, before the scratch folder is.
      return { result, artifacts: collectArtifacts(path.join(scratchDir, 'artifacts'), this.opts.config.artifacts.stage_mb * MB) };
    };
    try {
      // At most one exclusive stage at a time on this host, whichever process runs it (exclusive-lock.ts).
      return stage.exclusive ? await exclusively(this.opts.signal, measure) : await measure();
    } finally {
      this.scratch.give(scratchDir);
    }
  }
}

const MB = 1024 * 1024;

/** Per-metric median over repeats: the candidate's summary metrics. */
export function medianMetrics(perRepeat: Metrics[]): Metrics {
  const names = new Set(perRepeat.flatMap((m) => Object.keys(m)));
  const out: Metrics = {};
  for (const name of names) {
    const values = perRepeat.map((m) => m[name]).filter((v) => typeof v === 'number');
    if (values.length > 0) out[name] = median(values);
  }
  return out;
}
