// A `kind: judge` stage: the judge model grades what earlier stages produced (files they
// wrote in the worktree, or one stage's stdout) against the stage's rubric: on its scale
// (pointwise), or against the champion's outputs in both orders (pairwise, pairwise.ts).
// The call goes through the model gateway (recorded, priced, counted against budget.usd); the
// judge sees the rubric, the references and the outputs only. Each repeat is a fresh request
// (its seed is in the prompt), so the acceptance rule sees the judge's noise like any other.
// Outputs that address the judge fail the stage as tampered: never accepted.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isJudgeStage, type Config, type StageConfig } from '../../config/schema.js';
import { UsageError } from '../../core/errors.js';
import type { Metrics, StageResult } from '../../core/types.js';
import { CallLog, ModelGateway, type PauseOptions } from '../../llm/gateway.js';
import { createModelClient, type BackoffOptions } from '../../llm/index.js';
import { ModelError, type ModelClient } from '../../llm/types.js';
import { toSpec } from '../../llm/choose-model.js';
import type { Store } from '../../store/store.js';
import { globMatcher } from '../../propose/edit-rules.js';
import type { StageArtifacts } from '../../store/artifacts.js';
import { addressesJudge } from './addresses-judge.js';
import { parseScore, pointwisePrompt } from './judge-prompt.js';
import { championOutputs, compare, JUDGED_ARTIFACT, metricOf, selfComparison, tieMetrics } from './pairwise.js';

export const DEFAULT_SCALE: [number, number] = [1, 10];

export interface JudgeContext {
  /** The candidate's problem folder in its worktree (where earlier stages left their files). */
  cwd: string;
  candidateId: number;
  /** Stdout of the stages that ran before this one in this repeat. */
  stdoutOf: (stage: string) => string | undefined;
  repeat: number;
  seed: number;
  signal: AbortSignal;
}

type Graded = { metrics: Metrics; rationale: string } | { error: string; kind: 'crash' | 'bad-metrics' };

export class Judge {
  constructor(
    private readonly gateway: ModelGateway,
    private readonly client: ModelClient,
    private readonly store: Store,
    private readonly runId: string,
  ) {}

  async run(stage: StageConfig, ctx: JudgeContext): Promise<{ result: StageResult; artifacts?: StageArtifacts }> {
    const started = performance.now();
    const base = { stage: stage.name, kind: stage.kind, repeat: ctx.repeat, seed: ctx.seed, exitCode: null, signal: null, stdoutTail: '', stderrTail: '' };
    const fail = (kind: 'no-metrics' | 'tampered' | 'bad-metrics' | 'crash', message: string) => ({
      result: { ...base, ok: false, metrics: {}, durationMs: performance.now() - started, failure: { kind, message } },
    });
    const output = this.gather(stage, ctx);
    if (!output.trim()) {
      const what = stage.input!.stdout ? `stage ${stage.input!.stdout} printed nothing` : `no file matches ${stage.input!.files!.join(', ')}`;
      return fail('no-metrics', `nothing to judge: ${what}. Fix: make an earlier stage write the outputs the judge grades, or correct \`input\`.`);
    }
    const artifacts: StageArtifacts = { kept: [{ name: JUDGED_ARTIFACT, bytes: Buffer.from(output) }], dropped: [] };
    const steering = addressesJudge(output);
    if (steering) return { ...fail('tampered', `its output ${steering}: a candidate that tries to steer its judge is never accepted`), artifacts };

    const references = stage.references ? readFileSync(path.join(ctx.cwd, stage.references), 'utf8') : undefined;
    const graded = stage.compare ? await this.pairwise(stage, ctx, output, references) : await this.pointwise(stage, ctx, output, references);
    if ('error' in graded) return { ...fail(graded.kind, graded.error), artifacts };
    // Holdout output never reaches a proposer: a holdout judge's rationale is not feedback.
    const feedback = stage.kind === 'holdout' ? undefined : graded.rationale || undefined;
    return { result: { ...base, ok: true, metrics: graded.metrics, feedback, durationMs: performance.now() - started }, artifacts };
  }

  /** A recorded result of this stage, as it counts now: a pairwise result of the current champion is its tie with itself. */
  asRecorded(stage: StageConfig, result: StageResult, candidateId: number): StageResult {
    return stage.compare && this.championId() === candidateId ? selfComparison(stage, result) : result;
  }

  private championId(): number | null {
    return this.store.getRun(this.runId)?.championId ?? null;
  }

