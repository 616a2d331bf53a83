// The keys of judge stages (compare, report_as, holdout judges) and model_run stages: each bad input names its fix.
import { describe, expect, it } from 'vitest';
import { configErrorOf as errorOf } from '../../test/support/config-errors.js';
import { validateConfig } from './load.js';

const judge = { name: 'quality', kind: 'judge', input: { files: ['out/*'] }, rubric: 'Clear?' };
const modelRun = {
  model: { provider: 'openai', name: 'm', base_url: 'http://127.0.0.1:9/v1' },
  prompt: 'prompt.md',
  items: 'verifier/dev.jsonl',
  out: 'out/dev',
};
const score = { name: 'score', kind: 'score', run: 'node score.mjs' };
const config = (stages: unknown[], more: Record<string, unknown> = {}) => ({
  edit: ['prompt.md'],
  verifier: { stages },
  objective: { metric: 'score', goal: 'maximize' },
  ...more,
});

describe('judge and model_run stage keys', () => {
  it('accepts a pairwise judge, a holdout judge reporting the objective metric, and model_run stages', () => {
    const c = validateConfig(
      config([
        { name: 'run', kind: 'score', model_run: modelRun },
        score,
        { ...judge, compare: 'champion', repeat: 3 },
        { name: 'test-run', kind: 'holdout', model_run: { ...modelRun, items: 'verifier/test.jsonl', out: 'out/test' } },
        { name: 'test-quality', kind: 'holdout', input: { files: ['out/test/*'] }, rubric: 'Clear?', report_as: 'quality' },
      ]),
    );
    expect(c.verifier.stages.map((s) => [s.name, s.kind])).toEqual([
      ['run', 'score'],
      ['score', 'score'],
      ['quality', 'score'],
      ['test-run', 'holdout'],
      ['test-quality', 'holdout'],
    ]);
    expect(c.verifier.stages[0].model_run).toMatchObject({ parallel: 4, prompt: 'prompt.md' });
  });

  it.each([
    ['compare on a command stage', [{ ...score, compare: 'champion' }], '`compare` and `report_as` belong to `kind: judge` stages'],
    ['compare with a scale', [score, { ...judge, compare: 'champion', scale: [1, 10] }], '`scale` is for pointwise grading'],
    ['compare on a holdout judge', [score, { ...judge, kind: 'holdout', compare: 'champion' }], 'would be compared with itself'],
    ['an unknown compare', [score, { ...judge, compare: 'baseline' }], 'champion'],
    ['a report_as that is no metric name', [score, { ...judge, report_as: 'my-quality' }], 'a metric name: letters, digits and _'],
    ['a holdout judge without input', [score, { name: 'h', kind: 'holdout', rubric: 'Clear?' }], 'give it `input` (files or stdout) and a `rubric`'],
    ['model_run with run', [{ ...score, model_run: modelRun }], 'remove `run`/`fn`'],
    ['model_run on a gate', [score, { name: 'g', kind: 'gate', model_run: modelRun }], 'a `model_run` stage is a score or holdout stage'],
    [
      'two model_run score stages',
      [
        { name: 'a', kind: 'score', model_run: modelRun },
        { name: 'b', kind: 'score', model_run: modelRun },
      ],
      'at most one `model_run` stage',
    ],
    [
      'a prompt outside the problem',
      [{ name: 'a', kind: 'score', model_run: { ...modelRun, prompt: '../prompt.md' } }],
      'give a path inside the problem folder',
    ],
    ['an absolute reply folder', [{ name: 'a', kind: 'score', model_run: { ...modelRun, out: '/tmp/out' } }], 'give a path inside the problem folder'],
    ['a model_run without items', [{ name: 'a', kind: 'score', model_run: { ...modelRun, items: undefined } }], 'items'],
    ['an unknown model_run key', [{ name: 'a', kind: 'score', model_run: { ...modelRun, promt: 'x' } }], 'promt'],
  ])('refuses %s', (_what, stages, message) => {
    expect(errorOf(config(stages))).toContain(message);
  });

  it('refuses a pairwise judge with islands, and a stage env that would pass the task model key', () => {
    expect(errorOf(config([score, { ...judge, compare: 'champion' }], { search: { strategy: 'islands' } }))).toContain(
      'compares with the one champion of search.strategy: greedy',
    );
    const keyed = { name: 'run', kind: 'score', model_run: { ...modelRun, model: { ...modelRun.model, api_key_env: 'TASK_KEY' } } };
    expect(errorOf(config([keyed, { ...score, env: ['TASK_*'] }]))).toContain('would pass TASK_KEY');
  });
});
