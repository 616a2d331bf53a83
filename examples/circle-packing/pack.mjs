// Pack 26 disjoint circles in the unit square [0,1]x[0,1], maximizing the sum of
// their radii. `node pack.mjs` prints the circles as JSON: [[x, y, r], ...].
//
// Construction: five horizontal rows of centres (5, 5, 6, 5, 5 circles), each row
// spread evenly between its two ends, symmetric about x = 0.5. Radii then follow
// from the centres by a deterministic, always-feasible procedure (feasibleRadii).

const ROW_COUNTS = [5, 5, 6, 5, 5]; // 26 circles; the verifier requires exactly 26

// EVOLVE-BLOCK-START
// Height of each row's centres, bottom to top.
const ROW_Y = [
  0.15, // evoloop: 0..1
  0.325, // evoloop: 0..1
  0.5, // evoloop: 0..1
  0.675, // evoloop: 0..1
  0.85, // evoloop: 0..1
];
// Distance of each row's first and last centre from the left and right walls
// (rows are symmetric about x = 0.5).
const ROW_INSET = [
  0.15, // evoloop: 0..0.5
  0.15, // evoloop: 0..0.5
  0.15, // evoloop: 0..0.5
  0.15, // evoloop: 0..0.5
  0.15, // evoloop: 0..0.5
];
// EVOLVE-BLOCK-END

/** Centres [x, y] of all circles, row by row. */
function centres() {
  const points = [];
  ROW_COUNTS.forEach((count, row) => {
    const inset = ROW_INSET[row];
    for (let k = 0; k < count; k++) {
      const x = count === 1 ? 0.5 : inset + ((1 - 2 * inset) * k) / (count - 1);
      points.push([x, ROW_Y[row]]);
    }
  });
  return points;
}

/**
 * Radii that never overlap and never leave the square, for any centres:
 * start from each circle's distance to the nearest wall, shrink every
 * overlapping pair proportionally until it just touches, then let each circle
 * grow into whatever slack its neighbours and the walls leave it.
 */
function feasibleRadii(points) {
  const n = points.length;
  const dist = (i, j) => Math.hypot(points[i][0] - points[j][0], points[i][1] - points[j][1]);
  const wall = points.map(([x, y]) => Math.max(0, Math.min(x, y, 1 - x, 1 - y)));
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
  return r;
}

const points = centres();
const radii = feasibleRadii(points);
console.log(JSON.stringify(points.map(([x, y], i) => [x, y, radii[i]])));
