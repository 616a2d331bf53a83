// Reads what a verifier stage reported. The stage's `metrics` key picks the channel:
//   file   only the $EVOLOOP_METRICS file (a JSON object); stdout is never read for metrics
//   json   only stdout lines that are a JSON object with at least one number
//   lines  only `METRIC name=value` lines of stdout
//   auto   (default) the file when it was written, else the report printed last: the
//          last JSON-object line, or the METRIC lines when one of them comes after it
// A metric reported twice with different values — in the chosen channel, or (auto) in any
// two of them — is `ambiguous-metrics`: output of the candidate that the verifier echoes
// must never be able to outvote the verifier, so disagreement fails instead of picking one.
// Finite numbers are metrics; a `feedback` string (or `FEEDBACK text` lines) is
// feedback; other values (strings, booleans, arrays, objects) are ignored (a number written as
// a string, "-1.5", is named when the stage reports no metric otherwise). A value
// that is clearly a broken number (null, NaN, Infinity, "nan", "inf") is an error,
// because silently dropping it would turn a bug in the verifier into a missing metric.
import type { Metrics } from '../core/types.js';

import type { MetricsChannel } from '../core/stage-defaults.js';

export { METRICS_CHANNELS, type MetricsChannel } from '../core/stage-defaults.js';

export interface QuotedNumber {
  key: string;
  text: string;
  where: string;
}

/** `quoted`: numbers reported as strings ("score": "-1.5"), named when nothing else was a metric. */
export type ParsedMetrics =
  { metrics: Metrics; feedback?: string; quoted?: QuotedNumber[] } | { error: { kind: 'bad-metrics' | 'ambiguous-metrics'; message: string } };

/** One report: metrics from one place (the file, one JSON line, one METRIC line). */
interface Report {
  metrics: Metrics;
  feedback?: string;
  where: string;
  form: 'file' | 'json' | 'lines';
}

const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const METRIC_LINE = /^METRIC\s+([^\s=]+)\s*=\s*(\S+)\s*$/;
const FEEDBACK_LINE = /^FEEDBACK\s(.*)$/;

export function parseMetrics(stdout: string, metricsFileText: string | undefined, channel: MetricsChannel = 'auto'): ParsedMetrics {
  const lines = stdout.split(/\r?\n/);
  const feedbackLines = lines.flatMap((l) => FEEDBACK_LINE.exec(l)?.[1] ?? []);
  const lineFeedback = feedbackLines.length ? feedbackLines.join('\n') : undefined;

  const reports: Report[] = [];
  const quoted: QuotedNumber[] = [];
  try {
    if (channel === 'auto' || channel === 'file') reports.push(...fromFile(metricsFileText, quoted));
    if (channel === 'auto' || channel !== 'file') reports.push(...fromStdout(lines, channel, quoted));
  } catch (err) {
    if (err instanceof BadMetrics) return { error: { kind: 'bad-metrics', message: err.message } };
    throw err;
  }
  const conflict = findConflict(reports);
  if (conflict) return { error: { kind: 'ambiguous-metrics', message: conflict } };

  const chosen = choose(reports);
  const metrics: Metrics = Object.assign({}, ...chosen.map((r) => r.metrics));
  const feedback = chosen.findLast((r) => r.feedback !== undefined)?.feedback ?? lineFeedback;
  const hint = Object.keys(metrics).length === 0 && quoted.length > 0 ? { quoted } : {};
  return feedback === undefined ? { metrics, ...hint } : { metrics, feedback, ...hint };
}

/** Which reports make up the stage's metrics once they are known to agree. */
function choose(reports: Report[]): Report[] {
  const file = reports.filter((r) => r.form === 'file');
  if (file.length > 0) return file; // the file wins where written
  const last = reports.at(-1);
  if (!last) return [];
  // The form printed last wins: METRIC lines count together, a JSON line stands alone.
  return last.form === 'lines' ? reports.filter((r) => r.form === 'lines') : [last];
}

