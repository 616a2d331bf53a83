// The islands strategy through the real engine and store (test/support/engine-harness.ts):
// isolation, migration counts without re-migration, confirmed elites on a noisy verifier,
// determinism under a fixed seed, and resume restoring archives and counters.
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { build, cleanup, counter, NumberBackend, randomStep, setup, tempProblem } from '../../../test/support/engine-harness.js';
import type { ConfigInput } from '../../config/schema.js';
import { improvedOnParent, type Population } from '../population.js';
import type { CandidateRecord, Store } from '../../store/store.js';
import { recordedBandits } from '../../operators/bandits.js';
import type { IslandsPopulation } from './islands.js';

afterEach(cleanup);

const parity = { name: 'parity', metric: 'p', range: [0, 2] as [number, number], bins: 2 };
const search = (over: Record<string, unknown> = {}): Partial<ConfigInput> => ({
  search: { strategy: 'islands', islands: 3, migration: { interval: 4, rate: 1 }, features: [parity], seed: 7, ...over },
});
const parityBackend = () => new NumberBackend({ metrics: (y) => ({ p: ((y % 2) + 2) % 2 }) });

/** What two equal runs must agree on: every row's lineage, island, outcome and files, and the archives. */
function snapshot(store: Store) {
  const rows = store.listCandidates('r1').map((c) => [c.id, c.parents, c.island, c.operator, c.status, c.score, c.files, c.description, c.commitSha]);
  return { rows, cells: store.search.cells('r1'), counters: store.search.get('r1', 'islands.counters'), champion: store.getRun('r1')!.championId };
}

