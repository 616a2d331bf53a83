// The champions' main images in the order they won, under the progress chart: the packing
// (the tour, the plot) getting better over the run. Each links to its candidate.
import type { ArtifactInfo } from '../../core/artifact-types.js';
import { artifactUrl } from './artifacts-view.js';
import { fmtDuration, fmtScore } from './format.js';
import { html, useLive } from './live.js';

interface ChampionImage {
  id: number;
  t: number;
  score: number;
  image: ArtifactInfo | null;
}

export function ChampionStrip({ tick }: { tick: number }) {
  const { data } = useLive<ChampionImage[]>('champion-images', {}, tick);
  const shown = (data ?? []).filter((c) => c.image);
  if (shown.length === 0) return null;
  return html`<div class="panel strip" data-testid="champion-strip">
    <h3>Champions <span class="muted">(each one's main image, in the order they won)</span></h3>
    <div class="strip-row">
      ${shown.map(
        (c) =>
          html`<a class="strip-item" href=${`#/candidate/${c.id}`} data-testid="strip-item" data-id=${c.id}>
            <img src=${artifactUrl(c.image!)} alt=${`candidate ${c.id}: ${c.image!.name}`} loading="lazy" />
            <span>#${c.id} · ${fmtScore(c.score)} · ${fmtDuration(c.t)}</span>
          </a>`,
      )}
    </div>
  </div>`;
}
