import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/load.js';
import { UsageError } from '../../core/errors.js';
import type { ModelGateway } from '../../llm/gateway.js';
import type { Store } from '../../store/store.js';
import { ModelRun, modelRunClients } from './model-run.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-model-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = (model: Record<string, unknown>) =>
  validateConfig({
    edit: ['prompt.md'],
    verifier: { stages: [{ name: 'run', kind: 'score', model_run: { model, prompt: 'prompt.md', items: 'items.jsonl', out: 'out/dev' } }] },
    objective: { metric: 'input_tokens_per_item', goal: 'minimize' },
  });

describe('model_run stage', () => {
  it('never writes through a link in the reply folder path, and deletes nothing outside the worktree', async () => {
    const wt = path.join(tmp, 'wt');
    const outside = path.join(tmp, 'outside');
    mkdirSync(path.join(outside, 'dev'), { recursive: true });
    writeFileSync(path.join(outside, 'dev', 'keep.txt'), 'a file of the user');
    mkdirSync(wt);
    writeFileSync(path.join(wt, 'prompt.md'), 'Extract: {{text}}');
    writeFileSync(path.join(wt, 'items.jsonl'), '{"id": "a", "text": "x"}\n');
    symlinkSync(outside, path.join(wt, 'out'));
    const stage = config({ provider: 'openai', name: 'm', base_url: 'http://127.0.0.1:9/v1' }).verifier.stages[0];
    // No model call is reached: the gateway and store are never used on this path.
    const run = new ModelRun(undefined as unknown as ModelGateway, new Map(), undefined as unknown as Store);
    const { result } = await run.run(stage, { cwd: wt, candidateId: 1, repeat: 0, seed: 1, signal: new AbortController().signal });
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: 'tampered', message: expect.stringContaining('out, in the path of the reply folder out/dev, is a symbolic link') },
    });
    expect(existsSync(path.join(outside, 'dev', 'keep.txt'))).toBe(true);
  });

  it('fails the stage with the reason when the prompt or the items cannot be used', async () => {
    const wt = path.join(tmp, 'wt2');
    mkdirSync(wt);
    writeFileSync(path.join(wt, 'prompt.md'), 'no placeholder');
    const stage = config({ provider: 'openai', name: 'm', base_url: 'http://127.0.0.1:9/v1' }).verifier.stages[0];
    const run = new ModelRun(undefined as unknown as ModelGateway, new Map(), undefined as unknown as Store);
    const ctx = { cwd: wt, candidateId: 1, repeat: 0, seed: 1, signal: new AbortController().signal };
    expect((await run.run(stage, ctx)).result.failure).toMatchObject({ kind: 'crash', message: expect.stringContaining('has no {{text}}') });
    writeFileSync(path.join(wt, 'prompt.md'), '{{text}}');
    expect((await run.run(stage, ctx)).result.failure!.message).toContain('the items file items.jsonl does not exist');
  });

  it('refuses to start with a model it cannot call, naming the stage', () => {
    const remote = config({ provider: 'openai', name: 'gpt-x', base_url: 'https://api.example.com/v1', api_key_env: 'TASK_KEY' });
    expect(() => modelRunClients(remote, {})).toThrow(UsageError);
    expect(() => modelRunClients(remote, {})).toThrow(/^stage run: model_run\.model: .*TASK_KEY.*Nothing was started\./);
    expect(modelRunClients(remote, { TASK_KEY: 'k' }).get('run')?.label).toBe('openai:gpt-x');
  });
});
