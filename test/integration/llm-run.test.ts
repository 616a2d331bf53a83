// Full runs on a copy of examples/circle-packing, proposals from the loopback model server.
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runEvolution, type RunOptions } from '../../src/engine/run.js';
import type { EvolutionEvent } from '../../src/engine/events.js';
import { openStore, type CandidateRecord, type LlmCallRecord } from '../../src/store/store.js';
import { startFakeLlmServer, type FakeLlmServer, type FakeStep } from '../support/fake-llm-server.js';
import { createProblem, PROJECT_ROOT, type Problem } from '../support/problem.js';
import { CIRCLE_CONFIG, FROZEN, GOOD_LOWER_ROW, GOOD_SECOND_ROW, MALFORMED, NO_MATCH, PROTECTED, WORSE_SQUEEZE } from '../support/circle-replies.js';
import { stringify } from 'yaml';

const EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'circle-packing');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function problem(config: Record<string, unknown> = CIRCLE_CONFIG()): Problem {
  const p = createProblem({ from: EXAMPLE, files: { 'evoloop.yaml': stringify(config) } });
  cleanups.push(() => p.cleanup());
  return p;
}

async function server(steps: FakeStep[], repeat = false): Promise<FakeLlmServer> {
  const s = await startFakeLlmServer({ steps, ...(repeat ? { whenExhausted: 'repeat-last' as const } : {}) });
  cleanups.push(() => s.close());
  return s;
}

/** A library run with fast retries and pauses, and no API keys in its environment. */
function run(p: Problem, baseUrl: string, opts: Partial<RunOptions> = {}) {
  const events: EvolutionEvent[] = [];
  const handle = runEvolution({
    problemDir: p.dir,
    model: 'openai:scripted',
    baseUrl,
    llm: { env: { PATH: process.env.PATH }, backoff: { baseDelayMs: 5, maxDelayMs: 20 }, pause: { baseMs: 20, maxMs: 100 } },
    onEvent: (e) => events.push(e),
    ...opts,
  });
  return { handle, events };
}

function records(p: Problem): { candidates: CandidateRecord[]; calls: (LlmCallRecord & { id: number })[] } {
  const store = openStore(p.dir);
  try {
    const runId = store.latestRun()!.id;
    const candidates = store.listCandidates(runId).filter((c) => c.operator !== 'baseline');
    const calls = [...store.queries.exportRows(runId, 'llm_calls')].map((r) => ({
      id: r.id as number,
      runId: r.run_id as string,
      candidateId: r.candidate_id as number | null,
      provider: r.provider as string,
      model: r.model as string,
      operator: r.operator as string | null,
      prompt: r.prompt as string,
      response: r.response as string | null,
      inputTokens: r.input_tokens as number,
      outputTokens: r.output_tokens as number,
      cachedTokens: r.cached_tokens as number,
      usd: r.usd as number,
      latencyMs: r.latency_ms as number | null,
      attempts: r.attempts as number,
      error: r.error as string | null,
    }));
    return { candidates, calls };
  } finally {
    store.close();
  }
}

const USAGE = { input: 1000, output: 100 };

