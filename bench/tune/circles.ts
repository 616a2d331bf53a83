// The circle-packing example's parameterization (examples/circle-packing/pack.mjs: five
// rows of centres, their heights and insets; radii by its always-feasible rule) as an
// in-process objective for bench/tune, so the optimizers can be compared on it with many
// seeds. The sum of radii, as the example's verifier scores it.
import type { Knob } from '../../test/support/literal-problem.js';

const ROW_COUNTS = [5, 5, 6, 5, 5];

export const CIRCLE_KNOBS: Knob[] = [
  ...['0.15', '0.325', '0.5', '0.675', '0.85'].map((value) => ({ value, hint: '0..1' })),
  ...Array.from({ length: 5 }, () => ({ value: '0.15', hint: '0..0.5' })),
];

/** Sum of radii for row heights x[0..4] and insets x[5..9]. */
export function sumOfRadii(x: number[]): number {
  const points: [number, number][] = [];
  ROW_COUNTS.forEach((count, row) => {
    const inset = x[5 + row];
    for (let k = 0; k < count; k++) points.push([inset + ((1 - 2 * inset) * k) / (count - 1), x[row]]);
  });
  const n = points.length;
  const dist = (i: number, j: number) => Math.hypot(points[i][0] - points[j][0], points[i][1] - points[j][1]);
  const wall = points.map(([a, b]) => Math.max(0, Math.min(a, b, 1 - a, 1 - b)));
  const r = wall.slice();
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = dist(i, j);
      if (r[i] + r[j] > d) {
        const scale = d / (r[i] + r[j]);
        r[i] *= scale;
        r[j] *= scale;
      }
    }
  }
  for (let pass = 0; pass < 3; pass++) {
    for (let i = 0; i < n; i++) {
      let slack = wall[i];
      for (let j = 0; j < n; j++) if (j !== i) slack = Math.min(slack, dist(i, j) - r[j]);
      r[i] = Math.max(0, slack);
    }
  }
  return r.reduce((a, v) => a + v, 0);
}
