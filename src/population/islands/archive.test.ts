// Fixed bins: edges come from the declared range and never move; values outside land in the
// edge bins. Without features the archive keeps the best K.
import { describe, expect, it } from 'vitest';
import { Archive, binEdges, binOf, cellKey, type Elite } from './archive.js';

const elite = (id: number, score: number, cell = ''): Elite => ({
  id,
  score,
  cell,
  files: {},
  commitSha: '',
  samples: [score],
  island: 0,
  operator: 'x',
  description: '',
  metrics: null,
});

describe('MAP-Elites bins', () => {
  it('puts a value outside the range in the edge bin', () => {
    expect(binOf(-100, [0, 10], 5)).toBe(0);
    expect(binOf(0, [0, 10], 5)).toBe(0);
    expect(binOf(1.99, [0, 10], 5)).toBe(0);
    expect(binOf(2, [0, 10], 5)).toBe(1);
    expect(binOf(9.99, [0, 10], 5)).toBe(4);
    expect(binOf(10, [0, 10], 5)).toBe(4);
    expect(binOf(1e9, [0, 10], 5)).toBe(4);
    expect(binOf(Number.NaN, [0, 10], 5)).toBe(0);
  });

  it('never moves its edges, whatever values arrive', () => {
    const features = [
      { name: 'a', metric: 'a', range: [0, 1] as [number, number], bins: 4 },
      { name: 'b', builtin: 'code_size' as const, range: [100, 200] as [number, number], bins: 2 },
    ];
    const archive = new Archive(features, 0, 'maximize');
    const before = features.map((f) => binEdges(f.range, f.bins));
    const keys = [
      [0.1, 150],
      [5, 10_000],
      [-3, 0],
      [0.6, 199],
    ].map((v) => {
      const { cell } = archive.slotFor(v);
      archive.put(elite(archive.size + 1, 1, cell));
      return cell;
    });
    expect(keys).toEqual(['0,1', '3,1', '0,0', '2,1']);
    expect(features.map((f) => binEdges(f.range, f.bins))).toEqual(before);
    expect(before[0]).toEqual([0, 0.25, 0.5, 0.75, 1]);
    // The same value lands in the same cell after the archive has seen extremes.
    expect(cellKey(features, [0.1, 150])).toBe('0,1');
  });

  it('without features keeps the best K: a free slot while there is one, then the worst elite is the one to beat', () => {
    const archive = new Archive([], 2, 'minimize');
    const first = archive.slotFor([]);
    expect(first.occupant).toBeUndefined();
    archive.put(elite(1, 5, first.cell));
    archive.put(elite(2, 3, archive.slotFor([]).cell));
    const full = archive.slotFor([]);
    expect(full.occupant?.id).toBe(1); // minimize: 5 is the worst
    expect(archive.best()?.id).toBe(2);
  });
});
