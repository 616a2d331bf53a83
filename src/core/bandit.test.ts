import { describe, expect, it } from 'vitest';
import { Bandit } from './bandit.js';
import { seededRandom } from './random.js';

/** Plays `rounds` pulls against arms that win with the hidden rates (and cost `usd` each); returns the pulls per arm and the choices. */
function play(bandit: Bandit, rates: Record<string, number>, rounds: number, seed: number, usd: Record<string, number> = {}) {
  const random = seededRandom(seed);
  const world = seededRandom(seed + 1);
  const choices: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const arm = bandit.choose(random);
    choices.push(arm);
    bandit.record(arm, { win: world() < rates[arm], usd: usd[arm] });
  }
  const pulls = Object.fromEntries(Object.keys(rates).map((a) => [a, choices.filter((c) => c === a).length]));
  return { pulls, choices };
}

describe('Bandit', () => {
  it('prefers the arm that pays off in a scripted scenario', () => {
    for (const seed of [1, 2, 3]) {
      const bandit = new Bandit({ focused: 1, bold: 1, unlikely: 1, weakness: 1 });
      const { pulls } = play(bandit, { focused: 0.05, bold: 0.3, unlikely: 0.02, weakness: 0.1 }, 400, seed);
      expect(pulls.bold).toBeGreaterThan(200);
      expect(pulls.bold).toBeGreaterThan(pulls.focused + pulls.unlikely + pulls.weakness);
      const stats = bandit.stats();
      const best = stats.reduce((a, b) => (b.value > a.value ? b : a));
      expect(best.arm).toBe('bold');
      expect(stats.reduce((s, a) => s + a.pulls, 0)).toBe(400);
    }
  });

  it('is deterministic under a seed, and rebuilding its counts gives the same next choices (resume)', () => {
    const rates = { a: 0.2, b: 0.25, c: 0.1 };
    const first = play(new Bandit({ a: 1, b: 1, c: 1 }), rates, 100, 7);
    const again = play(new Bandit({ a: 1, b: 1, c: 1 }), rates, 100, 7);
    expect(again.choices).toEqual(first.choices);
    expect(play(new Bandit({ a: 1, b: 1, c: 1 }), rates, 100, 8).choices).not.toEqual(first.choices);

    // the state is counts: replaying the recorded outcomes in any order gives the same posterior
    const original = new Bandit({ a: 1, b: 1, c: 1 });
    const outcomes = Array.from({ length: 60 }, (_, i) => ({ arm: ['a', 'b', 'c'][i % 3], win: i % 7 === 0, usd: 0 }));
    for (const o of outcomes) original.record(o.arm, o);
    const rebuilt = new Bandit({ a: 1, b: 1, c: 1 });
    for (const o of [...outcomes].reverse()) rebuilt.record(o.arm, o);
    expect(rebuilt.stats()).toEqual(original.stats());
    const r1 = seededRandom(99);
    const r2 = seededRandom(99);
    expect(Array.from({ length: 20 }, () => rebuilt.choose(r1))).toEqual(Array.from({ length: 20 }, () => original.choose(r2)));
  });

  it('uses the weights as its prior before any outcome, and never picks a weight of 0', () => {
    const random = seededRandom(5);
    const bandit = new Bandit({ heavy: 0.9, light: 0.1, off: 0 });
    const picks = Array.from({ length: 2000 }, () => bandit.choose(random));
    const heavy = picks.filter((p) => p === 'heavy').length / picks.length;
    expect(heavy).toBeGreaterThan(0.6);
    expect(picks).not.toContain('off');
    // an arm recorded from an older config is shown but never chosen
    bandit.record('retired', { win: true });
    expect(bandit.stats().map((s) => s.arm)).toContain('retired');
    expect(Array.from({ length: 200 }, () => bandit.choose(random))).not.toContain('retired');
  });

  it('is cost-aware when a price is known: the same win rate at a tenth of the price gets most pulls', () => {
    const bandit = new Bandit({ cheap: 1, dear: 1 });
    const { pulls } = play(bandit, { cheap: 0.2, dear: 0.2 }, 300, 11, { cheap: 0.001, dear: 0.01 });
    expect(pulls.cheap).toBeGreaterThan(2 * pulls.dear);
    const stats = Object.fromEntries(bandit.stats().map((s) => [s.arm, s]));
    expect(stats.cheap.perUsd!).toBeGreaterThan(stats.dear.perUsd!);
    // without prices there is no per-dollar value
    expect(new Bandit({ a: 1 }).stats()[0].perUsd).toBeNull();
  });

  it('drops a free arm that never wins instead of keeping it for being free', () => {
    const bandit = new Bandit({ free: 1, paid: 1 });
    const { choices } = play(bandit, { free: 0, paid: 0.3 }, 600, 13, { paid: 0.01 });
    // being free earns it exploration first; once its record shows no win, the paid arm takes over
    const late = choices.slice(300);
    expect(late.filter((c) => c === 'paid').length).toBeGreaterThan(0.9 * late.length);
  });
});

describe('the island bandit (operators/bandits.ts)', () => {
  it('sends more proposals to the island whose children beat their parents, only among the least busy, rebuilt from rows', async () => {
    const { ProposalBandits } = await import('../operators/bandits.js');
    const { improvedOnParent } = await import('../population/population.js');
    const bandits = new ProposalBandits({ step: 1 }, {}, 3);
    const random = seededRandom(3);
    const world = seededRandom(4);
    const rows: Parameters<typeof bandits.observe>[0][] = [];
    const picks: number[] = [];
    for (let i = 0; i < 300; i++) {
      const island = bandits.chooseIsland(
        [0, 1, 2].map((n) => ({ island: n, inFlight: 0 })),
        random,
      );
      picks.push(island);
      // Island 0's children are accepted as often as island 1's, but into cells of their own, never beating their parent.
      const decided = {
        operator: 'step',
        model: null,
        style: null,
        status: world() < [0.4, 0.4, 0.05][island] ? 'accepted' : 'rejected',
        usd: 0,
        island,
        score: island === 0 ? 0.5 : 2,
      } as const;
      // Every parent scored 1.
      const row = { ...decided, improved: improvedOnParent(decided, 1, 'maximize') };
      rows.push(row);
      bandits.observe(row);
    }
    expect(picks.filter((p) => p === 1).length).toBeGreaterThan(200);
    // a busy island is not chosen while another has fewer in flight
    expect(
      bandits.chooseIsland(
        [
          { island: 0, inFlight: 0 },
          { island: 1, inFlight: 2 },
          { island: 2, inFlight: 1 },
        ],
        random,
      ),
    ).toBe(0);
    const rebuilt = new ProposalBandits({ step: 1 }, {}, 3);
    for (const r of rows.reverse()) rebuilt.observe(r);
    expect(rebuilt.stats().islands).toEqual(bandits.stats().islands);
    expect(bandits.stats().islands[0].wins).toBe(0);
    // The operator arm counts the same improvements: island 0's accepted children are pulls, not wins.
    const islandWins = bandits.stats().islands.reduce((n, a) => n + a.wins, 0);
    expect(bandits.stats().operators).toMatchObject([{ arm: 'step', pulls: 300, wins: islandWins }]);
    expect(rows.filter((r) => r.status === 'accepted').length).toBeGreaterThan(islandWins);
  });
});
