import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import { UsageError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import { openStore } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';
import { planOperators, selectOperators } from './select.js';

const base = {
  edit: ['a.js'],
  verifier: { stages: [{ name: 's', kind: 'score', run: 'node s.js' }] },
  objective: { metric: 'x', goal: 'maximize' },
};
const config = (over: Record<string, unknown> = {}) => validateConfig({ ...base, ...over });
const noKeys = { env: {} };

describe('planOperators', () => {
  it('uses an offline optimizer with a one-line notice when no model is configured or detected', () => {
    const plan = planOperators(config(), noKeys);
    expect(plan.weights).toEqual({ tune: 1 });
    expect(plan.models).toEqual([]);
    expect(plan.notice).toMatch(/^No model configured: using an offline optimizer of the numeric literals.*OPENAI_API_KEY \/ ANTHROPIC_API_KEY\.$/);
  });

  it('defaults to llm-diff 0.7 / llm-rewrite 0.3 with a configured model, keeping its settings', () => {
    const plan = planOperators(
      config({
        model: { provider: 'openai', name: 'qwen', base_url: 'http://127.0.0.1:1234/v1', max_tokens: 900, price: { input_per_mtok: 1, output_per_mtok: 3 } },
      }),
      noKeys,
    );
    expect(plan.weights).toEqual({ 'llm-diff': 0.7, 'llm-rewrite': 0.3 });
    expect(plan.models[0]).toMatchObject({ provider: 'openai', name: 'qwen', maxTokens: 900, price: { inputPerMtok: 1, outputPerMtok: 3 } });
    expect(plan.notice).toBe('Proposing with openai:qwen.');
  });

  it('a key in the environment alone starts no paid calls: the notice says it was found and how to use it', () => {
    const plan = planOperators(config(), { env: { OPENAI_API_KEY: 'k' } });
    expect(plan.models).toEqual([]);
    expect(plan.weights).toEqual({ tune: 1 });
    expect(plan.notice).toMatch(/^No model configured: using an offline optimizer of the numeric literals/);
    expect(plan.notice).toMatch(
      /OPENAI_API_KEY is set but not used: pass --model auto \(or set `model: auto` in evoloop\.yaml\) to propose with openai:gpt-5-mini/,
    );
    expect(planOperators(config(), noKeys).notice).not.toMatch(/is set but not used/);
  });

  it('--model auto or model: auto uses the key that is set, and says which', () => {
    const plan = planOperators(config({ model: 'auto' }), { env: { ANTHROPIC_API_KEY: 'k' } });
    expect(plan.models[0]).toMatchObject({ provider: 'anthropic', name: 'claude-sonnet-4-5', apiKeyEnv: 'ANTHROPIC_API_KEY' });
    expect(plan.weights).toEqual({ 'llm-diff': 0.7, 'llm-rewrite': 0.3 });
    expect(plan.notice).toMatch(/^Using anthropic:claude-sonnet-4-5 because ANTHROPIC_API_KEY is set and model: auto asks for it/);
    expect(planOperators(config(), { model: 'auto', env: { OPENAI_API_KEY: 'k' } }).models[0]).toMatchObject({ provider: 'openai', name: 'gpt-5-mini' });
    // an explicit mix without model operators needs no model, whatever keys are set
    expect(planOperators(config({ operators: { tune: 1 } }), { env: { OPENAI_API_KEY: 'k' } }).models).toEqual([]);
  });

  it('--model picks the configured model of that name (price kept) and --base-url points it elsewhere', () => {
    const cfg = config({ model: { provider: 'openai', name: 'scripted', price: { input_per_mtok: 2, output_per_mtok: 4 } } });
    const plan = planOperators(cfg, { model: 'openai:scripted', baseUrl: 'http://127.0.0.1:9/v1', env: {} });
    expect(plan.models[0]).toMatchObject({ name: 'scripted', baseUrl: 'http://127.0.0.1:9/v1', price: { inputPerMtok: 2 } });
    expect(planOperators(cfg, { model: 'openai:other', baseUrl: 'http://127.0.0.1:9/v1', env: {} }).models[0].price).toBeUndefined();
  });

  it('refuses what cannot work with a UsageError naming the key and the fix', () => {
    const refuse = (fn: () => unknown, message: RegExp) => {
      expect(fn).toThrow(UsageError);
      expect(fn).toThrow(message);
    };
    refuse(() => planOperators(config({ operators: { 'llm-diff': 0.7, tune: 0.3 } }), noKeys), /operators\.llm-diff needs a model.*`model:`/);
    refuse(() => planOperators(config({ operators: { agent: 1 } }), noKeys), /operators\.agent needs `agent\.run`/);
    refuse(() => planOperators(config({ operators: { tune: 0 } }), noKeys), /every weight is 0/);
    refuse(() => planOperators(config(), { baseUrl: 'http://127.0.0.1:9/v1', env: {} }), /--base-url needs a model/);
    refuse(() => planOperators(config(), { model: 'gpt-5', env: {} }), /--model expects provider:name/);
    refuse(
      () => planOperators(config(), { model: 'auto', env: {} }),
      /--model auto uses the API key in OPENAI_API_KEY or ANTHROPIC_API_KEY, and neither is set/,
    );
    refuse(() => planOperators(config({ model: 'auto' }), noKeys), /model: auto uses the API key/);
    refuse(
      () => planOperators(config({ model: { provider: 'openai', name: 'gpt-5-mini' } }), noKeys),
      /needs an API key: set the environment variable OPENAI_API_KEY/,
    );
  });

  it('warns when budget.usd cannot be enforced because a model has no price', () => {
    const plan = planOperators(config({ budget: { usd: 5 }, model: { provider: 'openai', name: 'local', base_url: 'http://127.0.0.1:9/v1' } }), noKeys);
    expect(plan.notice).toMatch(/budget\.usd is set but openai:local has no known price.*model\.price/);
  });

  it('an agent alone is the default when only `agent` is configured', () => {
    expect(planOperators(config({ agent: { run: 'my-agent {prompt}' } }), noKeys).weights).toEqual({ agent: 1 });
  });
});

describe('selectOperators', () => {
  it('picks another operator than `except` when there is one (the retry after nothing new), else the same', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-select-'));
    const store = openStore(dir);
    try {
      const deps = { store, runId: 'r1', problemDir: dir, workspace: { baseFiles: () => [] } as unknown as Workspace, notice: () => undefined, env: {} };
      const two = selectOperators(config({ search: { strategy: 'islands' }, operators: { tune: 1, merge: 1 } }), deps);
      const picks = Array.from({ length: 40 }, (_, i) => two.pick(seededRandom(i)).name);
      expect(new Set(picks)).toEqual(new Set(['tune', 'merge']));
      for (let i = 0; i < 40; i++) expect(two.pick(seededRandom(i), 'merge').name).toBe('tune');
      const one = selectOperators(config({ operators: { tune: 1 } }), deps);
      expect(one.pick(seededRandom(1), 'tune').name).toBe('tune');
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which operators read their history (the engine keeps outcomes only for those): the offline optimizers, not merge or the model operators', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-select-'));
    const store = openStore(dir);
    try {
      const deps = { store, runId: 'r1', problemDir: dir, workspace: { baseFiles: () => [] } as unknown as Workspace, notice: () => undefined, env: {} };
      const model = { provider: 'openai', name: 'm', base_url: 'http://127.0.0.1:9/v1' };
      const mixed = selectOperators(
        config({ search: { strategy: 'islands' }, model, operators: { tune: 1, cmaes: 1, bayes: 1, merge: 1, 'llm-diff': 1, 'llm-rewrite': 1 } }),
        deps,
      );
      expect(['tune', 'cmaes', 'bayes', 'merge', 'llm-diff', 'llm-rewrite', 'unknown'].filter((n) => mixed.readsHistory(n))).toEqual([
        'tune',
        'cmaes',
        'bayes',
      ]);
      // The default offline operator is one of the three, whichever the run chooses.
      const offline = selectOperators(config(), deps);
      expect(['tune', 'cmaes', 'bayes'].every((n) => offline.readsHistory(n))).toBe(true);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
