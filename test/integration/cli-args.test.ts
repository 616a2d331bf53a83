// Bad arguments to the read commands are usage errors (exit 2, one line, the fix), never
// stack traces; a closed pipe is not an error.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, createProblem, type Problem } from '../support/problem.js';

let p: Problem;
beforeAll(async () => {
  p = createProblem({ config: { budget: { candidates: 6 } } });
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
  const r = spawnSync('sh', ['-c', `for i in 1 2 3 4 5 6 7 8; do node ${CLI} export ${p.dir} --table measurements --format csv; done | head -1`], {
    encoding: 'utf8',
  });
  expect(r.stdout.split('\n')[0]).toMatch(/^id,candidate_id,/);
  expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
});

it('diff --parent shows the change against the parent, and --json carries it with what it is against', async () => {
  // Any evaluated candidate has a real change (tune's choices differ from run to run).
  const ls = JSON.parse((await p.cli('ls', '{dir}', '--json', '--status', 'accepted,rejected')).stdout) as { id: number; parent: number }[];
  expect(ls.length).toBeGreaterThan(0);
  const { id, parent } = ls[0];
  const text = await p.cli('diff', String(id), '{dir}', '--parent');
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/^--- a\/program\.mjs\n\+\+\+ b\/program\.mjs/);
  const json = JSON.parse((await p.cli('diff', String(id), '{dir}', '--parent', '--json')).stdout);
  expect(json).toMatchObject({ id, against: { parent }, diff: text.stdout });
  const base = JSON.parse((await p.cli('diff', String(id), '{dir}', '--json')).stdout);
  expect(base.diff).toMatch(/^diff --git a\/program\.mjs/);
  expect(base.against.base).toMatch(/^[0-9a-f]{40}$/);
});

it('run --json prints one JSON event per line', async () => {
  const r = await p.cli('run', '{dir}', '--json', '--max-candidates', '8');
  expect(r.code, r.stderr).toBe(0);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string });
  expect(events[0]).toMatchObject({ type: 'notice' });
  expect(events.map((e) => e.type)).toContain('run-start');
  expect(events.filter((e) => e.type === 'decided')).toHaveLength(2); // 6 → 8 candidates
  expect(events.at(-1)).toMatchObject({ type: 'run-stop', status: 'finished' });
});
