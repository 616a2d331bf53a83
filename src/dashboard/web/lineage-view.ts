// The candidate tree (d3-hierarchy layout, drawn as SVG): depth left to right, the
// champion's path highlighted, click a node to open it. The server trims very bushy
// parents to their best children and says how many it left out.
import { stratify, tree, type HierarchyPointNode } from 'd3-hierarchy';
import { fmtScore } from './format.js';
import { html, useLive } from './live.js';
import type { LineageNode as Node } from '../api.js';

const ROW = 22;
const COL = 110;

export function LineageView({ tick }: { tick: number }) {
  const { data, error } = useLive<{ nodes: Node[]; championPath: number[]; total: number }>('lineage', {}, tick);
  if (error && !data) return html`<div class="error">${error}</div>`;
  if (!data) return html`<div class="loading">loading…</div>`;
  if (data.nodes.length === 0) return html`<p class="muted">no candidates yet</p>`;
  const roots = data.nodes.filter((n) => n.parentId === null);
  // Several roots (e.g. a second baseline) hang under one invisible root.
  const rows: Node[] =
    roots.length === 1
      ? data.nodes
      : [
          { id: -1, parentId: null, parents: [], status: 'root', score: null, operator: '', hidden: 0 },
          ...data.nodes.map((n) => (n.parentId === null ? { ...n, parentId: -1 } : n)),
        ];
  const root = stratify<Node>()
    .id((n) => String(n.id))
    .parentId((n) => (n.parentId === null ? null : String(n.parentId)))(rows);
  const laid = tree<Node>().nodeSize([ROW, COL])(root);
  const all = laid.descendants().filter((n) => n.data.id !== -1);
  const minX = Math.min(...all.map((n) => n.x));
  const maxX = Math.max(...all.map((n) => n.x));
  const maxY = Math.max(...all.map((n) => n.y));
  const onPath = new Set(data.championPath);
  const pos = (n: HierarchyPointNode<Node>) => [n.y + 30, n.x - minX + 20];
  const links = laid.links().filter((l) => l.source.data.id !== -1);
  // A multi-parent candidate (merge, crossover) also gets a dashed edge from each further parent shown.
  const byId = new Map(all.map((n) => [n.data.id, n]));
  const extra = all.flatMap((n) => (n.data.parents ?? []).slice(1).flatMap((p) => (byId.has(p) ? [{ source: byId.get(p)!, target: n }] : [])));
  return html`<section class="panel lineage">
    <h3>
      Lineage
      <span class="muted"
        >(${data.nodes.length.toLocaleString('en-US')} of ${data.total.toLocaleString('en-US')} candidates shown; champion path in bold; click to open)</span
      >
    </h3>
    <div class="lineage-scroll">
      <svg data-testid="lineage" width=${maxY + 30 + 160} height=${maxX - minX + 40}>
        ${links.map((l) => {
          const [x1, y1] = pos(l.source);
          const [x2, y2] = pos(l.target);
          const champ = onPath.has(l.source.data.id) && onPath.has(l.target.data.id);
          return html`<path class=${champ ? 'link champ' : 'link'} d=${`M${x1},${y1}C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`} />`;
        })}
        ${extra.map((l) => {
          const [x1, y1] = pos(l.source);
          const [x2, y2] = pos(l.target);
          return html`<path class="link second" data-testid="second-parent" d=${`M${x1},${y1}C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`} />`;
        })}
        ${all.map((n) => {
          const [x, y] = pos(n);
          const d = n.data;
          return html`<g
            class=${`node st-${d.status}${onPath.has(d.id) ? ' champ' : ''}`}
            transform=${`translate(${x},${y})`}
            data-id=${d.id}
            onClick=${() => (location.hash = `#/candidate/${d.id}`)}
          >
            <title>#${d.id} ${d.status} ${fmtScore(d.score)} (${d.operator})</title>
            <circle r=${onPath.has(d.id) ? 6 : 4} />
            <text x="9" dy="0.32em">#${d.id} ${d.score !== null ? fmtScore(d.score) : d.status}${d.hidden ? ` · +${d.hidden} more` : ''}</text>
          </g>`;
        })}
      </svg>
    </div>
  </section>`;
}
