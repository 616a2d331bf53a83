// Per island, as `status` and the dashboard show it: its best confirmed elite, how many
// candidates it has seen and which cells are occupied (with their elites' scores).
import type { RunRecord, Store } from './store.js';

export interface IslandCell {
  cell: string;
  candidateId: number;
  score: number | null;
}

export interface IslandSummary {
  id: number;
  best: number | null;
  bestCandidate: number | null;
  candidates: number;
  /** Occupied cells. */
  cells: number;
  grid: IslandCell[];
}

/** The run's search strategy, as its recorded config names it. */
export function strategyOf(run: RunRecord): string {
  return (JSON.parse(run.configJson) as { search?: { strategy?: string } }).search?.strategy ?? 'greedy';
}

/** Empty unless the run uses islands. */
export function islandSummaries(store: Store, run: RunRecord): IslandSummary[] {
  if (strategyOf(run) !== 'islands') return [];
  const goal = (JSON.parse(run.configJson) as { objective?: { goal?: string } }).objective?.goal === 'minimize' ? -1 : 1;
  const counts = new Map(store.queries.islands(run.id, goal > 0 ? 'maximize' : 'minimize').map((i) => [i.island, i.candidates]));
  const byIsland = new Map<number, IslandCell[]>();
  for (const { island, cell, candidateId, score } of store.search.cellScores(run.id)) {
    (byIsland.get(island) ?? byIsland.set(island, []).get(island)!).push({ cell, candidateId, score });
  }
  const ids = [...new Set([...byIsland.keys(), ...counts.keys()])].sort((a, b) => a - b);
  return ids.map((id) => {
    const grid = byIsland.get(id) ?? [];
    const best = grid.reduce<IslandCell | undefined>((b, c) => (c.score !== null && (b === undefined || goal * (c.score - b.score!) > 0) ? c : b), undefined);
    return { id, best: best?.score ?? null, bestCandidate: best?.candidateId ?? null, candidates: counts.get(id) ?? 0, cells: grid.length, grid };
  });
}