describe('islands', () => {
  it('keeps islands isolated: every cross-island edge is a recorded migrate row, copied from the neighbour and never a copy of a copy', async () => {
    const { evolution, store, candidates } = setup({ ...search(), budget: { candidates: 40 } }, { operator: randomStep(), backend: parityBackend() });
    await evolution.run();
    const byId = new Map(store.listCandidates('r1').map((c) => [c.id, c]));
    const baselineId = store.getRun('r1')!.baselineId!;
    const rows = candidates();
    expect(rows.filter((c) => c.operator !== 'migrate')).toHaveLength(40);
    expect(new Set(rows.map((c) => c.island))).toEqual(new Set([0, 1, 2]));
    for (const c of rows) {
      for (const p of c.parents.map((id) => byId.get(id)!)) {
        if (c.operator === 'migrate') {
          expect(p.island).toBe((c.island! + 2) % 3); // from its ring neighbour
          expect(p.operator).not.toBe('migrate');
          expect(p.id).not.toBe(baselineId);
          expect(c.files).toEqual(p.files);
          expect(c.commitSha).toBe(p.commitSha);
        } else if (p.id !== baselineId) {
          expect(p.island).toBe(c.island);
        }
      }
    }
    // Migration rounds: one per `interval` accepted children (migrants not counted), `rate` copies per island.
    const accepted = rows.filter((c) => c.operator !== 'migrate' && c.status === 'accepted').length;
    const counters = store.search.get<{ migrations: number }>('r1', 'islands.counters')!;
    expect(counters.migrations).toBe(Math.floor(accepted / 4));
    expect(counters.migrations).toBeGreaterThan(0);
    const migrants = rows.filter((c) => c.operator === 'migrate');
    expect(migrants.length).toBeLessThanOrEqual(counters.migrations * 3);
    expect(migrants.length).toBeGreaterThan(0);
    // An elite is sent to an island once: a second copy would be measured only to lose to the first (or to what beat it).
    const sent = migrants.map((m) => `${m.parents[0]}>${m.island}`);
    expect(new Set(sent).size).toBe(sent.length);
    // Each migrant was measured on its own row before it landed, and a landed one holds a cell.
    expect(migrants.every((m) => ['accepted', 'rejected'].includes(m.status) && store.measurements(m.id).length > 0)).toBe(true);
    const cells = store.search.cells('r1');
    for (const cell of cells) {
      const holder = byId.get(cell.candidateId)!;
      expect(holder.id === baselineId || holder.island === cell.island).toBe(true);
      expect(holder.id === baselineId || holder.status === 'accepted').toBe(true);
    }
    // The champion is the best elite over all islands.
    const best = Math.max(...cells.map((c) => byId.get(c.candidateId)!.score!));
    expect(byId.get(store.getRun('r1')!.championId!)!.score).toBe(best);
    store.close();
  });

  it('sends an elite to a neighbour once: an island whose best stays the same sends nothing more', async () => {
    // Each island's first child is its best (50, 40); the later ones are worse but still enter the island's best five, so rounds keep coming.
    const made = [0, 0];
    const operator = counter((ctx) => String((ctx.island === 0 ? 50 : 40) - made[ctx.island!]++));
    const { evolution, store, candidates } = setup(
      { search: { strategy: 'islands', islands: 2, migration: { interval: 2, rate: 1 }, seed: 3 }, budget: { candidates: 16 } },
      { operator },
    );
    await evolution.run();
    const counters = store.search.get<{ migrations: number }>('r1', 'islands.counters')!;
    expect(counters.migrations).toBeGreaterThan(2);
    const migrants = candidates().filter((c) => c.operator === 'migrate');
    const sent = migrants.map((m) => `${m.parents[0]}>${m.island}`);
    expect(sent).toHaveLength(2);
    expect(new Set(sent).size).toBe(2);
    store.close();
  });

  it('sends an elite again to an island that was re-seeded since (the re-seed wiped its copy)', async () => {
    // Island 0 always improves (the best island), and its migrants keep island 1 from stagnating; island 1's own best stays its first
    // child (40), sent to island 2 each time island 2, which never improves, has been re-seeded from island 0.
    const made = [0, 0, 0];
    const operator = counter((ctx) => {
      const n = made[ctx.island!]++;
      const parent = Number(ctx.parents[0].files['f.js'] ?? '1');
      return String(ctx.island === 0 ? Math.max(parent, 100) + 1 : ctx.island === 1 ? (n === 0 ? 40 : -10 - n) : -100 - n);
    });
    const { evolution, store, candidates, population } = setup(
      { search: { strategy: 'islands', islands: 3, migration: { interval: 1, rate: 1 }, restart: { patience: 4 }, seed: 4 }, budget: { candidates: 40 } },
      { operator },
    );
    await evolution.run();
    const rows = candidates();
    const forty = rows.find((c) => c.island === 1 && c.score === 40)!;
    const restarts = rows.filter((c) => c.operator === 'migrate' && c.island === 2 && /^copy of #\d+ from island 0 \(restart/.test(c.description));
    const sentToTwo = rows.filter((c) => c.operator === 'migrate' && c.island === 2 && c.parents[0] === forty.id);
    expect(restarts.length).toBeGreaterThan(0);
    expect(sentToTwo.length).toBeGreaterThan(1);
    // What was sent is kept only for elites still in an archive, so the record stays small on a long run.
    const elites = new Set([0, 1, 2].flatMap((i) => (population as IslandsPopulation).elites(i).map((e) => e.id)));
    const kept = store.search.get<string[]>('r1', 'islands.sent')!;
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((key) => elites.has(Number(key.split('>')[0])))).toBe(true);
    store.close();
  });

  it('a lucky single sample does not enter a cell: the challenger races the occupant (and the champion) and loses', async () => {
    // The base scores 10 ± 0.05; the challenger's true value is 9.5 but its first sample is +5.
    const noise = (y: number, repeat: number, id: number) => (y === 9.5 && repeat === 0 ? 5 : 0.05 * Math.sin(id * 7 + repeat * 3));
    const run = (rule: 'significant' | 'better') => {
      const backend = new NumberBackend({ noise });
      const operator = counter(() => '9.5');
      const h = setup(
        { search: { strategy: 'islands', islands: 1, elites: 1 }, accept: { rule, baseline_repeats: 5 }, budget: { candidates: 1 } },
        { operator, backend, base: '10' },
      );
      return { ...h, backend };
    };
    const noisy = run('significant');
    await noisy.evolution.run();
    const [child] = noisy.candidates();
    expect(child.status).toBe('rejected');
    expect(noisy.store.measurements(child.id).length).toBeGreaterThan(1);
    expect(noisy.store.search.cells('r1').map((c) => c.candidateId)).toEqual([noisy.store.getRun('r1')!.baselineId]);
    noisy.store.close();
    // The naive rule takes the lucky sample: the same setup can fail.
    const naive = run('better');
    await naive.evolution.run();
    expect(naive.candidates()[0].status).toBe('accepted');
    naive.store.close();
  });

  it('an elite in an empty cell still has to beat the champion to become it', async () => {
    // The base (12) is even; 11 lands in the empty odd cell but is worse than the base; 13 then beats 11 and the champion.
    const values = ['11', '13'];
    const operator = counter((_ctx, n) => values[n - 1]);
    const { evolution, store, candidates } = setup(
      { search: { strategy: 'islands', islands: 1, features: [parity] }, budget: { candidates: 2 } },
      { operator, backend: parityBackend(), base: '12' },
    );
    await evolution.run();
    const [eleven, thirteen] = candidates();
    expect([eleven.status, thirteen.status]).toEqual(['accepted', 'accepted']);
    expect(eleven.reason).toMatch(/entered the empty cell 1 of island 0/);
    expect(thirteen.reason).toMatch(/against champion 1: /);
    expect(store.getRun('r1')!.championId).toBe(thirteen.id);
    store.close();
  });

  it('re-seeds a stagnant island from the best island after restart.patience proposals without improving', async () => {
    // Island 0 climbs; island 1 only ever proposes something worse than its elite.
    const operator = counter((ctx) => String(Number(ctx.parents[0].files['f.js'] ?? '1') + (ctx.island === 0 ? 1 : -1)));
    const { evolution, store, candidates, events } = setup(
      { search: { strategy: 'islands', islands: 2, elites: 1, migration: { interval: 100 }, restart: { patience: 3 }, seed: 1 }, budget: { candidates: 14 } },
      { operator },
    );
    await evolution.run();
    const restarts = candidates().filter((c) => c.operator === 'migrate');
    expect(restarts.length).toBeGreaterThan(0);
    expect(restarts.every((c) => c.island === 1 && /restart: island 1 stagnated, re-seeded from island 0/.test(c.description))).toBe(true);
    expect(restarts.every((c) => store.getCandidate(c.parentId!)!.island === 0)).toBe(true);
    expect(restarts.some((c) => c.status === 'accepted')).toBe(true);
    expect(events.some((e) => e.type === 'notice' && /re-seeded from island 0/.test(e.message))).toBe(true);
    store.close();
  });

  it('two runs with the same seed make the same candidates, parents, islands and store contents', async () => {
    const one = setup({ ...search(), budget: { candidates: 25 } }, { operator: randomStep(), backend: parityBackend() });
    await one.evolution.run();
    const two = setup({ ...search(), budget: { candidates: 25 } }, { operator: randomStep(), backend: parityBackend() });
    await two.evolution.run();
    expect(snapshot(two.store)).toEqual(snapshot(one.store));
    const other = setup({ ...search({ seed: 8 }), budget: { candidates: 25 } }, { operator: randomStep(), backend: parityBackend() });
    await other.evolution.run();
    expect(snapshot(other.store).rows).not.toEqual(snapshot(one.store).rows);
    [one, two, other].forEach((h) => h.store.close());
  });

  it('resume after an abandoned session restores archives and counters: the result equals an uninterrupted run', async () => {
    const whole = setup({ ...search(), budget: { candidates: 30 } }, { operator: randomStep(), backend: parityBackend() });
    await whole.evolution.run();
    const dir = tempProblem();
    let first!: ReturnType<typeof build>;
    const stopAt = (p: Population): Population => ({
      start: () => p.start(),
      best: () => p.best(),
      select: (r, n) => p.select(r, n),
      release: (s) => p.release?.(s),
      consider: async (c: CandidateRecord) => {
        if (c.id === 18) {
          first.evolution.stop({ abandon: true });
          return undefined;
        }
        return p.consider(c);
      },
    });
    first = build(dir, { ...search(), budget: { candidates: 30 } }, { operator: randomStep(), backend: parityBackend(), population: stopAt });
    await first.evolution.run();
    const cellsAtStop = first.store.search.cells('r1');
    first.store.close();
    const second = build(dir, { ...search(), budget: { candidates: 30 } }, { operator: randomStep(), backend: parityBackend() });
    await (second.population as IslandsPopulation).start();
    expect(
      [0, 1, 2].flatMap((i) =>
        (second.population as IslandsPopulation)
          .elites(i)
          .map((e) => [i, e.cell, e.id])
          .sort(),
      ),
    ).toEqual(cellsAtStop.map((c) => [c.island, c.cell, c.candidateId]).sort());
    await second.evolution.run();
    expect(snapshot(second.store)).toEqual(snapshot(whole.store));
    whole.store.close();
    second.store.close();
  });
});

