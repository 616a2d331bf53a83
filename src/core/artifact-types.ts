// What evoloop makes of a file a stage wrote to $EVOLOOP_ARTIFACTS, by its extension:
// images are shown (as <img> only), text is shown in a viewer, anything else is offered
// for download. Shared by the evaluator, the store, the dashboard, the report and prompts.

export type ArtifactType = 'image' | 'text' | 'file';

/** An artifact as every view lists it. */
export interface ArtifactInfo {
  id: number;
  candidateId: number;
  epoch: number;
  stage: string;
  kind: 'gate' | 'score' | 'holdout';
  repeat: number;
  /** Its path inside $EVOLOOP_ARTIFACTS, `/` separated. */
  name: string;
  type: ArtifactType;
  mediaType: string;
  size: number;
  /** sha256 of the content; null when it was dropped (see note). */
  hash: string | null;
  /** Why it was not kept (over a cap, not a regular file). */
  note: string | null;
}

const BY_EXTENSION: Record<string, { type: ArtifactType; mediaType: string }> = {
  '.png': { type: 'image', mediaType: 'image/png' },
  '.svg': { type: 'image', mediaType: 'image/svg+xml' },
  '.jpg': { type: 'image', mediaType: 'image/jpeg' },
  '.jpeg': { type: 'image', mediaType: 'image/jpeg' },
  '.txt': { type: 'text', mediaType: 'text/plain; charset=utf-8' },
  '.log': { type: 'text', mediaType: 'text/plain; charset=utf-8' },
  '.md': { type: 'text', mediaType: 'text/markdown; charset=utf-8' },
  '.json': { type: 'text', mediaType: 'application/json' },
};

export function artifactType(name: string): { type: ArtifactType; mediaType: string } {
  const dot = name.lastIndexOf('.');
  const ext = dot > name.lastIndexOf('/') ? name.slice(dot).toLowerCase() : '';
  return BY_EXTENSION[ext] ?? { type: 'file', mediaType: 'application/octet-stream' };
}

/** The image a candidate is pictured by (the report's and the dashboard's strips): its first image, by stage run and then name. */
export function mainImage<T extends Pick<ArtifactInfo, 'type' | 'hash' | 'epoch'>>(artifacts: T[]): T | undefined {
  return artifacts.find((a) => a.type === 'image' && a.hash !== null && a.epoch === 0) ?? artifacts.find((a) => a.type === 'image' && a.hash !== null);
}

export function fmtBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}
