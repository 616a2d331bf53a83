// One island's archive. With features it is a MAP-Elites grid: bin edges are fixed from each
// feature's declared range when the run starts and never move; a value outside the range
// lands in the edge bin. Without features it keeps the island's best K. Each cell holds one
// confirmed elite; who enters is decided by racing (islands.ts), not here.
import type { FeatureConfig } from '../../config/search-schema.js';
import type { Metrics } from '../../core/types.js';
import type { Incumbent } from '../racing.js';

export interface Elite extends Incumbent {
  island: number;
  cell: string;
  operator: string;
  description: string;
  metrics: Metrics | null;
}

/** The bin of a value: equal-width bins over [lo, hi]; below lo → 0, at or above hi → bins − 1. */
export function binOf(value: number, range: readonly [number, number], bins: number): number {
  const [lo, hi] = range;
  if (!(value > lo)) return 0; // also NaN
  const i = Math.floor(((value - lo) / (hi - lo)) * bins);
  return Math.min(bins - 1, Math.max(0, i));
}

/** The fixed bin edges of a feature (bins + 1 numbers), for views. */
export function binEdges(range: readonly [number, number], bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => range[0] + ((range[1] - range[0]) * i) / bins);
}

export function cellKey(features: FeatureConfig[], values: number[]): string {
  return features.map((f, i) => binOf(values[i], f.range, f.bins)).join(',');
}

export class Archive {
  private readonly cells = new Map<string, Elite>();

  constructor(
    private readonly features: FeatureConfig[],
    /** With no features: the number of elites kept. */
    private readonly capacity: number,
    private readonly goal: 'maximize' | 'minimize',
  ) {}

  /** The cell a candidate with these feature values competes for, and its occupant (none: a free cell). */
  slotFor(values: number[]): { cell: string; occupant?: Elite } {
    if (this.features.length > 0) {
      const cell = cellKey(this.features, values);
      return { cell, occupant: this.cells.get(cell) };
    }
    if (this.cells.size < this.capacity) {
      for (let i = 0; ; i++) if (!this.cells.has(`elite-${i}`)) return { cell: `elite-${i}` };
    }
    const worst = this.elites().at(-1)!;
    return { cell: worst.cell, occupant: worst };
  }

  get(cell: string): Elite | undefined {
    return this.cells.get(cell);
  }

  put(elite: Elite): void {
    this.cells.set(elite.cell, elite);
  }

  clear(): void {
    this.cells.clear();
  }

  get size(): number {
    return this.cells.size;
  }

  /** Best first (ties: older first). */
  elites(): Elite[] {
    const sign = this.goal === 'maximize' ? -1 : 1;
    return [...this.cells.values()].sort((a, b) => sign * (a.score - b.score) || a.id - b.id);
  }

  best(): Elite | undefined {
    return this.elites()[0];
  }
}