describe('islands: second parents', () => {
  it('a two-parent operator gets its partner from another island when its own has none, and never the same pair twice, also after resume', async () => {
    // One elite per island and no migration: an island's only elite is the first parent, so the partner must come from the other island.
    const config = (candidates: number): Partial<ConfigInput> => ({
      search: { strategy: 'islands', islands: 2, elites: 1, migration: { interval: 1000, rate: 1 }, seed: 5 },
      budget: { candidates },
    });
    // Every combination is worse than both parents, so both stay elites and the pair stays available.
    const worse = { ...counter((_ctx, n) => String(-100 - n)), parents: 2 as const };
    const dir = tempProblem();
    const grow = build(dir, config(6), { operator: randomStep() });
    await grow.evolution.run();
    grow.store.close();
    const combined = (rows: CandidateRecord[]) => rows.filter((c) => c.parents.length === 2);
    const first = build(dir, config(20), { operator: worse });
    expect((await first.evolution.run()).reason).toMatch(/^stuck: counter found nothing new 10 times in a row: no island has an elite besides #\d+/);
    const rows = first.candidates();
    const byId = new Map(rows.map((c) => [c.id, c]));
    expect(combined(rows)).toHaveLength(1);
    const [child] = combined(rows);
    expect(child.status).toBe('rejected');
    expect(byId.get(child.parents[0])!.island).toBe(child.island);
    expect(byId.get(child.parents[1])!.island).not.toBe(child.island);
    first.store.close();
    // Resumed, the pair is still known as combined: it is not offered again.
    const second = build(dir, config(20), { operator: worse });
    expect((await second.evolution.run()).reason).toMatch(/^stuck:/);
    expect(combined(second.candidates())).toHaveLength(1);
    second.store.close();
  });
});

describe('islands: partners that bring something', () => {
  it("looks on the other islands when its own island's unrelated elites would bring a merge nothing", async () => {
    // Island 0's children are siblings (the base stays its best) that all rewrite f.js: to each other they only conflict.
    // Island 1's children leave f.js alone and write g.js, which a merge into an island-0 elite takes cleanly.
    const made = [0, 0];
    const operator = counter((ctx) => String(-1 - made[ctx.island!]++));
    const sideFile: typeof operator = {
      ...operator,
      async propose(ctx) {
        if (ctx.island === 0) return operator.propose(ctx);
        return { operator: 'counter', description: 'g.js', changes: { 'g.js': `g${made[1]++}` } };
      },
    };
    const config: Partial<ConfigInput> = {
      edit: ['f.js', 'g.js'],
      search: { strategy: 'islands', islands: 2, migration: { interval: 1000, rate: 1 }, seed: 2 },
      budget: { candidates: 10 },
    };
    const { evolution, store, population } = setup(config, { operator: sideFile });
    await evolution.run();
    const islands = population as IslandsPopulation;
    const base = store.getRun('r1')!.baselineId!;
    expect(islands.elites(0).filter((e) => e.id !== base).length).toBeGreaterThan(1);
    expect(islands.elites(1).filter((e) => e.id !== base).length).toBeGreaterThan(0);
    let partnered = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const selection = population.select(seededRandom(seed), 2);
      if ('skip' in selection || selection.island !== 0 || selection.parents[0].id === base) continue;
      partnered++;
      expect(islands.elites(1).map((e) => e.id)).toContain(selection.parents[1].id);
      expect(selection.parents[1].files['g.js']).toBeDefined();
    }
    expect(partnered).toBeGreaterThan(3);
    store.close();
  });
});

