// The report's pictures of what the programs produced: the baseline's and the champion's
// main images side by side, and every champion's in the order they won. Markdown links to
// copies written beside it (artifacts/<id>-<name>); HTML carries them as data: URLs in <img>,
// where an SVG written by candidate code runs no script.
import { mainImage } from '../core/artifact-types.js';
import type { RunRecord, Store } from '../store/store.js';
import { escapeXml } from './svg-chart.js';

export interface ReportImage {
  candidateId: number;
  score: number | null;
  name: string;
  mediaType: string;
  bytes: Buffer;
  /** Where the Markdown report finds its copy, relative to it. */
  file: string;
}

export interface ReportImages {
  baseline: ReportImage | null;
  champion: ReportImage | null;
  /** The baseline and every accepted champion that has an image, in the order they finished. */
  strip: ReportImage[];
}

/** At most this many champions in the strip (the first and the latest kept). */
const MAX_STRIP = 24;

export function reportImages(store: Store, run: RunRecord): ReportImages {
  const image = (candidateId: number | null): ReportImage | null => {
    if (candidateId === null) return null;
    const a = mainImage(store.artifacts.list(candidateId));
    const bytes = a && store.artifacts.read(a);
    if (!a || !bytes) return null;
    const base = (a.name.split('/').pop() ?? 'image').replace(/[^A-Za-z0-9._-]/g, '_');
    return { candidateId, score: store.queries.score(candidateId), name: a.name, mediaType: a.mediaType, bytes, file: `artifacts/${candidateId}-${base}` };
  };
  const all = store.queries
    .champions(run.id)
    .map((c) => image(c.id))
    .filter((x): x is ReportImage => x !== null);
  const strip = all.length > MAX_STRIP ? [all[0], ...all.slice(-(MAX_STRIP - 1))] : all;
  return { baseline: image(run.baselineId), champion: run.championId !== run.baselineId ? image(run.championId) : null, strip };
}

const label = (i: ReportImage) => `#${i.candidateId} (${i.score === null ? '—' : Number(i.score.toPrecision(6))})`;
const mdImage = (i: ReportImage) => `![candidate ${i.candidateId}: ${i.name.replace(/[[\]]/g, '')}](${i.file})`;

export function imagesMarkdown(d: ReportImages): string[] {
  if (!d.baseline && !d.champion && d.strip.length === 0) return [];
  const out = ['## What the programs produced', ''];
  const pair = [d.baseline && (['baseline', d.baseline] as const), d.champion && (['champion', d.champion] as const)].filter((x) => !!x);
  if (pair.length) {
    out.push(
      `| ${pair.map(([k, i]) => `${k} ${label(i)}`).join(' | ')} |`,
      `|${pair.map(() => '---|').join('')}`,
      `| ${pair.map(([, i]) => mdImage(i)).join(' | ')} |`,
      '',
    );
  }
  if (d.strip.length > 1) {
    out.push('Champions in the order they won:', '', `| ${d.strip.map(label).join(' | ')} |`, `|${d.strip.map(() => '---|').join('')}`);
    out.push(`| ${d.strip.map(mdImage).join(' | ')} |`, '');
  }
  return out;
}

export function imagesHtml(d: ReportImages): string {
  if (!d.baseline && !d.champion && d.strip.length === 0) return '';
  const img = (i: ReportImage, cls: string) =>
    `<figure class="${cls}"><img src="data:${escapeXml(i.mediaType)};base64,${i.bytes.toString('base64')}" alt="${escapeXml(`candidate ${i.candidateId}: ${i.name}`)}"><figcaption>${escapeXml(label(i))}</figcaption></figure>`;
  const pair = [d.baseline && img(d.baseline, 'main'), d.champion && img(d.champion, 'main')].filter(Boolean).join('');
  const strip = d.strip.length > 1 ? `<p>Champions in the order they won:</p><div class="strip">${d.strip.map((i) => img(i, 'thumb')).join('')}</div>` : '';
  return `<h2>What the programs produced</h2><div class="pair">${pair}</div>${strip}`;
}
