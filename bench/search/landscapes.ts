// Synthetic landscapes over a genome x in [0, 1]^8, written one coordinate per line (so a
// line-wise merge can combine two lineages that changed different coordinates). All maximize.

export const DIM = 8;

export interface Landscape {
  name: string;
  /** What makes it easy or deceptive. */
  about: string;
  /** The base program's genome. */
  base: number[];
  value(x: number[]): number;
  /** The best value there is. */
  max: number;
  /**
   * What the landscape's verifier reports besides the value, and the islands declare as
   * MAP-Elites features: a behaviour a user of such a problem knows how to measure, never the
   * value itself. None: each island keeps its best K.
   */
  behaviour?: { about: string; metrics: (x: number[]) => Record<string, number> };
}

const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
/** A coordinate's progress from its start (0.3) towards the top: 1 at 0.9 and above; below the start it is negative, as far as it fell. */
const progress = (t: number) => Math.min(1, (t - 0.3) / 0.6);

/**
 * The rugged landscape's block: the highest of four Gaussian peaks (a max-set of Gaussians,
 * Gallagher and Yuan's landscape generator). The start (0.5, 0.5) is on the plain between them,
 * so the first steps that happen to pay off decide which peak a hill climber ends on; once
 * there, moving one coordinate alone (a step, or a resample) never reaches a higher peak's
 * basin, since each peak's coordinates are at least 0.2 from every other's.
 */
const PEAKS = [
  { at: [0.15, 0.35], height: 0.6 },
  { at: [0.65, 0.1], height: 0.7 },
  { at: [0.35, 0.9], height: 0.8 },
  { at: [0.9, 0.65], height: 1 },
];
const PEAK_WIDTH = 0.15;
const peaks = (u: number, v: number) => Math.max(...PEAKS.map((p) => p.height * Math.exp(-((u - p.at[0]) ** 2 + (v - p.at[1]) ** 2) / (2 * PEAK_WIDTH ** 2))));

export const LANDSCAPES: Landscape[] = [
  {
    name: 'easy',
    about: 'one smooth peak at 0.7 in every coordinate',
    base: Array(DIM).fill(0.3),
    value: (x) => 1 - 2 * mean(x.map((t) => (t - 0.7) ** 2)),
    max: 1,
  },
  {
    name: 'separable',
    about:
      'two components (coordinates 0-3 and 4-7); climbing one makes the other a valley (moving its coordinates either way costs) until both are high, then a bonus',
    base: Array(DIM).fill(0.3),
    value: (x) => {
      const a = x.slice(0, 4).map(progress);
      const b = x.slice(4).map(progress);
      const both = mean(a) > 0.8 && mean(b) > 0.8;
      const [high, low] = mean(a) >= mean(b) ? [a, b] : [b, a];
      return Math.max(0, mean(high)) + (both ? 1.5 : -0.5 * mean(low.map(Math.abs)));
    },
    max: 2.5,
    behaviour: {
      about: 'the progress of each component (a verifier that scores two groups of tests)',
      metrics: (x) => ({ a: Math.max(0, mean(x.slice(0, 4).map(progress))), b: Math.max(0, mean(x.slice(4).map(progress))) }),
    },
  },
  {
    name: 'rugged',
    about:
      'four blocks (coordinates 0-1, 2-3, 4-5, 6-7), each four peaks (heights 0.6, 0.7, 0.8, 1) on a low plain; basins 0.15 wide (wider than a step) and no two peaks share a coordinate, so leaving a peak takes a jump of both coordinates at once',
    base: Array(DIM).fill(0.5),
    value: (x) => mean([0, 2, 4, 6].map((i) => peaks(x[i], x[i + 1]))),
    max: 1,
  },
  {
    name: 'needle',
    about: 'a slope towards 0 everywhere, and a needle (+1) where x0 and x1 are both above 0.85',
    base: Array(DIM).fill(0.5),
    value: (x) => 0.5 * (1 - mean(x)) + (x[0] > 0.85 && x[1] > 0.85 ? 1 : 0),
    max: 1.5,
    behaviour: {
      about: 'where the program ends up on two axes, x0 and x1 (as a maze robot reports its final position)',
      metrics: (x) => ({ x0: x[0], x1: x[1] }),
    },
  },
];

export function genomeText(x: number[]): string {
  return `${x.map((t) => t.toFixed(3)).join('\n')}\n`;
}

export function parseGenome(text: string): number[] {
  return text.trim().split('\n').map(Number);
}