describe('islands and the proposal bandits', () => {
  it('count a child as an improvement when accepted, and on an island only when it also beat its parent (a simplification: accepted)', () => {
    const row = (over: Partial<Pick<CandidateRecord, 'status' | 'operator' | 'score' | 'island'>>) => ({
      status: 'accepted' as const,
      operator: 'tune',
      score: 1,
      island: 0,
      ...over,
    });
    expect(improvedOnParent(row({}), 2, 'maximize')).toBe(false); // entered a cell, worse than its parent
    expect(improvedOnParent(row({}), 0.5, 'maximize')).toBe(true);
    expect(improvedOnParent(row({}), 0.5, 'minimize')).toBe(false);
    expect(improvedOnParent(row({ island: null }), 2, 'maximize')).toBe(true); // greedy: accepted means it beat the champion
    expect(improvedOnParent(row({ operator: 'llm-simplify' }), 1, 'maximize')).toBe(true);
    expect(improvedOnParent(row({ status: 'rejected', score: 3 }), 2, 'maximize')).toBe(false);
    expect(improvedOnParent(row({}), undefined, 'maximize')).toBe(true);
  });

  it('migrant copies are no operator arm and no pull', () => {
    const rows = [
      { id: 2, parentId: 1, operator: 'tune', model: null, style: null, status: 'accepted' as const, usd: 0, island: 0, score: 1 },
      { id: 3, parentId: 2, operator: 'migrate', model: null, style: null, status: 'accepted' as const, usd: 0, island: 1, score: 1 },
    ];
    const arms = recordedBandits(rows, {}, { withModel: {} }).stats().operators;
    expect(JSON.stringify(arms)).not.toContain('migrate');
    expect(JSON.stringify(arms)).toContain('tune');
  });
});
