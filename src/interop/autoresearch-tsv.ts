// autoresearch's results.tsv, so its analysis notebook reads an evoloop run as it is: a header
// and one row per finished candidate, in order, with the five columns autoresearch's program.md
// prescribes (commit, the metric, memory_gb, status, description), formatted as it writes them.
import type { CandidateRecord } from '../store/store.js';

/** keep = became (or is) the champion; discard = measured and not kept; crash = no valid measurement. */
const STATUS: Record<string, 'keep' | 'discard' | 'crash' | undefined> = {
  baseline: 'keep',
  accepted: 'keep',
  rejected: 'discard',
  duplicate: 'discard',
  failed: 'crash',
  tampered: 'crash',
  invalid: 'crash',
};

export function resultsTsv(candidates: CandidateRecord[], opts: { metric: string; baseCommit: string }): string {
  const lines = [['commit', opts.metric, 'memory_gb', 'status', 'description'].join('\t')];
  for (const c of candidates) {
    const status = STATUS[c.status];
    if (!status) continue; // pending: not finished yet
    const crashed = status === 'crash' || c.score === null;
    const commit = (c.operator === 'baseline' ? opts.baseCommit : (c.commitSha ?? '')).slice(0, 7);
    const description = c.operator === 'baseline' ? 'baseline' : oneLine(c.description) || c.operator;
    lines.push(
      [commit, crashed ? '0.000000' : c.score!.toFixed(6), crashed ? '0.0' : memoryGb(c.metrics).toFixed(1), crashed ? 'crash' : status, description].join(
        '\t',
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** memory_gb as reported, or converted from a peak_vram_mb / memory_mb metric; 0.0 when none. */
function memoryGb(metrics: Record<string, number> | null): number {
  if (!metrics) return 0;
  if (metrics.memory_gb !== undefined) return metrics.memory_gb;
  const mb = metrics.peak_vram_mb ?? metrics.memory_mb;
  return mb === undefined ? 0 : mb / 1024;
}

/**
 * One line, no tab, and no double quote: the notebook's pd.read_csv(sep="\t") (and Python's csv)
 * reads a field that starts with `"` as quoted, which mangles it or swallows the rows after it.
 */
const oneLine = (text: string | null) =>
  (text ?? '')
    .replace(/[\t\r\n]+/g, ' ')
    .replaceAll('"', "'")
    .trim();
