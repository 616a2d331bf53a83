// A synthetic run written straight into a store (one transaction, raw SQL), for the
// dashboard benchmark and tests: a baseline, then `n` candidates with a realistic mix of
// statuses, operators, models, scores, model calls and a few measurements.
import { Store, storePath } from '../../src/store/store.js';
import { seededRandom } from '../../src/core/random.js';

export interface SeedOptions {
  n: number;
  runId?: string;
  /** Every k-th candidate is accepted (and becomes the champion). */
  acceptEvery?: number;
  /** The config's model reads its key from this variable (its value must never reach the page). */
  apiKeyEnv?: string;
  start?: number;
}

export interface Seeded {
  runId: string;
  file: string;
  acceptedIds: number[];
}

export function seedStore(problemDir: string, opts: SeedOptions): Seeded {
  const store = new Store(storePath(problemDir));
  const runId = opts.runId ?? 'seeded-run';
  const start = opts.start ?? Date.now() - opts.n * 1000 - 10_000;
  const random = seededRandom(7);
  const config = {
    edit: ['program.mjs'],
    verifier: { stages: [{ name: 'score', kind: 'score', run: 'node score.mjs', timeout: 30000, repeat: 3 }] },
    objective: { metric: 'score', goal: 'maximize' },
    budget: { candidates: opts.n, target: 200 },
    accept: { rule: 'significant', alpha: 0.05, min_delta: 0 },
    model: { provider: 'openai', name: 'gpt-x', api_key_env: opts.apiKeyEnv ?? 'OPENAI_API_KEY' },
  };
  store.createRun({ id: runId, problemDir, repoRoot: problemDir, baseCommit: '0'.repeat(40), configJson: JSON.stringify(config), configHash: 'seed', status: 'running', ownerPid: null });
  const db = store.db;
  const insert = db.prepare(`INSERT INTO candidates(run_id, parent_id, status, reason, operator, model, description, files_json, patch, change_hash,
      score, verdict_json, flags_json, tokens_in, tokens_out, usd, created_at, finished_at, eval_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const call = db.prepare(`INSERT INTO llm_calls(run_id, candidate_id, provider, model, operator, prompt, response, input_tokens, output_tokens, usd, latency_ms, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const acceptedIds: number[] = [];
  const every = opts.acceptEvery ?? 50;
  db.transaction(() => {
    const samples = [100, 101, 99, 100.5, 99.5];
    insert.run(runId, null, 'baseline', null, 'baseline', null, 'the base commit, unchanged', '{}', '', 'h0', 100, JSON.stringify({ samples, noise: { n: 5, median: 100, mad: 0.5, cv: 0.007 } }), '[]', 0, 0, 0, start, start + 1000, 900);
    let champion = 1;
    let best = 100;
    const operators = ['llm-diff', 'llm-rewrite', 'tune'];
    for (let i = 1; i <= opts.n; i++) {
      const id = i + 1;
      const t = start + 1000 + i * 1000;
      const operator = operators[i % 3];
      const model = operator === 'tune' ? null : i % 2 ? 'openai:gpt-x' : 'anthropic:claude-y';
      const roll = random();
      let status = roll < 0.7 ? 'rejected' : roll < 0.85 ? 'failed' : roll < 0.93 ? 'invalid' : 'duplicate';
      if (i % every === 0) status = 'accepted';
      const score = status === 'accepted' ? best + 1 + random() : status === 'rejected' ? best - random() * 5 : null;
      const reason = status === 'failed' ? `timeout in stage score: killed after 30s (candidate ${id})` : status === 'invalid' ? 'edit did not apply: SEARCH block not found' : status === 'duplicate' ? `same change as candidate ${id - 1}` : status === 'accepted' ? 'significant gain' : 'not significant';
      const verdict = score === null ? null : JSON.stringify({ decision: status === 'accepted' ? 'accept' : 'reject', gain: score - best, pValue: status === 'accepted' ? 0.01 : 0.4, ci: [score - best - 1, score - best + 1], samples: [score - 0.5, score, score + 0.5], against: champion });
      const [tin, tout, usd] = model ? [1500, 300, 0.002] : [0, 0, 0];
      insert.run(runId, champion, status, reason, operator, model, `${operator}: change ${i} to program.mjs`, '{}', `--- a/program.mjs\n+++ b/program.mjs\n@@ -1 +1 @@\n-const k = ${i - 1};\n+const k = ${i};\n`, `h${i}`, score, verdict, '[]', tin, tout, usd, t - 500, t, 400 + Math.round(random() * 200));
      if (model) call.run(runId, id, model.split(':')[0], model.split(':')[1], operator, `improve program.mjs (candidate ${id})`, `<<<<<<< SEARCH\nconst k = ${i - 1};\n=======\nconst k = ${i};\n>>>>>>> REPLACE`, tin, tout, usd, 1200, t - 600);
      if (status === 'accepted') {
        champion = id;
        best = score!;
        acceptedIds.push(id);
      }
    }
    db.prepare('UPDATE runs SET baseline_id = 1, champion_id = ? WHERE id = ?').run(champion, runId);
  })();
  store.addEvent(runId, 'run-start', null, { type: 'run-start', runId });
  store.close();
  return { runId, file: storePath(problemDir), acceptedIds };
}
