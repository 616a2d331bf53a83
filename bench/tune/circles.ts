// The circle-packing examples' parameterizations as in-process objectives for bench/tune,
// so the optimizers can be compared on them with many seeds; the sum of radii, as the
// examples' verifier scores it.
// - examples/circle-packing/pack.mjs: five rows of centres, their heights and insets; radii
//   by its always-feasible rule.
// - examples/circle-packing-lp/pack.mjs: all 26 centres; the radii with the largest sum for
//   them, a linear program solved by HiGHS (the same formulation and repair).
import loadHighs from 'highs';
import type { Knob } from '../../test/support/literal-problem.js';

const ROW_COUNTS = [5, 5, 6, 5, 5];

export const CIRCLE_KNOBS: Knob[] = [
  ...['0.15', '0.325', '0.5', '0.675', '0.85'].map((value) => ({ value, hint: '0..1' })),
  ...Array.from({ length: 5 }, () => ({ value: '0.15', hint: '0..0.5' })),
];

/** Distances between centres and from each centre to the nearest wall. */
function geometry(points: number[][]) {
  const dist = (i: number, j: number) => Math.hypot(points[i][0] - points[j][0], points[i][1] - points[j][1]);
  return { n: points.length, dist, wall: points.map(([a, b]) => Math.max(0, Math.min(a, b, 1 - a, 1 - b))) };
}

/** Shrinks every overlapping pair proportionally until it just touches (both examples' feasibility step). */
function shrinkOverlaps(r: number[], dist: (i: number, j: number) => number): void {
  for (let i = 0; i < r.length; i++) {
    for (let j = i + 1; j < r.length; j++) {
      const d = dist(i, j);
      if (r[i] + r[j] > d) {
        const scale = d / (r[i] + r[j]);
        r[i] *= scale;
        r[j] *= scale;
      }
    }
  }
}

/** Sum of radii for row heights x[0..4] and insets x[5..9]. */
export function sumOfRadii(x: number[]): number {
  const points: [number, number][] = [];
  ROW_COUNTS.forEach((count, row) => {
    const inset = x[5 + row];
    for (let k = 0; k < count; k++) points.push([inset + ((1 - 2 * inset) * k) / (count - 1), x[row]]);
  });
  const { n, dist, wall } = geometry(points);
  const r = wall.slice();
  shrinkOverlaps(r, dist);
  for (let pass = 0; pass < 3; pass++) {
    for (let i = 0; i < n; i++) {
      let slack = wall[i];
      for (let j = 0; j < n; j++) if (j !== i) slack = Math.min(slack, dist(i, j) - r[j]);
      r[i] = Math.max(0, slack);
    }
  }
  return r.reduce((a, v) => a + v, 0);
}

/** The 52 centre coordinates of examples/circle-packing-lp's start (the row layout's baseline centres). */
export const LP_KNOBS: Knob[] = ROW_COUNTS.flatMap((count, row) =>
  Array.from({ length: count }, (_, k) => [
    { value: String(Number((0.15 + (0.7 * k) / (count - 1)).toFixed(4))), hint: '0..1' },
    { value: String([0.15, 0.325, 0.5, 0.675, 0.85][row]), hint: '0..1' },
  ]).flat(),
);

const highs = await loadHighs();

/** Sum of the optimal radii for centres (x[2i], x[2i+1]). */
export function lpSumOfRadii(x: number[]): number {
  const points = Array.from({ length: x.length / 2 }, (_, i) => [x[2 * i], x[2 * i + 1]]);
  const { n, dist, wall } = geometry(points);
  const pairs: string[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push(` p${i}_${j}: r${i} + r${j} <= ${dist(i, j)}`);
  const lp = [
    'Maximize',
    ` obj: ${points.map((_, i) => `r${i}`).join(' + ')}`,
    'Subject To',
    ...pairs,
    'Bounds',
    ...wall.map((w, i) => ` 0 <= r${i} <= ${w}`),
    'End',
  ];
  const solution = highs.solve(lp.join('\n'), { output_flag: false, primal_feasibility_tolerance: 1e-10 });
  if (solution.Status !== 'Optimal') throw new Error(`the radius LP ended ${solution.Status}`);
  const r = points.map((_, i) => Math.max(0, Math.min((solution.Columns[`r${i}`] as { Primal: number }).Primal, wall[i])));
  shrinkOverlaps(r, dist);
  return r.reduce((a, v) => a + v, 0);
}
