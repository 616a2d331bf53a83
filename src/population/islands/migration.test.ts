// Migration plans: the best `rate` of each island to the next on the ring; copies and the
// baseline are never migrated; a restart copies the best island's elites to the stagnant one.
import { describe, expect, it } from 'vitest';
import { Archive, type Elite } from './archive.js';
import { migrationMoves, restartMoves } from './migration.js';

function islands(scores: number[][], operator = (id: number) => (id % 10 === 9 ? 'migrate' : 'tune')): Archive[] {
  return scores.map((list, island) => {
    const a = new Archive([], 10, 'maximize');
    list.forEach((score, i) => {
      const id = island * 100 + i * 10 + (i === 0 ? 9 : 1); // the first of each island is a copy
      a.put({ id, score, cell: `elite-${i}`, files: {}, commitSha: '', samples: [score], island, operator: operator(id), description: '', metrics: null });
    });
    return a;
  });
}

const notCopy = (e: Elite) => e.operator !== 'migrate';
const noneSent = () => false;

describe('migration', () => {
  it('copies the best `rate` non-copies of each island to its ring neighbour', () => {
    const archives = islands([
      [9, 5, 4],
      [8, 7, 1],
      [3, 2, 6],
    ]);
    const moves = migrationMoves(archives, 1, 1, notCopy, noneSent);
    expect(moves.map((m) => [m.from, m.to, m.elite.score])).toEqual([
      [0, 1, 5],
      [1, 2, 7],
      [2, 0, 6],
    ]);
    expect(migrationMoves(archives, 2, 2, notCopy, noneSent)).toHaveLength(6);
    expect(migrationMoves([archives[0]], 1, 1, () => true, noneSent)).toEqual([]);
  });

  it('does not send an elite to a neighbour it was already sent to, nor the next best in its place', () => {
    const archives = islands([
      [9, 5, 4],
      [8, 7, 1],
    ]);
    // Island 0's best non-copy (5, id 11) already went to island 1.
    const moves = migrationMoves(archives, 1, 2, notCopy, (e, to) => e.id === 11 && to === 1);
    expect(moves.map((m) => [m.from, m.to, m.elite.score])).toEqual([[1, 0, 7]]);
  });

  it('re-seeds a stagnant island from the best island, and not the best island itself', () => {
    const archives = islands([[1, 2], [8, 7], [3]], () => 'tune');
    expect(restartMoves(archives, 0, 'maximize', () => true).map((m) => [m.from, m.to, m.elite.score])).toEqual([
      [1, 0, 8],
      [1, 0, 7],
    ]);
    expect(restartMoves(archives, 1, 'maximize', () => true)).toEqual([]);
  });
});
