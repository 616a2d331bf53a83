// A `model_run` stage: evoloop itself calls the stage's model once per item, with the
// candidate's prompt file (the thing being evolved) and the item's text, and writes each reply
// to `out/<id>.txt` in the worktree for the stages after it (a gate on the shape, a score stage
// on the labels, a judge on the rest). The calls go through the model gateway: recorded,
// priced, counted against budget.usd, linked to the candidate. No stage process ever holds
// the key or a route to the model, so candidate code cannot spend it or leak it; the
// stage's metrics are what the prompt costs: items, input/output tokens and dollars per item.
import { lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isModelRunStage, type Config, type StageConfig } from '../../config/schema.js';
import { UsageError } from '../../core/errors.js';
import type { StageResult } from '../../core/types.js';
import { toSpec } from '../../llm/choose-model.js';
import { CallLog, ModelGateway, type PauseOptions } from '../../llm/gateway.js';
import { createModelClient, type BackoffOptions } from '../../llm/index.js';
import { ModelError, type ModelClient } from '../../llm/types.js';
import type { StageArtifacts } from '../../store/artifacts.js';
import type { Store } from '../../store/store.js';
import { parseItems, readPrompt, readRegularFile, render, type Item } from './items.js';

export interface ModelRunContext {
  cwd: string;
  candidateId: number;
  repeat: number;
  seed: number;
  signal: AbortSignal;
}

interface Answer {
  text: string;
  inputTokens: number;
  outputTokens: number;
  usd: number;
}

export class ModelRun {
  constructor(
    private readonly gateway: ModelGateway,
    /** The model of each model_run stage, by stage name. */
    private readonly clients: Map<string, ModelClient>,
    private readonly store: Store,
  ) {}

  async run(stage: StageConfig, ctx: ModelRunContext): Promise<{ result: StageResult; artifacts?: StageArtifacts }> {
    const started = performance.now();
    const spec = stage.model_run!;
    const base = { stage: stage.name, kind: stage.kind, repeat: ctx.repeat, seed: ctx.seed, exitCode: null, signal: null, stdoutTail: '', stderrTail: '' };
    const fail = (kind: 'crash' | 'tampered', message: string) => ({
      result: { ...base, ok: false, metrics: {}, durationMs: performance.now() - started, failure: { kind, message } },
    });
    let prompt: string;
    let items: Item[];
    try {
      prompt = readPrompt(ctx.cwd, spec.prompt);
      items = parseItems(readRegularFile(ctx.cwd, spec.items, 'the items file'), spec.items);
    } catch (err) {
      return fail('crash', `${(err as Error).message}.`);
    }
    const outDir = replyFolder(ctx.cwd, spec.out);
    if ('error' in outDir) return fail('tampered', outDir.error);

    const log = new CallLog(this.store);
    const client = this.clients.get(stage.name)!;
    const answers: Answer[] = new Array(items.length);
    let failed: string | undefined;
    let next = 0;
    const worker = async () => {
      while (failed === undefined && next < items.length) {
        const i = next++;
        try {
          const r = await this.gateway.complete(client, { system: '', prompt: render(prompt, items[i]), operator: `model-run:${stage.name}` }, log, {
            signal: ctx.signal,
            stopping: ctx.signal,
          });
          answers[i] = { text: r.text, inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens, usd: r.usage.usd };
        } catch (err) {
          failed ??= `item ${items[i].id}: the model failed: ${(err as Error).message}`;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(spec.parallel, items.length) }, worker));
    if (log.ids.length > 0) this.store.llmCalls.link(ctx.candidateId, log.ids);
    if (failed !== undefined) return fail('crash', failed);

    items.forEach((item, i) => writeFileSync(path.join(outDir.dir, `${item.id}.txt`), answers[i].text));
    const per = (f: (a: Answer) => number) => answers.reduce((s, a) => s + f(a), 0) / answers.length;
    const metrics = {
      items: items.length,
      input_tokens_per_item: per((a) => a.inputTokens),
      output_tokens_per_item: per((a) => a.outputTokens),
      usd_per_item: per((a) => a.usd),
    };
    const summary = `${items.length} replies from ${client.label} in ${spec.out}/; ${metrics.input_tokens_per_item.toFixed(1)} input tokens per item`;
    return { result: { ...base, ok: true, metrics, stdoutTail: summary, durationMs: performance.now() - started } };
  }
}

/** The reply folder, emptied (no file from before this stage can pass for a reply). Refused when a
 * component of its path is a link: emptying it would delete, and replies would land, outside the worktree. */
function replyFolder(cwd: string, rel: string): { dir: string } | { error: string } {
  const parts = rel.split(/[\\/]+/).filter((p) => p && p !== '.');
  for (let i = 1; i <= parts.length; i++) {
    if (lstatSync(path.join(cwd, ...parts.slice(0, i)), { throwIfNoEntry: false })?.isSymbolicLink()) {
      return { error: `${parts.slice(0, i).join('/')}, in the path of the reply folder ${rel}, is a symbolic link: replies are never written through a link` };
    }
  }
  const dir = path.join(cwd, ...parts);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { dir };
}

/** The model of each model_run stage; empty without them. Run start calls it first to refuse a bad model config (exit 2). */
export function modelRunClients(config: Config, env: NodeJS.ProcessEnv, backoff?: BackoffOptions): Map<string, ModelClient> {
  const clients = new Map<string, ModelClient>();
  for (const stage of config.verifier.stages.filter(isModelRunStage)) {
    try {
      clients.set(stage.name, createModelClient(toSpec(stage.model_run!.model), env, backoff));
    } catch (err) {
      if (err instanceof ModelError) throw new UsageError(`stage ${stage.name}: model_run.model: ${err.message}. Nothing was started.`);
      throw err;
    }
  }
  return clients;
}

/** The runner of a verifier's model_run stages; undefined when it has none. */
export function modelRunFor(
  config: Config,
  o: { store: Store; runId: string; env?: NodeJS.ProcessEnv; backoff?: BackoffOptions; pause?: PauseOptions; notice: (message: string) => void },
): ModelRun | undefined {
  const clients = modelRunClients(config, o.env ?? process.env, o.backoff);
  if (clients.size === 0) return undefined;
  const gateway = new ModelGateway({
    store: o.store,
    runId: o.runId,
    clients: [...clients.values()],
    budgetUsd: config.budget.usd,
    notice: o.notice,
    pause: o.pause,
  });
  return new ModelRun(gateway, clients, o.store);
}
