// The engine with fakes (test/support/engine-harness.ts): an in-memory workspace, a backend
// that scores a candidate by the number in its file, operators that write numbers, and (for
// scheduling) wrapped populations. The store is real (a temp folder), since resume is defined by what it holds.
import { afterEach, describe, expect, it } from 'vitest';
import { build, cleanup, counter, NumberBackend, setup, tempProblem } from '../../test/support/engine-harness.js';
import { NothingNew, StopProposing } from '../operators/operator.js';
import type { Population } from '../population/population.js';
import type { CandidateRecord } from '../store/store.js';

afterEach(cleanup);

describe('Evolution', () => {
  it('stops at the candidates budget, each child built on the champion', async () => {
    const { evolution, candidates, store } = setup({ budget: { candidates: 3 } });
    expect(await evolution.run()).toEqual({ status: 'finished', reason: 'budget: candidates' });
    expect(candidates().map((c) => [c.status, c.score, c.parentId])).toEqual([
      ['accepted', 2, 1],
      ['accepted', 3, 2],
      ['accepted', 4, 3],
    ]);
    expect(store.getRun('r1')!.championId).toBe(4);
    store.close();
  });

  it('stops when the target is reached', async () => {
    const { evolution, candidates, store } = setup({ budget: { candidates: 10, target: 3 } });
    expect(await evolution.run()).toEqual({ status: 'finished', reason: 'target 3 reached' });
    expect(candidates()).toHaveLength(2);
    store.close();
  });

  it('stops on patience, and a proposal equal to its parent is a duplicate', async () => {
    const { evolution, candidates, store } = setup({ budget: { candidates: 10, patience: 2 } }, { operator: counter(() => '1') });
    expect(await evolution.run()).toEqual({ status: 'finished', reason: 'patience: 2 candidates without improvement' });
    expect(candidates().map((c) => c.status)).toEqual(['duplicate', 'duplicate']);
    store.close();
  });

  it('an operator that says stop spends no budget; one that throws makes an invalid candidate', async () => {
    const stop = setup({ budget: { candidates: 5 } }, { operator: counter(() => new StopProposing('budget: usd')) });
    expect(await stop.evolution.run()).toEqual({ status: 'finished', reason: 'budget: usd' });
    expect(stop.candidates()).toEqual([]);
    stop.store.close();
    const broken = setup({ budget: { candidates: 2 } }, { operator: counter(() => new Error('boom')) });
    await broken.evolution.run();
    expect(broken.candidates().map((c) => [c.status, c.reason])).toEqual([
      ['invalid', 'operator counter failed: boom'],
      ['invalid', 'operator counter failed: boom'],
    ]);
    broken.store.close();
  });

  it('an operator that finds nothing new gives way to another for the retry, so it cannot stop the run as stuck', async () => {
    // A pick that prefers the empty-handed operator (as a bandit may), unless told to pick another.
    const empty = counter(() => new NothingNew('nothing to combine yet'));
    const step = counter();
    const excepts: (string | undefined)[] = [];
    const pick = (_random: () => number, except?: string) => (excepts.push(except), except === 'empty' ? step : { ...empty, name: 'empty' });
    const { evolution, candidates, events, store } = setup({ budget: { candidates: 12 } }, { pick });
    expect(await evolution.run()).toEqual({ status: 'finished', reason: 'budget: candidates' });
    expect(candidates()).toHaveLength(12);
    expect(excepts.filter((e) => e === 'empty')).toHaveLength(12);
    expect(events.filter((e) => e.type === 'notice' && e.message.startsWith('empty: nothing to combine yet'))).toHaveLength(12);
    store.close();
  });

  it('the same invalid reason ten times in a row stops the run as stuck', async () => {
    const { evolution, candidates, store } = setup({ budget: { candidates: 50 } }, { operator: counter(() => new Error('no numbers')) });
    expect((await evolution.run()).reason).toMatch(/^stuck: the last 10 proposals were all invalid/);
    expect(candidates()).toHaveLength(10);
    store.close();
  });

  it('keeps `parallel` children in flight, never more', async () => {
    const backend = new NumberBackend({ delayMs: 20 });
    const { evolution, candidates, store } = setup(
      { budget: { candidates: 8 }, search: { parallel: 3 } },
      { backend, operator: counter((_ctx, n) => String(100 + n)) },
    );
    await evolution.run();
    expect(candidates()).toHaveLength(8);
    expect(backend.maxInFlight).toBe(3);
    store.close();
  });

  it('an operator that combines two parents gets two from the population, and the record keeps both', async () => {
    const operator = { ...counter(), parents: 2 as const };
    const asked: number[] = [];
    const pair = (p: Population): Population => ({
      start: () => p.start(),
      best: () => p.best(),
      consider: (c) => p.consider(c),
      select: (r, count) => {
        asked.push(count);
        const one = p.select(r, 1);
        if ('skip' in one) return one;
        return { ...one, parents: [one.parents[0], { ...one.parents[0], id: 1 }], island: 3 };
      },
    });
    // Budget 2: the row inserted before the baseline (id 1, the second parent) counts as one; the baseline becomes 2.
    const { evolution, candidates, store } = setup({ budget: { candidates: 2 } }, { operator, population: pair });
    store.insertCandidate({ runId: 'r1', parentId: null, status: 'rejected', operator: 'other', description: '', changeHash: 'x', patch: '', files: {} });
    await evolution.run();
    expect(asked).toEqual([2]);
    expect(operator.seen[0].parents.map((p) => p.id)).toEqual([2, 1]);
    expect(candidates().map((c) => [c.parentId, c.parents, c.island])).toEqual([
      [null, [], null],
      [2, [2, 1], 3],
    ]);
    store.close();
  });

  it('greedy cannot give a second parent: the proposal is skipped with the reason, no candidate recorded', async () => {
    const operator = { ...counter(), parents: 2 as const };
    const { evolution, candidates, events, store } = setup({ budget: { candidates: 5, patience: 3 } }, { operator });
    expect(await evolution.run()).toEqual({ status: 'finished', reason: 'patience: 3 candidates without improvement' });
    expect(candidates()).toEqual([]);
    expect(operator.seen).toEqual([]);
    const notice = events.find((e) => e.type === 'notice');
    expect(notice && 'message' in notice && notice.message).toMatch(/greedy keeps one champion.*use search\.strategy: islands/);
    store.close();
  });

  it('a failing backend fails the candidate, not the run; a failing baseline fails the run', async () => {
    const failing = setup(
      { budget: { candidates: 2 } },
      { backend: new NumberBackend({ fail: (c) => c.files['f.js'] !== undefined }), operator: counter((_ctx, n) => String(10 + n)) },
    );
    expect(await failing.evolution.run()).toEqual({ status: 'finished', reason: 'budget: candidates' });
    expect(failing.candidates().map((c) => [c.status, c.reason])).toEqual([
      ['failed', 'crash in stage s: exit 1'],
      ['failed', 'crash in stage s: exit 1'],
    ]);
    failing.store.close();
    const broken = setup({ budget: { candidates: 2 } }, { backend: new NumberBackend({ fail: () => true }) });
    await expect(broken.evolution.run()).rejects.toThrow(/the base commit fails its own verifier/);
    broken.store.close();
  });

  it('gives an operator that reads its history its earlier outcomes, replayed on resume; keeps none for one that does not', async () => {
    const dir = tempProblem();
    // What each proposal was given (the history is the engine's live list: copied when seen).
    const reader = () => {
      const given: [number, string, boolean, number | null][][] = [];
      const op = counter((ctx) => {
        given.push(ctx.history.map((o) => [o.candidateId, o.status, o.improved, o.fitness]));
        if (ctx.history.length > 0) expect(ctx.history.at(-1)!.files()).toEqual({ 'f.js': ctx.parents[0].files['f.js'] });
        return String(Number(ctx.parents[0].files['f.js'] ?? '1') + 1);
      });
      return { op: { ...op, readsHistory: true as const }, given };
    };
    const first = reader();
    const one = build(dir, { budget: { candidates: 3 } }, { operator: first.op });
    await one.evolution.run();
    expect(first.given).toEqual([
      [],
      [[2, 'accepted', true, 2]],
      [
        [2, 'accepted', true, 2],
        [3, 'accepted', true, 3],
      ],
    ]);
    one.store.close();
    const resumed = reader();
    const two = build(dir, { budget: { candidates: 4 } }, { operator: resumed.op });
    await two.evolution.run();
    expect(resumed.given.map((h) => h.map(([id]) => id))).toEqual([[2, 3, 4]]);
    two.store.close();
    // The same run with an operator that does not read it: nothing is kept for it.
    const blind = counter();
    const three = build(dir, { budget: { candidates: 5 } }, { operator: blind });
    await three.evolution.run();
    expect(blind.seen.map((ctx) => ctx.history)).toEqual([[]]);
    three.store.close();
  });

  it('resumes: a pending candidate is considered before anything new is proposed, and counts against the budget', async () => {
    const dir = tempProblem();
    // First session: abandoned while the second child is being measured.
    let first!: ReturnType<typeof build>;
    const backend = new NumberBackend();
    const hold = (p: Population): Population => ({
      ...p,
      start: () => p.start(),
      select: (r, n) => p.select(r, n),
      best: () => p.best(),
      consider: async (c: CandidateRecord) => {
        if (c.id === 3) {
          first.evolution.stop({ abandon: true });
          return undefined;
        }
        return p.consider(c);
      },
    });
    first = build(dir, { budget: { candidates: 3 } }, { backend, population: hold });
    expect(await first.evolution.run()).toEqual({ status: 'interrupted', reason: 'stopped by the user' });
    expect(first.candidates().map((c) => c.status)).toEqual(['accepted', 'pending']);
    first.store.close();
    // Second session: the pending child first, then one new child.
    const operator = counter();
    const second = build(dir, { budget: { candidates: 3 } }, { operator });
    expect(await second.evolution.run()).toEqual({ status: 'finished', reason: 'budget: candidates' });
    expect(second.candidates().map((c) => [c.id, c.status])).toEqual([
      [2, 'accepted'],
      [3, 'accepted'],
      [4, 'accepted'],
    ]);
    expect(operator.seen).toHaveLength(1);
    expect(operator.seen[0].parents.map((p) => p.id)).toEqual([3]);
    second.store.close();
  });
});