describe('llm-diff runs against the loopback model server', () => {
  it('records exactly the expected statuses and reasons for a scripted sequence, with calls linked and costed', async () => {
    const p = problem();
    const replies = [GOOD_LOWER_ROW, WORSE_SQUEEZE, MALFORMED, PROTECTED, FROZEN, WORSE_SQUEEZE, NO_MATCH, GOOD_SECOND_ROW];
    const s = await server(replies.map((reply) => ({ reply, usage: USAGE })));
    const { handle } = run(p, s.openaiBaseUrl, { maxCandidates: replies.length });
    const summary = await handle.done;
    expect(summary.accepted).toBe(2);

    const { candidates, calls } = records(p);
    expect(candidates.map((c) => c.status)).toEqual(['accepted', 'rejected', 'invalid', 'invalid', 'invalid', 'duplicate', 'invalid', 'accepted']);
    const [good, worse, malformed, prot, frozen, dup, nomatch, good2] = candidates;
    expect(good.description).toBe('lower the bottom row to y=0.1 so its circles can grow');
    // the verifier is deterministic: each score follows from the program alone
    expect(good.score!).toBeGreaterThan(summary.baseline!);
    expect(worse.score!).toBeLessThan(good.score!);
    expect(malformed.reason).toMatch(/^no SEARCH\/REPLACE blocks found/);
    expect(malformed.description).toBe('move the circles around');
    expect(prot.reason).toMatch(/^verifier\/score\.mjs is protected \(matches 'verifier\/\*\*'\)/);
    expect(frozen.reason).toMatch(/^pack\.mjs: changes frozen code before the first EVOLVE-BLOCK-START/);
    expect(dup.reason).toBe(`same change as candidate ${worse.id}`);
    expect(nomatch.reason).toMatch(/does not match/);
    expect(good2.score!).toBeGreaterThan(good.score!);
    expect(summary.best).toBe(good2.score);
    expect(good2.parentId).toBe(good.id);

    // one call per candidate, linked to it, tokens and dollars on both
    expect(calls.map((c) => c.candidateId)).toEqual(candidates.map((c) => c.id));
    const usd = (1000 * 1 + 100 * 2) / 1e6;
    for (const [i, c] of candidates.entries()) {
      expect(c).toMatchObject({ operator: 'llm-diff', model: 'openai:scripted', tokensIn: 1000, tokensOut: 100 });
      expect(c.usd).toBeCloseTo(usd, 12);
      expect(calls[i]).toMatchObject({
        provider: 'openai',
        model: 'openai:scripted',
        operator: 'llm-diff',
        inputTokens: 1000,
        outputTokens: 100,
        attempts: 1,
        error: null,
      });
      expect(calls[i].response).toBe(replies[i]);
      expect(calls[i].latencyMs).toBeGreaterThanOrEqual(0);
    }
    expect(summary.spend.usd).toBeCloseTo(usd * replies.length, 12);
  });

  it('shows lessons from earlier failures in the next prompt, and never holdout output', async () => {
    // circles.mjs is protected: shown only because context.show lists it (score.mjs imports it, so it is not holdout data).
    const config = CIRCLE_CONFIG({ instructions: 'Pack the circles tightly; think about the rows.', context: { show: ['verifier/circles.mjs'] } });
    (config.verifier as { stages: unknown[] }).stages.push({ name: 'secret', kind: 'holdout', run: 'node verifier/holdout.mjs', timeout: '30s' });
    const p = createProblem({
      from: EXAMPLE,
      files: {
        'evoloop.yaml': stringify(config),
        'verifier/holdout.mjs': "console.error('HOLDOUT-STDERR');console.log(JSON.stringify({sum_radii: 1, feedback: 'HOLDOUT-FEEDBACK'}));\n",
      },
    });
    cleanups.push(() => p.cleanup());
    const s = await server([GOOD_LOWER_ROW, WORSE_SQUEEZE, MALFORMED, PROTECTED].map((reply) => ({ reply })));
    await run(p, s.openaiBaseUrl, { maxCandidates: 4 }).handle.done;
    expect(s.requests).toHaveLength(4);
    const [first, second, third, fourth] = s.requests.map((r) => r.prompt);
    expect(first).toContain('Pack the circles tightly; think about the rows.');
    expect(first).toContain('maximize sum_radii');
    expect(first).toContain('// EVOLVE-BLOCK-START');
    expect(first).toContain('Nothing tried yet in this run.');
    expect(first).toMatch(/^--- begin untrusted output of stage score, feedback .*\n\| sum of radii 2\.\d+ \(known frontier/m); // the verifier's feedback on the parent, fenced
    expect(first).toContain('verifier/circles.mjs\n```'); // frozen code, read-only
    expect(first).not.toContain('verifier/score.mjs\n```'); // protected and not listed: not shown
    expect(second).toMatch(/\(llm-diff\) lower the bottom row to y=0\.1 so its circles can grow → accepted \(better by 0\.\d+, score 2\.\d+\)/);
    expect(third).toMatch(/squeeze the second row down to 0\.27 → rejected: worse by 0\.\d+ \(score 2\.\d+\)/);
    expect(fourth).toMatch(/move the circles around → invalid: no SEARCH\/REPLACE blocks found/);
    const store = openStore(p.dir);
    const holdout = store
      .listCandidates(store.latestRun()!.id)
      .flatMap((c) => store.measurements(c.id))
      .filter((m) => m.kind === 'holdout');
    store.close();
    expect(holdout.map((m) => m.feedback)).toContain('HOLDOUT-FEEDBACK'); // it ran, on the champions
    for (const prompt of [first, second, third, fourth]) {
      expect(prompt).not.toContain('HOLDOUT');
      expect(prompt).not.toContain('verifier/holdout.mjs');
    }
  });

  it('waits out a 429 storm without spending candidates, then goes on', async () => {
    const p = problem();
    const storm: FakeStep[] = Array.from({ length: 6 }, () => ({ status: 429, retryAfter: 0, message: 'slow down' }));
    const s = await server([...storm, { reply: GOOD_LOWER_ROW, usage: USAGE }]);
    const { handle, events } = run(p, s.openaiBaseUrl, { maxCandidates: 1 });
    const summary = await handle.done;
    expect(summary.status).toBe('finished');
    const { candidates, calls } = records(p);
    expect(candidates.map((c) => c.status)).toEqual(['accepted']);
    expect(s.requests).toHaveLength(7);
    // max_retries 1: each recorded call is two attempts; three failed calls, then the answer
    expect(calls.map((c) => [c.attempts, c.error === null])).toEqual([
      [2, false],
      [2, false],
      [2, false],
      [1, true],
    ]);
    expect(calls[0].error).toMatch(/rate limited \(HTTP 429\)/);
    expect(calls.every((c) => c.candidateId === candidates[0].id)).toBe(true);
    const notices = events.flatMap((e) => (e.type === 'notice' ? [e.message] : []));
    expect(notices.some((m) => /openai:scripted is not answering .*proposals paused/.test(m))).toBe(true);
    expect(notices).toContain('openai:scripted answers again: proposals resumed');
  });

  it('pauses while the endpoint is dead and resumes when it comes up; a stop while paused ends cleanly', async () => {
    const port = await freePort();
    const p = problem();
    const dead = `http://127.0.0.1:${port}/v1`;
    const { handle, events } = run(p, dead, { maxCandidates: 1 });
    const paused = () => events.some((e) => e.type === 'notice' && /is not answering .*cannot reach the server/.test(e.message));
    await until(paused);
    await new Promise((r) => setTimeout(r, 300)); // a few more paused retries
    expect(records(p).candidates).toHaveLength(0);
    // Every retry says so: a paused run must not look hung.
    expect(events.some((e) => e.type === 'notice' && /still not answering after \d+ tries .*Ctrl-C to stop/.test(e.message))).toBe(true);
    const s = await startFakeLlmServer([{ reply: GOOD_LOWER_ROW }], port);
    cleanups.push(() => s.close());
    const summary = await handle.done;
    expect(summary.status).toBe('finished');
    const { candidates, calls } = records(p);
    expect(candidates.map((c) => c.status)).toEqual(['accepted']);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.slice(0, -1).every((c) => /cannot reach the server/.test(c.error ?? ''))).toBe(true);

    // the same outage, stopped by the user: interrupted, nothing recorded as a candidate
    const q = problem();
    const second = run(q, `http://127.0.0.1:${await freePort()}/v1`, { maxCandidates: 3 });
    await until(() => second.events.some((e) => e.type === 'notice' && /is not answering/.test(e.message)));
    second.handle.stop();
    const stopped = await second.handle.done;
    expect(stopped.status).toBe('interrupted');
    expect(stopped.candidates).toBe(0);
  });

  it('ends a pause when the time budget runs out', async () => {
    const p = problem(CIRCLE_CONFIG({ budget: { time: '1500ms' } }));
    const started = Date.now();
    const summary = await run(p, `http://127.0.0.1:${await freePort()}/v1`, { maxCandidates: 5 }).handle.done;
    expect(summary).toMatchObject({ status: 'finished', stopReason: 'budget: time', candidates: 0 });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops at the call that could pass budget.usd', async () => {
    // $1 per call exactly: 1000 output tokens at $1000/Mtok, input free; max_tokens 1000 → estimate $1
    const p = problem(
      CIRCLE_CONFIG({
        budget: { usd: 3.5 },
        model: { provider: 'openai', name: 'scripted', max_tokens: 1000, price: { input_per_mtok: 0, output_per_mtok: 1000 } },
      }),
    );
    const s = await server([{ reply: MALFORMED, usage: { input: 500, output: 1000 } }], true);
    const summary = await run(p, s.openaiBaseUrl, { maxCandidates: 20 }).handle.done;
    expect(s.requests).toHaveLength(3);
    expect(summary.spend.usd).toBeCloseTo(3, 12);
    expect(summary.candidates).toBe(3);
    expect(summary.stopReason).toMatch(/^budget: usd — spent \$3\.0000; the next call could cost up to \$1\.0000, which would pass budget\.usd \$3\.5/);
  });
});

