// Every model call a run made (prompt, reply, tokens, price), and what the run spent. Reached
// as `store.llmCalls`; the gateway (llm/gateway.ts) writes them, `status` and the budget read them.
import type Database from 'better-sqlite3';
import type { LlmCallRecord } from '../core/types.js';

export interface Spend {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  usd: number;
}

export class LlmCalls {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    private readonly willWrite: () => void,
  ) {
    this.stmts = {
      add: db.prepare(
        `INSERT INTO llm_calls(run_id, candidate_id, provider, model, operator, prompt, response, input_tokens, output_tokens,
           cached_tokens, usd, latency_ms, attempts, error, created_at)
         VALUES (@runId, @candidateId, @provider, @model, @operator, @prompt, @response, @inputTokens, @outputTokens,
           @cachedTokens, @usd, @latencyMs, @attempts, @error, @createdAt)`,
      ),
      link: db.prepare('UPDATE llm_calls SET candidate_id = ? WHERE id = ?'),
      spend: db.prepare(
        `SELECT COUNT(*) AS calls, COALESCE(SUM(input_tokens),0) AS inputTokens, COALESCE(SUM(output_tokens),0) AS outputTokens,
           COALESCE(SUM(cached_tokens),0) AS cachedTokens, COALESCE(SUM(usd),0) AS usd FROM llm_calls WHERE run_id = ?`,
      ),
    };
  }

  /** Records one call; returns its id. */
  add(call: LlmCallRecord): number {
    this.willWrite();
    return Number(this.stmts.add.run({ ...call, createdAt: Date.now() }).lastInsertRowid);
  }

  /** Links a candidate's model calls, made before it had an id, to it. */
  link(candidateId: number, callIds: number[]): void {
    this.willWrite();
    this.db.transaction(() => {
      for (const id of callIds) this.stmts.link.run(candidateId, id);
    })();
  }

  /** What the run's model calls cost, in calls, tokens and dollars. */
  spend(runId: string): Spend {
    return this.stmts.spend.get(runId) as Spend;
  }
}
