import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../config/load.js';
import { contextShowProblem, holdoutFiles, shownFiles } from './context-files.js';
import type { EditRules } from './edit-rules.js';

const FILES: Record<string, string> = {
  'program.mjs': "import { x } from './verifier/holdout-data.json'; // the proposer's file: never read for names",
  'lib/util.mjs': 'export const u = 1;',
  'README.md': 'how to run',
  '.env': 'TOKEN=x',
  'evoloop.yaml': 'edit: [program.mjs]',
  'verifier/score.mjs': "import { loadPacking } from './circles.mjs';\n// the holdout lives in verifier/holdout.mjs, never run here",
  'verifier/circles.mjs': "export const data = JSON.parse(fs.readFileSync('verifier/train.json'));",
  'verifier/train.json': '[1, 2]',
  'verifier/holdout.mjs': "const d = fs.readFileSync('verifier/holdout-data.json');",
  'verifier/holdout-data.json': '[3, 4]',
  'verifier/holdout/case1.txt': 'case',
  'verifier/stray.json': 'protected, used by nobody',
  'data/extra.csv': 'named by the holdout command as a folder',
};
const files = Object.keys(FILES);
const read = async (f: string) => FILES[f];
const rules: EditRules = { edit: ['program.mjs'], protect: ['verifier/**'], alwaysProtected: ['evoloop.yaml'] };

function config(stages: { name: string; kind: 'gate' | 'score' | 'holdout'; run: string }[], show?: string[]) {
  return validateConfig({
    edit: ['program.mjs'],
    protect: ['verifier/**'],
    verifier: { stages },
    objective: { metric: 'score', goal: 'maximize' },
    ...(show && { context: { show } }),
  });
}
const SCORE = { name: 'score', kind: 'score', run: 'node verifier/score.mjs' } as const;
const HOLDOUT = { name: 'secret', kind: 'holdout', run: 'node verifier/holdout.mjs --extra data/' } as const;

describe('holdoutFiles', () => {
  it('follows names from each command through the files it uses; search use wins; protected files nobody uses count', async () => {
    const h = await holdoutFiles(files, config([SCORE, HOLDOUT]), rules, read);
    expect([...h.keys()].sort()).toEqual([
      'data/extra.csv',
      'verifier/holdout-data.json',
      'verifier/holdout.mjs',
      'verifier/holdout/case1.txt',
      'verifier/stray.json',
    ]);
    expect(h.get('verifier/holdout.mjs')).toMatch(/named by the command of holdout stage "secret"/);
    expect(h.get('verifier/holdout-data.json')).toMatch(/named by a file that a holdout stage uses/);
    expect(h.get('verifier/stray.json')).toMatch(/protected, and no gate or score stage uses it/);
    // score.mjs → circles.mjs → train.json are the search's; the comment naming holdout.mjs is not a use.
    for (const f of ['verifier/score.mjs', 'verifier/circles.mjs', 'verifier/train.json', 'program.mjs']) expect(h.has(f), f).toBe(false);
  });

  it('is empty without a holdout stage; a file both kinds of stage name is the search’s', async () => {
    expect((await holdoutFiles(files, config([SCORE]), rules, read)).size).toBe(0);
    const shared = await holdoutFiles(files, config([SCORE, { name: 'h', kind: 'holdout', run: 'node verifier/score.mjs --split test' }]), rules, read);
    expect(shared.has('verifier/score.mjs')).toBe(false);
    expect(shared.has('verifier/holdout-data.json')).toBe(true); // protected and used by no search stage
  });

  it('reads Python module paths as files', async () => {
    const py: Record<string, string> = {
      'solve.py': '',
      'verify/score.py': 'from verify.common import load\nfrom .helpers import x',
      'verify/common.py': '',
      'verify/helpers.py': '',
      'verify/holdout.py': 'import json',
      'verify/test.csv': '',
    };
    const h = await holdoutFiles(
      Object.keys(py),
      config([
        { name: 's', kind: 'score', run: 'python verify/score.py' },
        { name: 'h', kind: 'holdout', run: 'python verify/holdout.py' },
      ]),
      { edit: ['solve.py'], protect: ['verify/'], alwaysProtected: [] },
      async (f) => py[f],
    );
    expect([...h.keys()].sort()).toEqual(['verify/holdout.py', 'verify/test.csv']);
  });
});

describe('shownFiles', () => {
  it('by default: no editable, protected, hidden, config or holdout file', async () => {
    const c = config([SCORE, HOLDOUT]);
    expect(shownFiles(files, c, rules, ['program.mjs'], await holdoutFiles(files, c, rules, read))).toEqual(['lib/util.mjs', 'README.md']);
  });

  it('with context.show: exactly what it lists, minus holdout files and the config', async () => {
    const c = config([SCORE, HOLDOUT], ['verifier/score.mjs', 'verifier/circles.mjs', 'evoloop.yaml', 'verifier/holdout-data.json', 'program.mjs']);
    expect(shownFiles(files, c, rules, ['program.mjs'], await holdoutFiles(files, c, rules, read))).toEqual(['verifier/score.mjs', 'verifier/circles.mjs']);
    expect(shownFiles(files, config([SCORE], []), rules, ['program.mjs'], new Map())).toEqual([]);
  });
});

describe('contextShowProblem', () => {
  it('refuses a glob that matches a holdout file, naming the file, why, and the fix', async () => {
    const msg = await contextShowProblem(files, config([SCORE, HOLDOUT], ['verifier/*.mjs', 'verifier/**']), rules, read);
    expect(msg).toBe(
      "context.show: 'verifier/*.mjs' matches verifier/holdout.mjs, a holdout file (named by the command of holdout stage \"secret\"); holdout files never go into a prompt. Fix: narrow the glob to the files the model may read; if a gate or score stage really uses verifier/holdout.mjs, name it in that stage's command or in a file it runs.",
    );
  });

  it('refuses a glob that matches no committed file; accepts one that names only search files', async () => {
    expect(await contextShowProblem(files, config([SCORE, HOLDOUT], ['verifer/score.mjs']), rules, read)).toMatch(
      /^context\.show: 'verifer\/score\.mjs' matches no committed file in the problem folder\. Fix:/,
    );
    expect(await contextShowProblem(files, config([SCORE, HOLDOUT], ['verifier/score.mjs', 'verifier/circles.mjs', 'lib/']), rules, read)).toBeUndefined();
    expect(await contextShowProblem(files, config([SCORE, HOLDOUT]), rules, read)).toBeUndefined();
  });
});

describe('the context key', () => {
  const base = { edit: ['program.mjs'], verifier: { stages: [SCORE] }, objective: { metric: 'score', goal: 'maximize' } };
  it.each([
    [{ show: ['a.md', '  '] }, /context\.show\[1\]: an empty glob matches nothing/],
    [{ show: 'a.md' }, /context\.show/],
    [{ shows: ['a.md'] }, /shows/],
  ])('%j is refused', (context, message) => {
    expect(() => validateConfig({ ...base, context })).toThrow(ConfigError);
    expect(() => validateConfig({ ...base, context })).toThrow(message);
  });
  it('defaults to no list (the default rule)', () => {
    expect(validateConfig(base).context).toEqual({});
  });
});
