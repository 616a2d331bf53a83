// instructions_file (autoresearch's program.md): the instructions come from the file, reach the
// model's prompt, and the file is protected like the config; bad settings are refused.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runEvolution } from '../../src/engine/run.js';
import { openStore } from '../../src/store/store.js';
import { CIRCLE_CONFIG, GOOD_LOWER_ROW } from '../support/circle-replies.js';
import { startFakeLlmServer } from '../support/fake-llm-server.js';
import { createProblem, PROJECT_ROOT, type Problem } from '../support/problem.js';

const PROGRAM_MD = '# pack.mjs\nMake the radii sum larger; never touch verifier/.\nSENTINEL-7f3a\n';
const EDIT_PROGRAM_MD = `Idea: rewrite the rules
program.md
<<<<<<< SEARCH
SENTINEL-7f3a
=======
Anything goes.
>>>>>>> REPLACE
`;

const { model: _model, ...CIRCLE_OFFLINE } = { ...CIRCLE_CONFIG(), operators: { tune: 1 } };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function problem(config: Record<string, unknown>, files: Record<string, string> = { 'program.md': PROGRAM_MD }): Problem {
  const p = createProblem({ from: path.join(PROJECT_ROOT, 'examples', 'circle-packing'), files: { 'evoloop.yaml': stringify(config), ...files } });
  cleanups.push(() => p.cleanup());
  return p;
}

describe('instructions_file', () => {
  it('puts the file in the prompt and refuses a proposal that edits it', async () => {
    // edit: ['**'] so only the automatic protection can stop an edit of program.md.
    const p = problem(CIRCLE_CONFIG({ edit: ['**'], instructions_file: 'program.md' }));
    const server = await startFakeLlmServer([{ reply: EDIT_PROGRAM_MD }, { reply: GOOD_LOWER_ROW }]);
    cleanups.push(() => server.close());
    await runEvolution({
      problemDir: p.dir,
      model: 'openai:scripted',
      baseUrl: server.openaiBaseUrl,
      maxCandidates: 2,
      llm: { env: { PATH: process.env.PATH }, backoff: { baseDelayMs: 5, maxDelayMs: 20 } },
    }).done;
    expect(server.requests[0].prompt).toContain('SENTINEL-7f3a');
    const store = openStore(p.dir);
    const [edit, good] = store.listCandidates(store.latestRun()!.id).filter((c) => c.operator !== 'baseline');
    store.close();
    expect(edit.status).toBe('invalid');
    expect(edit.reason).toContain('program.md is protected');
    expect(good.status).toBe('accepted');
  });

  it('refuses a missing file and both keys at once, naming the fix', async () => {
    const offline = (extra: Record<string, unknown>) => ({ ...CIRCLE_OFFLINE, ...extra });
    let p = problem(offline({ instructions_file: 'program.md' }), {});
    let r = await p.cli('run', '{dir}', '-n', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('instructions_file: program.md does not exist');
    p = problem(offline({ instructions_file: 'program.md', instructions: 'be brief' }));
    r = await p.cli('run', '{dir}', '-n', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not both');
    p = problem(offline({ instructions_file: '../outside.md' }));
    r = await p.cli('run', '{dir}', '-n', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('inside the problem folder');
  });
});