function findConflict(reports: Report[]): string | undefined {
  const first = new Map<string, Report>();
  for (const r of reports) {
    for (const [name, value] of Object.entries(r.metrics)) {
      const earlier = first.get(name);
      if (!earlier) first.set(name, r);
      else if (earlier.metrics[name] !== value) {
        return (
          `metric "${name}" is reported twice with different values: ${earlier.metrics[name]} (${earlier.where}) and ${value} (${r.where}), so neither is trusted. ` +
          `Output of the candidate's program that the verifier passes through can look like a report. ` +
          `Fix: set \`metrics: file\` on this stage and write the result to $EVOLOOP_METRICS only, and keep the program's output off the verifier's stdout.`
        );
      }
    }
  }
  return undefined;
}

class BadMetrics extends Error {}

function fromFile(text: string | undefined, quoted: QuotedNumber[]): Report[] {
  if (text === undefined || text.trim() === '') return [];
  const obj = parseJsonObject(text.trim());
  if (obj === undefined) throw new BadMetrics(`$EVOLOOP_METRICS file is not a JSON object: ${clip(text)}. Write e.g. {"score": 0.93}.`);
  return [{ ...fromObject(obj, 'the $EVOLOOP_METRICS file', quoted), where: 'the $EVOLOOP_METRICS file', form: 'file' }];
}

/** Reports in stdout order, of the forms the channel reads. */
function fromStdout(lines: string[], channel: MetricsChannel, quoted: QuotedNumber[]): Report[] {
  const out: Report[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const where = `line ${i + 1} of stdout`;
    if (channel !== 'lines' && line.startsWith('{') && line.endsWith('}')) {
      const obj = parseJsonObject(line);
      if (obj === undefined) return;
      const report = fromObject(obj, `JSON ${where}`, quoted);
      // A JSON line without numbers (a test runner's event, say) is not a metrics report.
      if (Object.keys(report.metrics).length > 0) out.push({ ...report, where: `JSON ${where}`, form: 'json' });
      return;
    }
    const m = channel !== 'json' ? METRIC_LINE.exec(line) : null;
    if (!m) return;
    const value = Number(m[2]);
    if (!Number.isFinite(value)) {
      throw new BadMetrics(`metric "${m[1]}" is not a finite number in line "${clip(line)}"; print e.g. METRIC ${m[1]}=0.93`);
    }
    out.push({ metrics: { [m[1]]: value }, where: `METRIC ${where}`, form: 'lines' });
  });
  return out;
}

function fromObject(obj: Record<string, unknown>, where: string, quoted: QuotedNumber[]): { metrics: Metrics; feedback?: string } {
  const metrics: Metrics = {};
  let feedback: string | undefined;
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'feedback' && typeof value === 'string') feedback = value;
    else if (typeof value === 'number' && Number.isFinite(value)) metrics[key] = value;
    else if (typeof value === 'number') {
      throw new BadMetrics(
        `metric "${key}" in ${where} is too large for a number (a value such as 1e999 reads as ${value}), not a finite number; report a real number or leave the key out`,
      );
    } else if (typeof value === 'string' && NUMBER_TEXT.test(value.trim())) quoted.push({ key, text: value, where });
    else if (value === null || (typeof value === 'string' && NON_FINITE.test(value.trim()))) {
      throw new BadMetrics(
        `metric "${key}" in ${where} is ${JSON.stringify(value)}, not a finite number (NaN or Infinity is serialized like this); report a real number or leave the key out`,
      );
    }
  }
  return feedback === undefined ? { metrics } : { metrics, feedback };
}

/** JSON.parse, also recognizing Python's `NaN`/`Infinity` tokens (as strings) so they can be reported. */
function parseJsonObject(text: string): Record<string, unknown> | undefined {
  for (const candidate of [text, text.replace(/:\s*(-?Infinity|NaN)\s*(?=[,}])/g, ': "$1"')]) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
      return undefined;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

function clip(text: string, max = 200): string {
  const t = text.trim();
  return t.length <= max ? t : `${t.slice(0, max)}…`;
}
