// With parallel > 1 a proposal goes to an island with the fewest in flight; ties by the draw.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { fewestInFlight } from './island-choice.js';

describe('fewestInFlight', () => {
  it('picks only among the least loaded islands, and both of a tie over many draws', () => {
    const loads = [2, 0, 1, 0].map((inFlight, island) => ({ island, inFlight }));
    const random = seededRandom(3);
    const picks = new Set(Array.from({ length: 50 }, () => fewestInFlight(loads, random)));
    expect(picks).toEqual(new Set([1, 3]));
    expect(fewestInFlight([{ island: 5, inFlight: 1 }], random)).toBe(5);
  });
});
