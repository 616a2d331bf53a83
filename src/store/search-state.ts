// What a search strategy keeps beyond its candidate rows, so that resume restores it exactly:
// the islands strategy's archives (which confirmed elite holds each cell of each island) and
// small named values (migration rounds done). Reached as `store.search`; every write is
// committed when the call returns.
import type Database from 'better-sqlite3';

export interface CellRow {
  island: number;
  /** The cell's key (the feature bins joined, e.g. "3,1"; "elite-2" for a best-K archive). */
  cell: string;
  candidateId: number;
}

export class SearchState {
  private readonly stmts;

  constructor(
    db: Database.Database,
    private readonly willWrite: () => void,
  ) {
    this.stmts = {
      cellScores: db.prepare(
        'SELECT ic.island, ic.cell, ic.candidate_id AS candidateId, c.score FROM island_cells ic JOIN candidates c ON c.id = ic.candidate_id WHERE ic.run_id = ? ORDER BY ic.island, ic.cell',
      ),
      cells: db.prepare('SELECT island, cell, candidate_id AS candidateId FROM island_cells WHERE run_id = ? ORDER BY island, cell'),
      setCell: db.prepare(
        'INSERT INTO island_cells(run_id, island, cell, candidate_id) VALUES (?, ?, ?, ?) ON CONFLICT(run_id, island, cell) DO UPDATE SET candidate_id = excluded.candidate_id',
      ),
      clearIsland: db.prepare('DELETE FROM island_cells WHERE run_id = ? AND island = ?'),
      get: db.prepare('SELECT value_json FROM search_state WHERE run_id = ? AND key = ?').pluck(),
      set: db.prepare(
        'INSERT INTO search_state(run_id, key, value_json) VALUES (?, ?, ?) ON CONFLICT(run_id, key) DO UPDATE SET value_json = excluded.value_json',
      ),
    };
  }

  /** Every occupied cell of every island of a run. */
  cells(runId: string): CellRow[] {
    return this.stmts.cells.all(runId) as CellRow[];
  }

  /** Every occupied cell with its elite's score (status, dashboard). */
  cellScores(runId: string): (CellRow & { score: number | null })[] {
    return this.stmts.cellScores.all(runId) as (CellRow & { score: number | null })[];
  }

  /** Puts a candidate into a cell, replacing its occupant. */
  setCell(runId: string, island: number, cell: string, candidateId: number): void {
    this.willWrite();
    this.stmts.setCell.run(runId, island, cell, candidateId);
  }

  /** Empties an island's archive (a restart re-seeds it). */
  clearIsland(runId: string, island: number): void {
    this.willWrite();
    this.stmts.clearIsland.run(runId, island);
  }

  get<T>(runId: string, key: string): T | undefined {
    const v = this.stmts.get.get(runId, key) as string | undefined;
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  set(runId: string, key: string, value: unknown): void {
    this.willWrite();
    this.stmts.set.run(runId, key, JSON.stringify(value));
  }
}
