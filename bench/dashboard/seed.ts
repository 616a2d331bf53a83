// A synthetic run written into a store (one transaction, through the store's methods), for the
// dashboard benchmark and tests: a baseline, then `n` candidates with a realistic mix of
// statuses, operators, models, scores, model calls and a few measurements.
import { Store, storePath } from '../../src/store/store.js';
import type { Verdict } from '../../src/store/verdict.js';
import { seededRandom } from '../../src/core/random.js';
import type { CandidateStatus } from '../../src/core/types.js';

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
  store.createRun({
    id: runId,
    problemDir,
    repoRoot: problemDir,
    baseCommit: '0'.repeat(40),
    configJson: JSON.stringify(config),
    configHash: 'seed',
    status: 'running',
    ownerPid: null,
  });
  const acceptedIds: number[] = [];
  const every = opts.acceptEvery ?? 50;
  // A champion's samples, as the score stage's measurements (repeat by repeat).
  const measured = (id: number, samples: number[]) =>
    samples.forEach((score, repeat) =>
      store.addMeasurement(id, 0, {
        stage: 'score',
        kind: 'score',
        repeat,
        seed: repeat + 1,
        ok: true,
        metrics: { score },
        exitCode: 0,
        signal: null,
        durationMs: 300,
        stdoutTail: '',
        stderrTail: '',
      }),
    );
  store.transaction(() => {
    const samples = [100, 101, 99, 100.5, 99.5];
    const baseline = store.insertCandidate({
      runId,
      parentId: null,
      status: 'baseline',
      operator: 'baseline',
      description: 'the base commit, unchanged',
      files: {},
      changeHash: 'h0',
      patch: '',
    });
    store.updateCandidate(baseline.id, {
      score: 100,
      verdict: { kind: 'baseline', noise: { n: 5, median: 100, mad: 0.5, cv: 0.007 } },
      finishedAt: start + 1000,
      evalMs: 900,
    });
    measured(baseline.id, samples);
    let champion = baseline.id;
    let best = 100;
    const operators = ['llm-diff', 'llm-rewrite', 'tune'];
    for (let i = 1; i <= opts.n; i++) {
      const id = i + 1;
      const t = start + 1000 + i * 1000;
      const operator = operators[i % 3];
      const model = operator === 'tune' ? null : i % 2 ? 'openai:gpt-x' : 'anthropic:claude-y';
      const roll = random();
      let status: CandidateStatus = roll < 0.7 ? 'rejected' : roll < 0.85 ? 'failed' : roll < 0.93 ? 'invalid' : 'duplicate';
      if (i % every === 0) status = 'accepted';
      const score = status === 'accepted' ? best + 1 + random() : status === 'rejected' ? best - random() * 5 : null;
      const reason =
        status === 'failed'
          ? `timeout in stage score: killed after 30s (candidate ${id})`
          : status === 'invalid'
            ? 'edit did not apply: SEARCH block not found'
            : status === 'duplicate'
              ? `same change as candidate ${id - 1}`
              : status === 'accepted'
                ? 'significant gain'
                : 'not significant';
      const verdict: Verdict | null =
        score === null
          ? null
          : {
              kind: 'decided',
              decision: status === 'accepted' ? 'accept' : 'reject',
              reason,
              gain: score - best,
              pValue: status === 'accepted' ? 0.01 : 0.4,
              ci: [score - best - 1, score - best + 1],
              naive: false,
              against: champion,
              championSamples: 3,
            };
      const [tokensIn, tokensOut, usd] = model ? [1500, 300, 0.002] : [0, 0, 0];
      const patch = `--- a/program.mjs\n+++ b/program.mjs\n@@ -1 +1 @@\n-const k = ${i - 1};\n+const k = ${i};\n`;
      const c = store.insertCandidate({
        runId,
        parentId: champion,
        status,
        reason,
        operator,
        model,
        description: `${operator}: change ${i} to program.mjs`,
        files: {},
        changeHash: `h${i}`,
        patch,
        tokensIn,
        tokensOut,
        usd,
      });
      store.updateCandidate(c.id, { score, verdict, finishedAt: t, evalMs: 400 + Math.round(random() * 200) });
      if (model) {
        const [provider, name] = model.split(':');
        store.llmCalls.add({
          runId,
          candidateId: c.id,
          provider,
          model: name,
          operator,
          prompt: `improve program.mjs (candidate ${id})`,
          response: `<<<<<<< SEARCH\nconst k = ${i - 1};\n=======\nconst k = ${i};\n>>>>>>> REPLACE`,
          inputTokens: tokensIn,
          outputTokens: tokensOut,
          cachedTokens: 0,
          usd,
          latencyMs: 1200,
          attempts: 1,
          error: null,
        });
      }
      if (status === 'accepted') {
        measured(c.id, [score! - 0.5, score!, score! + 0.5]);
        champion = id;
        best = score!;
        acceptedIds.push(id);
      }
    }
    store.updateRun(runId, { baselineId: baseline.id, championId: champion });
  });
  store.addEvent(runId, 'run-start', null, { type: 'run-start', runId });
  store.close();
  return { runId, file: storePath(problemDir), acceptedIds };
}
