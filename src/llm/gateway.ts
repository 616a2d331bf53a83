// Every model call of a run goes through here: it is recorded in llm_calls (success or
// failure), counted against budget.usd before it starts (in-flight calls included), and a
// provider that stays down pauses proposals instead of burning candidates.
//
// Provider-down policy: a call that fails with an outage kind (rate limit, 5xx, timeout,
// connection) after the client's own retries is recorded, a `notice` event says that
// proposals are paused, and the same call is retried with growing waits (jitter; each wait,
// Retry-After included, at most MAX_OUTAGE_WAIT_MS) until the model answers, the run is
// stopped, or the model has been down for model.max_outage: then the run stops as a run
// error (exit 1, resumable). No candidate is recorded for an outage, so the candidates
// budget is not spent on it; evaluations already in flight go on.
// A refused API key or an unknown model (HTTP 401/403/404) stops the run (resumable once
// fixed); any other bad reply makes this one proposal invalid with the reason.
// It lives in llm/ so that any user of a model (operators, a judge stage) goes through it.
import { countTokens } from './tokens.js';
import { StopProposing } from '../core/errors.js';
import type { ProposalCost } from '../core/types.js';
import type { Store } from '../store/store.js';
import { chooseModel, DEFAULT_MAX_OUTAGE_MS, DEFAULT_MAX_TOKENS, MAX_OUTAGE_WAIT_MS } from './choose-model.js';
import { costUsd, priceFor } from './pricing.js';
import { ModelError, type ChatResult, type ModelClient } from './types.js';

const OUTAGE: ReadonlySet<string> = new Set(['rate-limit', 'server', 'timeout', 'connection']);

export interface PauseOptions {
  /** First wait after an outage (default 5 s); doubles per failed retry. */
  baseMs?: number;
  /** Longest wait between retries, Retry-After included (default MAX_OUTAGE_WAIT_MS, 5 min). */
  maxMs?: number;
}

export interface GatewayOptions {
  store: Store;
  runId: string;
  clients: ModelClient[];
  budgetUsd?: number;
  notice: (message: string) => void;
  pause?: PauseOptions;
  /** Chooses among several models by their labels (the run's model bandit, weights as its prior); by weight without it. */
  chooser?: { choose(random: () => number): string };
}

/** The calls made for one proposal: their ids, tokens and dollars. */
export class CallLog {
  readonly ids: number[] = [];
  tokensIn = 0;
  tokensOut = 0;
  usd = 0;
  model?: string;

  constructor(private readonly store: Store) {}

  cost(): ProposalCost | undefined {
    if (this.ids.length === 0) return undefined;
    return {
      tokensIn: this.tokensIn,
      tokensOut: this.tokensOut,
      usd: this.usd,
      link: (candidateId) => this.store.llmCalls.link(candidateId, this.ids),
    };
  }
}

export class ModelGateway {
  private reservedUsd = 0;
  /** When each model that is not answering stopped answering (by label). */
  private readonly downSince = new Map<string, number>();

  constructor(private readonly o: GatewayOptions) {}

  pick(random: () => number): ModelClient {
    if (this.o.chooser && this.o.clients.length > 1) {
      const label = this.o.chooser.choose(random);
      return this.o.clients.find((c) => c.label === label)!;
    }
    const spec = chooseModel(
      this.o.clients.map((c) => c.spec),
      random,
    );
    return this.o.clients.find((c) => c.spec === spec)!;
  }

  /** The most a call with this prompt can cost: full input plus max_tokens of output. */
  maxCostUsd(client: ModelClient, system: string, prompt: string): number {
    const input = countTokens(`${system}\n${prompt}`);
    return costUsd({ inputTokens: input, outputTokens: client.spec.maxTokens ?? DEFAULT_MAX_TOKENS, cachedTokens: 0 }, priceFor(client.spec));
  }

  /**
   * One completion, recorded in `log`. Throws StopProposing (budget, bad key, stopped while
   * paused) or ModelError (a bad reply: the caller turns it into an invalid proposal).
   */
  async complete(
    client: ModelClient,
    req: { system: string; prompt: string; operator: string },
    log: CallLog,
    signals: { signal: AbortSignal; stopping: AbortSignal },
  ): Promise<ChatResult> {
    log.model = client.label;
    for (let failures = 0; ; failures++) {
      const estimate = this.reserve(client, req.system, req.prompt);
      let result: ChatResult;
      try {
        result = await client.complete({ system: req.system, prompt: req.prompt, signal: signals.signal });
      } catch (err) {
        const e = err instanceof ModelError ? err : new ModelError('bad-response', String(err));
        this.record(client, req, log, { error: e.message, attempts: e.attempts });
        if (e.kind === 'aborted' || signals.signal.aborted) throw new StopProposing('stopped while a model call was in flight', 'interrupted');
        if (e.kind === 'auth' || e.status === 404) {
          throw new StopProposing(`${e.message}. Fix the model settings or the API key, then run again to resume.`, 'interrupted', true);
        }
        if (!OUTAGE.has(e.kind)) throw e;
        await this.pause(client, e, failures, signals.stopping);
        continue;
      } finally {
        this.reservedUsd -= estimate;
      }
      this.record(client, req, log, { result });
      if (this.downSince.delete(client.label)) this.o.notice(`${client.label} answers again: proposals resumed`);
      return result;
    }
  }

