import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configErrorOf as errorOf, minimalConfig as minimal } from '../../test/support/config-errors.js';
import { UsageError } from '../core/errors.js';
import { ConfigError, defineConfig, findConfigFile, jsonSchema, loadConfigFile, validateConfig } from './load.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('validateConfig', () => {
  it('fills in defaults and parses durations to milliseconds', () => {
    const c = validateConfig({ ...minimal, verifier: { stages: [{ ...minimal.verifier.stages[0], timeout: '90s' }] }, budget: { time: '2h' } });
    expect(c.verifier.stages[0]).toMatchObject({ timeout: 90_000, repeat: 1, env: [], max_output_kb: 64 });
    expect(c.budget.time).toBe(7_200_000);
    expect(c.protect).toEqual([]);
    expect(c.search).toMatchObject({ strategy: 'greedy', parallel: 1 });
    expect(c.accept).toMatchObject({ rule: 'pooled', alpha: 0.05, min_delta: 0, baseline_repeats: 5, max_repeats: 10, noise_model: 'auto' });
    expect(c.sandbox).toBe('auto');
  });

  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
    [45, 45_000],
  ])('reads the duration %j as %d ms', (timeout, ms) => {
    expect(validateConfig({ ...minimal, verifier: { stages: [{ ...minimal.verifier.stages[0], timeout }] } }).verifier.stages[0].timeout).toBe(ms);
  });

  it('defaults the stage timeout to 10 minutes', () => {
    expect(validateConfig(minimal).verifier.stages[0].timeout).toBe(600_000);
  });

  it('names a bad accept.noise_model or rule and the values it takes', () => {
    expect(errorOf({ ...minimal, accept: { noise_model: 'paired' } })).toMatch(
      /accept\.noise_model: Invalid option: expected one of "auto"\|"seed"\|"machine" \(got "paired"\)/,
    );
    expect(errorOf({ ...minimal, accept: { rule: 'pool' } })).toMatch(/accept\.rule: Invalid option: expected one of "pooled"\|"significant"\|"better"/);
  });

  it('names an unknown key with a did-you-mean, at any depth', () => {
    expect(errorOf({ ...minimal, budjet: {} })).toMatch(/- budjet: unknown key\. Fix: did you mean `budget`\?/);
    expect(errorOf({ ...minimal, search: { paralel: 2 } })).toMatch(/search\.paralel: unknown key\. Fix: did you mean `parallel`\?/);
    expect(errorOf({ ...minimal, verifier: { stages: [{ ...minimal.verifier.stages[0], repeats: 3 }] } })).toMatch(
      /verifier\.stages\[0\]\.repeats: unknown key\. Fix: did you mean `repeat`\?/,
    );
  });

  it('lists the known keys when nothing is close', () => {
    expect(errorOf({ ...minimal, zzzzzzzz: 1 })).toMatch(/zzzzzzzz: unknown key\. Fix: remove it \(known keys: edit, protect, .*verifier.*objective/);
  });

  it('names the operators for an unknown operator, with "did you mean" when one is close', () => {
    expect(errorOf({ ...minimal, operators: { tuen: 1 } })).toMatch(/operators\.tuen: unknown key\. Fix: did you mean `tune`\?/);
    expect(errorOf({ ...minimal, operators: { zzzzzzzz: 1 } })).toMatch(
      /operators\.zzzzzzzz: unknown key\. Fix: remove it \(known keys: llm-diff, llm-rewrite, agent, tune/,
    );
  });

  it('takes `edit: file` as the one-item list, and says what edit takes otherwise', () => {
    expect(validateConfig({ ...minimal, edit: 'approx.mjs' }).edit).toEqual(['approx.mjs']);
    expect(errorOf({ ...minimal, edit: 3 })).toMatch(/edit: give a glob of files the proposer may change, or a list of them \(got 3\)/);
    expect(errorOf({ ...minimal, edit: [] })).toMatch(/edit: list at least one glob/);
  });

  it('names the key, the problem and what was given for a wrong type', () => {
    const msg = errorOf({ ...minimal, search: { parallel: 'four' } });
    expect(msg).toMatch(/^evoloop\.yaml is invalid:/);
    expect(msg).toMatch(/search\.parallel: .*expected number.*\(got "four"\)\. Fix: /);
  });

  it('reports a missing required key', () => {
    const { objective: _, ...noObjective } = minimal;
    expect(errorOf(noObjective)).toMatch(/objective: .*\(it is missing\)/);
    const { edit: __, ...noEdit } = minimal;
    expect(errorOf(noEdit)).toMatch(/edit: .*\(it is missing\)/);
  });

  it('wants exactly one of objective.metric and objective.expr', () => {
    expect(errorOf({ ...minimal, objective: { metric: 'a', expr: 'a*2', goal: 'maximize' } })).toMatch(/objective: set exactly one of `metric`/);
    expect(errorOf({ ...minimal, objective: { goal: 'maximize' } })).toMatch(/objective: set exactly one of `metric`/);
  });

  it('rejects a bad duration, naming the stage key', () => {
    expect(errorOf({ ...minimal, verifier: { stages: [{ ...minimal.verifier.stages[0], timeout: '5 minutes' }] } })).toMatch(
      /verifier\.stages\[0\]\.timeout: expected a duration such as 30s, 5m or 2h.*\(got "5 minutes"\)/,
    );
    expect(errorOf({ ...minimal, budget: { time: -3 } })).toMatch(/budget\.time: expected a duration/);
  });

  it('refuses secrets in a stage env allow-list', () => {
    for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GITHUB_TOKEN', 'DB_PASSWORD', '*']) {
      const msg = errorOf({ ...minimal, verifier: { stages: [{ ...minimal.verifier.stages[0], env: [name] }] } });
      expect(msg, name).toMatch(/verifier\.stages\[0\]\.env/);
    }
    // A model's key under any name, exactly or through a wildcard.
    const model = { provider: 'openai', name: 'm', api_key_env: 'LLM_CRED_VAR' };
    for (const name of ['LLM_CRED_VAR', 'LLM*']) {
      const msg = errorOf({ ...minimal, model, verifier: { stages: [{ ...minimal.verifier.stages[0], env: [name] }] } });
      expect(msg, name).toMatch(/verifier\.stages\[0\]\.env: .*LLM_CRED_VAR, the model's API key/);
    }
    const ok = validateConfig({ ...minimal, verifier: { stages: [{ ...minimal.verifier.stages[0], env: ['MY_DATA_DIR', 'OMP_*'] }] } });
    expect(ok.verifier.stages[0].env).toEqual(['MY_DATA_DIR', 'OMP_*']);
  });

  it('refuses two stages with the same name (measurements are keyed by stage name)', () => {
    const stage = minimal.verifier.stages[0];
    expect(errorOf({ ...minimal, verifier: { stages: [stage, { ...stage }] } })).toMatch(/verifier\.stages\[1\]\.name: .*earlier stage/);
  });

  it('needs a score stage, and each stage needs exactly one of run and fn', () => {
    expect(errorOf({ ...minimal, verifier: { stages: [{ name: 't', kind: 'gate', run: 'true' }] } })).toMatch(/verifier\.stages: .*kind: score/);
    expect(errorOf({ ...minimal, verifier: { stages: [{ name: 's', kind: 'score' }] } })).toMatch(/exactly one of `run`.* or `fn`/);
    const fn = async () => ({ score: 1 });
    expect(validateConfig({ ...minimal, verifier: { stages: [{ name: 's', kind: 'score', fn }] } }).verifier.stages[0].fn).toBe(fn);
  });

  it('a stage picks its metrics channel (file, json, lines; auto by default); a function stage has none', () => {
    const stage = minimal.verifier.stages[0];
    expect(validateConfig(minimal).verifier.stages[0].metrics).toBeUndefined();
    for (const metrics of ['file', 'json', 'lines', 'auto']) {
      expect(validateConfig({ ...minimal, verifier: { stages: [{ ...stage, metrics }] } }).verifier.stages[0].metrics).toBe(metrics);
    }
    expect(errorOf({ ...minimal, verifier: { stages: [{ ...stage, metrics: 'stdout' }] } })).toMatch(/verifier\.stages\[0\]\.metrics: .*"file"/);
    const fn = async () => ({ score: 1 });
    expect(errorOf({ ...minimal, verifier: { stages: [{ name: 's', kind: 'score', fn, metrics: 'file' }] } })).toMatch(
      /metrics.*function stage returns its metrics/,
    );
  });

  it('sandbox_expose takes absolute paths that exist, never / itself', () => {
    expect(validateConfig(minimal).sandbox_expose).toEqual([]);
    expect(validateConfig({ ...minimal, sandbox_expose: [tmp] }).sandbox_expose).toEqual([tmp]);
    expect(errorOf({ ...minimal, sandbox_expose: ['opt/cuda'] })).toMatch(/sandbox_expose\[0\]: expected an absolute path/);
    expect(errorOf({ ...minimal, sandbox_expose: [path.join(tmp, 'missing')] })).toMatch(/sandbox_expose\[0\]: no such file or folder/);
    expect(errorOf({ ...minimal, sandbox_expose: ['/'] })).toMatch(/"\/" would show the whole host/);
  });

  it('reports every problem at once', () => {
    const msg = errorOf({ ...minimal, budjet: {}, search: { parallel: 0 }, sandbox: 'maybe' });
    expect(msg.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(3);
  });

  it('is a usage error (exit code 2)', () => {
    let err: unknown;
    try {
      validateConfig({});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
  });

  it('defineConfig returns its argument unchanged (it only types)', () => {
    const input = defineConfig(minimal as Parameters<typeof defineConfig>[0]);
    expect(input).toBe(minimal);
  });
});

describe('loadConfigFile', () => {
  const write = (name: string, text: string) => {
    const file = path.join(tmp, name);
    writeFileSync(file, text);
    return file;
  };

  it('loads YAML and names the file in errors', () => {
    const ok = write('ok.yaml', 'edit: [a.py]\nverifier:\n  stages:\n    - {name: s, kind: score, run: "true"}\nobjective: {metric: s, goal: minimize}\n');
    expect(loadConfigFile(ok).objective).toEqual({ metric: 's', goal: 'minimize' });
    const bad = write('bad.yaml', 'edit: [a.py]\nverifier: {stages: []}\nobjective: {metric: s, goal: minimize}\n');
    expect(() => loadConfigFile(bad)).toThrow(new RegExp(`${bad.replace(/[/.]/g, '\\$&')} is invalid:\\n  - verifier\\.stages: add at least one stage`));
  });

  it("takes a sandbox_expose path relative to the file's folder, and names a missing one by its full path", () => {
    const base = 'edit: [a.py]\nverifier:\n  stages:\n    - {name: s, kind: score, run: "true"}\nobjective: {metric: s, goal: minimize}\n';
    mkdirSync(path.join(tmp, 'modules'), { recursive: true });
    mkdirSync(path.join(tmp, 'nested'), { recursive: true });
    const file = write('nested/evoloop.yaml', `${base}sandbox_expose: [../modules, ${tmp}]\n`);
    expect(loadConfigFile(file).sandbox_expose).toEqual([path.join(tmp, 'modules'), tmp]);
    const missing = write('nested/missing.yaml', `${base}sandbox_expose: [../gone]\n`);
    expect(() => loadConfigFile(missing)).toThrow(
      new RegExp(`sandbox_expose\\[0\\]: no such file or folder.*${path.join(tmp, 'gone').replace(/[/.]/g, '\\$&')}`),
    );
  });

  it('reports a YAML syntax error with its line', () => {
    const file = write('syntax.yaml', 'edit: [a.py\nverifier:\n  stages: []\n');
    expect(() => loadConfigFile(file)).toThrow(/syntax\.yaml: YAML syntax error: .*line 2.*Fix the YAML/s);
  });

  it('refuses duplicate keys', () => {
    const file = write('dup.yaml', 'edit: [a.py]\nedit: [b.py]\n');
    expect(() => loadConfigFile(file)).toThrow(ConfigError);
  });

  it('an empty file is an invalid config, not a crash', () => {
    expect(() => loadConfigFile(write('empty.yaml', ''))).toThrow(/is invalid:[\s\S]*edit/);
  });

  it('findConfigFile points at `evoloop init` when there is none', () => {
    expect(() => findConfigFile(path.join(tmp, 'nowhere'))).toThrow(/nowhere does not exist.*evoloop init/);
    mkdirSync(path.join(tmp, 'empty'), { recursive: true });
    expect(() => findConfigFile(path.join(tmp, 'empty'))).toThrow(/no evoloop\.yaml in .*evoloop init/);
    write('evoloop.yml', 'edit: [x]\n');
    expect(findConfigFile(tmp)).toBe(path.join(tmp, 'evoloop.yml'));
  });
});

describe('jsonSchema', () => {
  it('describes what users write: strict objects, durations as strings or numbers', () => {
    const schema = jsonSchema() as {
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, { properties?: Record<string, { items?: { properties: Record<string, unknown>; additionalProperties: boolean } }> }>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['edit', 'verifier', 'objective']));
    const stage = schema.properties.verifier.properties!.stages.items!;
    expect(stage.additionalProperties).toBe(false);
    expect(Object.keys(stage.properties)).toEqual(expect.arrayContaining(['name', 'kind', 'run', 'timeout', 'repeat', 'env']));
    expect(JSON.stringify(stage.properties.timeout)).toMatch(/"type":"string"/);
    expect(JSON.stringify(stage.properties.timeout)).toMatch(/"type":"number"/);
  });
});