  private async pointwise(stage: StageConfig, ctx: JudgeContext, output: string, references?: string): Promise<Graded> {
    const scale = stage.scale ?? DEFAULT_SCALE;
    const reply = await this.ask(stage, ctx, pointwisePrompt({ rubric: stage.rubric!, scale, output, references, seed: ctx.seed }));
    if (typeof reply !== 'string') return reply;
    const parsed = parseScore(reply, scale);
    return 'error' in parsed ? { error: parsed.error, kind: 'bad-metrics' } : { metrics: { [metricOf(stage)]: parsed.value }, rationale: parsed.rationale };
  }

  private async pairwise(stage: StageConfig, ctx: JudgeContext, output: string, references?: string): Promise<Graded> {
    const championId = this.championId();
    // No champion yet (this is the baseline, the first one), or the champion itself: a tie, no call.
    if (championId === null || championId === ctx.candidateId) return { metrics: tieMetrics(stage), rationale: '' };
    const champion = championOutputs(this.store, championId, stage.name, ctx.repeat);
    if (champion === undefined) {
      return {
        kind: 'crash',
        error: `the champion's (candidate ${championId}) outputs for stage ${stage.name} are not recorded, so there is nothing to compare with. Fix: raise artifacts.run_mb (its cap drops new outputs) and run again.`,
      };
    }
    // The same outputs: a tie, whatever a judge would say about their order.
    if (champion === output) return { metrics: tieMetrics(stage), rationale: `the same outputs as the champion (candidate ${championId})` };
    let failed: Graded | undefined;
    const result = await compare(stage, { candidate: output, champion, championId, references, seed: ctx.seed }, async (p) => {
      const reply = await this.ask(stage, ctx, p);
      if (typeof reply === 'string') return reply;
      failed = reply;
      return '';
    });
    if (failed) return failed;
    return 'error' in result ? { error: result.error, kind: 'bad-metrics' } : result;
  }

  private async ask(stage: StageConfig, ctx: JudgeContext, ask: { system: string; prompt: string }): Promise<string | Graded> {
    try {
      const r = await this.gateway.complete(this.client, { ...ask, operator: `judge:${stage.name}` }, new CallLog(this.store), {
        signal: ctx.signal,
        stopping: ctx.signal,
      });
      return r.text;
    } catch (err) {
      return { kind: 'crash', error: `the judge model failed: ${(err as Error).message}` };
    }
  }

  private gather(stage: StageConfig, ctx: JudgeContext): string {
    if (stage.input!.stdout) return ctx.stdoutOf(stage.input!.stdout) ?? '';
    const match = globMatcher(stage.input!.files!);
    return outputFiles(ctx.cwd)
      .filter(match)
      .map((f) => `--- ${f} ---\n${readFileSync(path.join(ctx.cwd, f), 'utf8')}`)
      .join('\n');
  }
}

/** Regular files under the problem folder, problem-relative and sorted. Links are not followed: a
 * candidate's output that is a link to a host file must not carry that file to the judge model. */
function outputFiles(root: string, rel = '', depth = 0): string[] {
  const found: string[] = [];
  for (const name of readdirSync(path.join(root, rel)).sort()) {
    if (name === '.git' || name === '.evoloop') continue;
    const child = rel ? `${rel}/${name}` : name;
    const st = lstatSync(path.join(root, child));
    if (st.isDirectory() && depth < 8) found.push(...outputFiles(root, child, depth + 1));
    else if (st.isFile()) found.push(child);
  }
  return found;
}

/** The judge of a verifier with `kind: judge` stages, from `judge.model`; undefined when it has none. */
export function judgeFor(
  config: Config,
  o: { store: Store; runId: string; env?: NodeJS.ProcessEnv; backoff?: BackoffOptions; pause?: PauseOptions; notice: (message: string) => void },
): Judge | undefined {
  const client = judgeClient(config, o.env ?? process.env, o.backoff);
  if (!client) return undefined;
  const gateway = new ModelGateway({ store: o.store, runId: o.runId, clients: [client], budgetUsd: config.budget.usd, notice: o.notice, pause: o.pause });
  return new Judge(gateway, client, o.store, o.runId);
}

/** The judge model's client; undefined without judge stages. Run start calls it first to refuse a bad judge config (exit 2). */
export function judgeClient(config: Config, env: NodeJS.ProcessEnv, backoff?: BackoffOptions): ModelClient | undefined {
  const judged = config.verifier.stages.filter(isJudgeStage).map((s) => s.name);
  if (judged.length === 0) return undefined;
  if (!config.judge) {
    throw new UsageError(
      `stage ${judged[0]} is a judge stage, but no judge model is configured. Fix: add judge: {model: {provider: openai, name: <model>}} (a local server: base_url: http://127.0.0.1:PORT/v1).`,
    );
  }
  try {
    return createModelClient(toSpec(config.judge.model), env, backoff);
  } catch (err) {
    if (err instanceof ModelError) throw new UsageError(`judge.model: ${err.message}. Nothing was started.`);
    throw err;
  }
}
