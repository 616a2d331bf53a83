// best-of-n: every child is built on the base program, whatever has been accepted; acceptance
// and the champion work as in greedy, so its best is comparable with an evolving run's.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, counter, setup } from '../../../test/support/engine-harness.js';

afterEach(cleanup);

describe('best-of-n', () => {
  it('always proposes from the base, while the champion still moves to the best child', async () => {
    // Children 5, 3, 9, 4: each an independent sample of the base.
    const values = [5, 3, 9, 4];
    const operator = counter((_ctx, n) => String(values[n - 1]));
    const { evolution, candidates, store } = setup({ search: { strategy: 'best-of-n' }, budget: { candidates: 4 } }, { operator });
    await evolution.run();
    const baselineId = store.getRun('r1')!.baselineId!;
    expect(operator.seen.map((ctx) => [ctx.parents.map((p) => p.id), ctx.parents[0].files])).toEqual(Array(4).fill([[baselineId], {}]));
    expect(candidates().map((c) => [c.parentId, c.status, c.score])).toEqual([
      [baselineId, 'accepted', 5],
      [baselineId, 'rejected', 3],
      [baselineId, 'accepted', 9],
      [baselineId, 'rejected', 4],
    ]);
    expect(store.getRun('r1')!.championId).toBe(candidates()[2].id);
    store.close();
  });

  it('has no second parent to give: a two-parent operator is skipped with the reason', async () => {
    const operator = { ...counter(), parents: 2 as const };
    const { evolution, candidates, events, store } = setup({ search: { strategy: 'best-of-n' }, budget: { candidates: 3, patience: 2 } }, { operator });
    await evolution.run();
    expect(candidates()).toEqual([]);
    expect(events.some((e) => e.type === 'notice' && /best-of-n proposes every child from the base alone/.test(e.message))).toBe(true);
    store.close();
  });
});
