// Score stage: {"sum_radii": ...} for a valid packing (validated again, so this
// stage is trustworthy on its own), with feedback for the proposer.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadPacking } from './circles.mjs';
import { packingSvg } from './draw.mjs';

const CONTACT = 1e-6; // a gap this small counts as touching

const circles = loadPacking();
const radii = circles.map(([, , r]) => r);
const sumRadii = radii.reduce((sum, r) => sum + r, 0);

const pairs = []; // [i, j] of touching circles
for (let i = 0; i < circles.length; i++) {
  for (let j = i + 1; j < circles.length; j++) {
    const [xi, yi, ri] = circles[i];
    const [xj, yj, rj] = circles[j];
    if (Math.hypot(xi - xj, yi - yj) - ri - rj < CONTACT) pairs.push([i, j]);
  }
}
const walls = circles.flatMap(([x, y, r], i) => [x - r, y - r, 1 - x - r, 1 - y - r].flatMap((gap, side) => (gap < CONTACT ? [[i, side]] : []))); // [circle, side]
const circleContacts = pairs.length;
const wallContacts = walls.length;
const smallest = Math.min(...radii);
const tiny = radii.filter((r) => r < 0.05).length;

// A picture of the packing for evoloop's dashboard and report (only when run by evoloop).
if (process.env.EVOLOOP_ARTIFACTS) writeFileSync(path.join(process.env.EVOLOOP_ARTIFACTS, 'packing.svg'), packingSvg(circles, { pairs, walls, sumRadii }));

console.log(
  JSON.stringify({
    sum_radii: sumRadii,
    min_radius: smallest,
    max_radius: Math.max(...radii),
    contacts: circleContacts + wallContacts,
    feedback:
      `sum of radii ${sumRadii.toFixed(6)} (known frontier 2.635); radii from ${smallest.toFixed(4)} to ` +
      `${Math.max(...radii).toFixed(4)}, ${tiny} circles under 0.05; tight contacts: ${circleContacts} circle-circle, ` +
      `${wallContacts} circle-wall`,
  }),
);
