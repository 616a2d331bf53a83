// The audit's result as commands print it and the store keeps it.
import type { Family, Outcome } from './probe.js';

export interface ProbeResult {
  name: string;
  family: Family;
  fast: boolean;
  tries: string;
  outcome: Outcome;
  reason: string;
  fix?: string;
  ms: number;
}

export interface AuditReport {
  problemDir: string;
  baseCommit: string;
  /** The verifier audited (evaluate/backend.ts verifierDigest): a run whose digest differs runs an unaudited verifier. */
  verifierDigest: string;
  probes: string;
  sandbox: string;
  baseline: { score: number; samples: number[] };
  startedAt: number;
  ms: number;
  letThrough: number;
  results: ProbeResult[];
}

const LABEL: Record<Outcome, string> = { contained: 'contained', detected: 'detected', 'let-through': 'LET THROUGH', skipped: 'skipped' };

/** One line per probe; a LET THROUGH also gets its fix on the next line. */
export function probeLine(r: ProbeResult): string {
  const head = `${LABEL[r.outcome].padEnd(11)} ${r.name.padEnd(22)} ${r.reason}`;
  return r.outcome === 'let-through' && r.fix ? `${head}\n${' '.repeat(12)}fix: ${r.fix}` : head;
}

export function summaryLine(a: Pick<AuditReport, 'results' | 'letThrough' | 'ms'>): string {
  const count = (o: Outcome) => a.results.filter((r) => r.outcome === o).length;
  return `${a.results.length} probes in ${(a.ms / 1000).toFixed(1)} s: ${count('contained')} contained, ${count('detected')} detected, ${a.letThrough} LET THROUGH, ${count('skipped')} skipped`;
}
