// End to end through the CLI with the loopback model server: llm-simplify accepted when smaller
// and not worse, the novelty filter rejecting a near-duplicate before any stage runs, and what
// `status` shows of it (code size over time, the bandit's arms).
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer } from '../support/fake-llm-server.js';
import { createProblem, defaultConfig, type Problem } from '../support/problem.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const block = (body: string) => `Idea: simplify\n\`\`\`js\n${body}\n\`\`\`\n`;
/** Same values as the base (a=1.5, b=-2, n=3), in less code. */
const SHORTER = block('  const a = 1.5, b = -2.0, n = 3;');
/** The same again with a comment: not the same text, the same code. */
const NEAR_DUPLICATE = block('  const a = 1.5, b = -2.0, n = 3; // tidier');
/** Same values, more code. */
const LONGER = block('  const a = 1.5;\n  const b = -2.0;\n  const n = 3;\n  const spare = [a, b, n].map((v) => v * 2).filter(Boolean).length;');

function problem(config: Record<string, unknown>): Problem {
  const p = createProblem({ config });
  cleanups.push(() => p.cleanup());
  return p;
}

describe('llm-simplify and novelty in a run', () => {
  it('accepts the smaller program, never evaluates the near-duplicate, rejects the longer one; status shows code size and bandit arms', async () => {
    const server = await startFakeLlmServer([SHORTER, NEAR_DUPLICATE, LONGER].map((reply) => ({ reply })));
    cleanups.push(() => server.close());
    const p = problem({ operators: { 'llm-simplify': 1 }, novelty: { threshold: 0.9 } });
    const r = await p.cli('run', '{dir}', '--model', 'openai:scripted', '--base-url', server.openaiBaseUrl, '--max-candidates', '3');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const ls = JSON.parse((await p.cli('ls', '{dir}', '--json')).stdout) as { id: number; status: string; reason: string; operator: string }[];
    const [longer, near, shorter] = ls; // newest first
    expect(shorter).toMatchObject({
      status: 'accepted',
      operator: 'llm-simplify',
      reason: expect.stringMatching(/^simpler and not worse: code size \d+ → \d+ bytes/),
    });
    expect(near).toMatchObject({
      status: 'duplicate',
      reason: expect.stringMatching(new RegExp(`^near-duplicate of candidate ${shorter.id}: 100% similar code \\(novelty.threshold 0.9\\); not evaluated`)),
    });
    expect(longer).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^simplification not smaller: code size \d+ → \d+ bytes/) });
    // the verifier ran for the baseline, the shorter and the longer program: never for the near-duplicate
    const started = p
      .log()
      .filter((l) => l[0] === 'start')
      .map((l) => Number(l[1]));
    expect(started).toEqual([1, shorter.id, longer.id]);
    // the near-duplicate reached the next prompt as a lesson
    expect(server.requests[2].prompt).toMatch(new RegExp(`#${near.id} \\(llm-simplify\\) simplify → duplicate: near-duplicate of candidate ${shorter.id}`));

    const status = await p.cli('status', '{dir}');
    const [before, after] = /code size: (\d+) → (\d+) bytes/.exec(status.stdout)!.slice(1).map(Number);
    expect(after).toBeLessThan(before);
    expect(status.stdout).toMatch(
      /bandit arms \(pulls \/ wins \/ estimated win rate\):\n {2}operators {2}llm-simplify 3\/1\/[\d.]+\n {2}models {5}openai:scripted 3\/1\/[\d.]+/,
    );
    const json = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    expect(json.bandits.operators).toEqual([expect.objectContaining({ arm: 'llm-simplify', pulls: 3, wins: 1 })]);
    expect(json.codeSizes.map((c: { bytes: number }) => c.bytes)).toEqual([before, after]);
  });

  it('refuses merge and llm-crossover with greedy, and a novelty threshold out of range, changing nothing', async () => {
    const p = problem({ operators: { merge: 1 } });
    const r = await p.cli('run', '{dir}');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('operators.merge combines two parents, but search.strategy greedy gives one. Fix: use search.strategy: islands');
    p.write('evoloop.yaml', JSON.stringify({ ...defaultConfig(), novelty: { threshold: 1.5 } }));
    const bad = await p.cli('run', '{dir}');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/novelty\.threshold.*a similarity in \(0, 1\]/);
    expect(p.log()).toEqual([]);
  });
});
