// The packing as an SVG picture, for evoloop's artifacts (dashboard, report): the unit
// square, every circle, and its tight contacts in red (a line between the centres of two
// touching circles, a tick where a circle touches a wall).
const SIZE = 400;
const PAD = 12;

export function packingSvg(circles, { pairs, walls, sumRadii }) {
  const s = (v) => (PAD + v * SIZE).toFixed(2);
  const flip = (v) => (PAD + (1 - v) * SIZE).toFixed(2);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${SIZE + 2 * PAD} ${SIZE + 2 * PAD + 22}" width="${SIZE + 2 * PAD}" height="${SIZE + 2 * PAD + 22}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<rect x="${PAD}" y="${PAD}" width="${SIZE}" height="${SIZE}" fill="#f7f9fc" stroke="#1d2330" stroke-width="1.5"/>`,
  ];
  for (const [x, y, r] of circles) {
    out.push(`<circle cx="${s(x)}" cy="${flip(y)}" r="${(r * SIZE).toFixed(2)}" fill="#9ecae1" fill-opacity="0.75" stroke="#2456a6" stroke-width="1"/>`);
  }
  for (const [i, j] of pairs) {
    const [a, b] = [circles[i], circles[j]];
    out.push(`<line x1="${s(a[0])}" y1="${flip(a[1])}" x2="${s(b[0])}" y2="${flip(b[1])}" stroke="#d73027" stroke-width="1.5"/>`);
  }
  for (const [i, side] of walls) {
    const [x, y] = circles[i];
    // The point of the wall the circle touches: 0 left, 1 bottom, 2 right, 3 top.
    const [px, py] = [
      [0, y],
      [x, 0],
      [1, y],
      [x, 1],
    ][side];
    out.push(`<circle cx="${s(px)}" cy="${flip(py)}" r="3" fill="#d73027"/>`);
  }
  out.push(
    `<text x="${PAD}" y="${SIZE + 2 * PAD + 14}">sum of radii ${sumRadii.toFixed(6)} · ${circles.length} circles · ${pairs.length + walls.length} tight contacts (red)</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
