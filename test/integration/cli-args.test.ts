// Bad arguments to the read commands are usage errors (exit 2, one line, the fix), never
// stack traces; a closed pipe is not an error.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, createProblem, type Problem } from '../support/problem.js';

let p: Problem;
beforeAll(async () => {
  p = createProblem({ config: { budget: { candidates: 3 } } });
  expect((await p.cli('run', '{dir}')).code).toBe(0);
});
afterAll(() => p?.cleanup());

it.each([
  [['ls', '{dir}', '--limit', 'abc'], /--limit.*positive integer/],
  [['ls', '{dir}', '--status', 'bogus'], /"bogus" is not a status; use baseline, pending, accepted/],
  [['export', '{dir}', '--out', '/nonexistent-dir/x.csv'], /the folder \/nonexistent-dir does not exist/],
  [['init', '{dir}/evoloop.yaml'], /is a file; init takes the problem folder/],
])('%j is a usage error', async (args, message) => {
  const r = await p.cli(...(args as string[]));
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message as RegExp);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
});

it('export piped into a reader that stops early exits quietly', () => {
  // Many rows, so the writer is still writing when `head` closes the pipe.
  const r = spawnSync('sh', ['-c', `for i in 1 2 3 4 5 6 7 8; do node ${CLI} export ${p.dir} --table measurements --format csv; done | head -1`], { encoding: 'utf8' });
  expect(r.stdout.split('\n')[0]).toMatch(/^id,candidate_id,/);
  expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
});