  /** Refuses the call when it could pass budget.usd, counting calls still in flight. */
  private reserve(client: ModelClient, system: string, prompt: string): number {
    const estimate = this.maxCostUsd(client, system, prompt);
    const budget = this.o.budgetUsd;
    if (budget !== undefined) {
      const spent = this.o.store.llmCalls.spend(this.o.runId).usd;
      if (spent + this.reservedUsd + estimate > budget) {
        throw new StopProposing(
          `budget: usd — spent $${spent.toFixed(4)}${this.reservedUsd > 0 ? ` (+$${this.reservedUsd.toFixed(4)} in flight)` : ''}; the next call could cost up to $${estimate.toFixed(4)}, which would pass budget.usd $${budget}`,
        );
      }
    }
    this.reservedUsd += estimate;
    return estimate;
  }

  private async pause(client: ModelClient, e: ModelError, failures: number, stopping: AbortSignal): Promise<void> {
    const now = Date.now();
    const since = this.downSince.get(client.label) ?? now;
    const first = !this.downSince.has(client.label);
    this.downSince.set(client.label, since);
    const maxOutage = client.spec.maxOutageMs ?? DEFAULT_MAX_OUTAGE_MS;
    const left = since + maxOutage - now;
    if (left <= 0) {
      throw new StopProposing(
        `${client.label} did not answer for ${span(now - since)} (model.max_outage ${span(maxOutage)}); last error: ${e.message}. Check the network, base_url and API key, then run again to resume.`,
        'interrupted',
        true,
      );
    }
    const base = this.o.pause?.baseMs ?? 5_000;
    const max = this.o.pause?.maxMs ?? MAX_OUTAGE_WAIT_MS;
    const backoff = Math.min(max, base * 2 ** failures) * (0.5 + Math.random() / 2);
    // Retry-After is honoured up to the cap (a day-long one would look like a hang), and no wait outlasts max_outage.
    const wait = Math.min(left, max, Math.max(e.retryAfterMs ?? 0, backoff));
    if (first) {
      this.o.notice(
        `${client.label} is not answering (${e.message}): proposals paused, trying again in ${span(wait)} and then with growing waits (each at most ${span(max)}), for up to ${span(maxOutage)} (model.max_outage); measurements in flight go on`,
      );
    } else {
      // Say so at every retry: a run that waits silently looks hung.
      this.o.notice(
        `${client.label} still not answering after ${failures + 1} tries over ${span(now - since)} (${e.kind}); next try in ${span(wait)}, stopping at ${span(maxOutage)} (model.max_outage). Check the network, base_url and key, or Ctrl-C to stop (the run resumes later).`,
      );
    }
    if (stopping.aborted) throw new StopProposing('stopped while the model was not answering', 'interrupted');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      stopping.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        stopping.removeEventListener('abort', done);
        resolve();
      }
    });
    if (stopping.aborted) throw new StopProposing('stopped while the model was not answering', 'interrupted');
  }

  private record(
    client: ModelClient,
    req: { system: string; prompt: string; operator: string },
    log: CallLog,
    outcome: { result: ChatResult } | { error: string; attempts: number },
  ): void {
    const r = 'result' in outcome ? outcome.result : undefined;
    const id = this.o.store.llmCalls.add({
      runId: this.o.runId,
      candidateId: null,
      provider: client.spec.provider,
      model: client.label,
      operator: req.operator,
      prompt: `${req.system}\n\n${req.prompt}`,
      response: r?.text ?? null,
      inputTokens: r?.usage.inputTokens ?? 0,
      outputTokens: r?.usage.outputTokens ?? 0,
      cachedTokens: r?.usage.cachedTokens ?? 0,
      usd: r?.usage.usd ?? 0,
      latencyMs: r ? Math.round(r.latencyMs) : null,
      attempts: r?.attempts ?? ('attempts' in outcome ? outcome.attempts : 1),
      error: 'error' in outcome ? outcome.error : null,
    });
    log.ids.push(id);
    if (r) {
      log.tokensIn += r.usage.inputTokens;
      log.tokensOut += r.usage.outputTokens;
      log.usd += r.usage.usd;
    }
  }
}

/** 1.5s, 40s, 10m, 2h30m: a wait as a person reads it. */
function span(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${Number(s.toFixed(1))}s`;
  if (s < 120) return `${Math.round(s)}s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m}m` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
