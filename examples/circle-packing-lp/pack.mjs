// Pack 26 disjoint circles in the unit square [0,1]x[0,1], maximizing the sum of
// their radii. `node pack.mjs` prints the circles as JSON: [[x, y, r], ...].
//
// The centres are the program's numbers (below); the radii follow from them exactly:
// for fixed centres the best radii are a linear program, solved by HiGHS (the `highs`
// npm package). So every change to a centre is scored by the best packing it allows.
import loadHighs from 'highs';

// EVOLVE-BLOCK-START
// Centre [x, y] of each circle. The start: five rows of 5, 5, 6, 5 and 5 circles, as in
// examples/circle-packing's baseline.
const CENTRES = [
  [0.15, 0.15], // evoloop: 0..1
  [0.325, 0.15], // evoloop: 0..1
  [0.5, 0.15], // evoloop: 0..1
  [0.675, 0.15], // evoloop: 0..1
  [0.85, 0.15], // evoloop: 0..1
  [0.15, 0.325], // evoloop: 0..1
  [0.325, 0.325], // evoloop: 0..1
  [0.5, 0.325], // evoloop: 0..1
  [0.675, 0.325], // evoloop: 0..1
  [0.85, 0.325], // evoloop: 0..1
  [0.15, 0.5], // evoloop: 0..1
  [0.29, 0.5], // evoloop: 0..1
  [0.43, 0.5], // evoloop: 0..1
  [0.57, 0.5], // evoloop: 0..1
  [0.71, 0.5], // evoloop: 0..1
  [0.85, 0.5], // evoloop: 0..1
  [0.15, 0.675], // evoloop: 0..1
  [0.325, 0.675], // evoloop: 0..1
  [0.5, 0.675], // evoloop: 0..1
  [0.675, 0.675], // evoloop: 0..1
  [0.85, 0.675], // evoloop: 0..1
  [0.15, 0.85], // evoloop: 0..1
  [0.325, 0.85], // evoloop: 0..1
  [0.5, 0.85], // evoloop: 0..1
  [0.675, 0.85], // evoloop: 0..1
  [0.85, 0.85], // evoloop: 0..1
];
// EVOLVE-BLOCK-END

/**
 * The radii with the largest sum for these centres: maximize Σ r_i subject to
 * r_i + r_j ≤ d_ij for every pair and 0 ≤ r_i ≤ the distance from centre i to the
 * nearest wall.
 */
async function optimalRadii(points) {
  const n = points.length;
  const dist = (i, j) => Math.hypot(points[i][0] - points[j][0], points[i][1] - points[j][1]);
  const wall = points.map(([x, y]) => Math.max(0, Math.min(x, y, 1 - x, 1 - y)));
  const name = (i) => `r${i}`;
  const pairs = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push(` p${i}_${j}: ${name(i)} + ${name(j)} <= ${dist(i, j)}`);
  const lp = [
    'Maximize',
    ` obj: ${points.map((_, i) => name(i)).join(' + ')}`,
    'Subject To',
    ...pairs,
    'Bounds',
    ...wall.map((w, i) => ` 0 <= ${name(i)} <= ${w}`),
    'End',
  ].join('\n');
  const highs = await loadHighs();
  const solution = highs.solve(lp, { output_flag: false, primal_feasibility_tolerance: 1e-10 });
  if (solution.Status !== 'Optimal') throw new Error(`the radius LP ended ${solution.Status}`);
  return points.map((_, i) => solution.Columns[name(i)].Primal);
}

/** The solver's radii made exactly feasible (it meets constraints to its tolerance, the verifier to 1e-9). */
function feasible(points, radii) {
  const r = radii.map((v, i) => {
    const [x, y] = points[i];
    return Math.max(0, Math.min(v, x, y, 1 - x, 1 - y));
  });
  for (let i = 0; i < r.length; i++) {
    for (let j = i + 1; j < r.length; j++) {
      const d = Math.hypot(points[i][0] - points[j][0], points[i][1] - points[j][1]);
      if (r[i] + r[j] > d) {
        const scale = d / (r[i] + r[j]);
        r[i] *= scale;
        r[j] *= scale;
      }
    }
  }
  return r;
}

const radii = feasible(CENTRES, await optimalRadii(CENTRES));
console.log(JSON.stringify(CENTRES.map(([x, y], i) => [x, y, radii[i]])));
