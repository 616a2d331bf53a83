// The hostile-problem harness itself: with `via: 'model'`, candidate 2 comes from the
// loopback model server and is the hostile program (so containment tests exercise the model path).
import { afterAll, describe, expect, it } from 'vitest';
import { createHostileProblem, type HostileProblem } from '../support/hostile-problem.js';

const made: HostileProblem[] = [];
afterAll(() => made.forEach((p) => p.cleanup()));

describe('hostile harness via the scripted model', () => {
  it('candidate 2 is the model-proposed MODE=1 program and the prompt was recorded', async () => {
    const p = createHostileProblem({ via: 'model', hostile: `fs.writeFileSync(path.join(process.env.TMPDIR ?? '/tmp', 'x'), '1');` });
    made.push(p);
    const { summary, requests } = await p.run(1);
    const c = p.candidate(2);
    expect(c.operator).toBe('llm-diff');
    expect(c.description).toBe('switch the mode on');
    expect(c.status).toBe('accepted'); // honest control: hostile but harmless, so it wins with 11 > 10
    expect(summary.bestCandidate).toBe(2);
    expect(requests).toHaveLength(1);
    expect(requests[0].prompt).toContain('const MODE = 0;');
  });
});