describe('a model without a price', () => {
  it('status says the cost is unknown instead of showing $0 as if it were free', async () => {
    const config = CIRCLE_CONFIG();
    delete (config.model as { price?: unknown }).price;
    const p = problem(config);
    const s = await server([{ reply: GOOD_LOWER_ROW, usage: USAGE }]);
    await run(p, s.openaiBaseUrl, { maxCandidates: 1 }).handle.done;
    const status = await p.cli('status', '{dir}');
    expect(status.stdout).toMatch(/cost unknown for openai:scripted: no price known; set model\.price/);
  });
});

describe('evoloop run --model (acceptance)', () => {
  it('accepts the good proposals, rejects the rest with reasons, records tokens and cost; show --json has operator, model, tokens, usd', async () => {
    const p = problem();
    const replies = [GOOD_LOWER_ROW, WORSE_SQUEEZE, MALFORMED, PROTECTED, GOOD_SECOND_ROW];
    const s = await server(replies.map((reply) => ({ reply, usage: USAGE })));
    const r = await p.cli('run', '{dir}', '--model', 'openai:scripted', '--base-url', s.openaiBaseUrl, '--max-candidates', String(replies.length));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Proposing with openai:scripted.');

    const ls = await p.cli('ls', '{dir}', '--json');
    const rows = (JSON.parse(ls.stdout) as { id: number; status: string; reason: string | null }[]).reverse().filter((c) => c.status !== 'baseline');
    expect(rows.map((c) => c.status)).toEqual(['accepted', 'rejected', 'invalid', 'invalid', 'accepted']);
    expect(rows[2].reason).toMatch(/no SEARCH\/REPLACE blocks found/);
    expect(rows[3].reason).toMatch(/verifier\/score\.mjs is protected/);

    for (const row of rows) {
      const show = JSON.parse((await p.cli('show', String(row.id), '{dir}', '--json')).stdout);
      expect(show).toMatchObject({ operator: 'llm-diff', model: 'openai:scripted', tokens: { input: 1000, output: 100 } });
      expect(show.usd).toBeCloseTo(0.0012, 12);
    }
    const status = await p.cli('status', '{dir}');
    expect(status.stdout).toContain('model calls 5: 5000 in / 500 out tokens, $0.0060 ($0.0030 per accepted improvement)');
    expect(status.stdout).toMatch(/llm-diff +5 \/ 3 \/ 2 \/ 0\.\d+ \/ \$0\.0060/);
    const json = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    expect(json.operators).toEqual([expect.objectContaining({ operator: 'llm-diff', proposals: 5, valid: 3, accepted: 2 })]);
  });

  it('refuses a model operator without a model (exit 2, naming the key) and changes nothing', async () => {
    const config = CIRCLE_CONFIG();
    delete config.model;
    const p = problem(config);
    const r = await p.cli('run', '{dir}', '--max-candidates', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/operators\.llm-diff needs a model/);
    expect(r.stderr).toMatch(/`model:`/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
