// Reads what a verifier stage reported. Channels, first that has something wins:
//   1. the $EVOLOOP_METRICS file, when non-empty (a JSON object)
//   2. the last stdout line that is a JSON object with at least one number
//   3. every `METRIC name=value` line of stdout
// Finite numbers are metrics; a `feedback` string (or `FEEDBACK text` lines) is
// feedback; other values (strings, booleans, arrays, objects) are ignored. A value
// that is clearly a broken number (null, NaN, Infinity, "nan", "inf") is an error,
// because silently dropping it would turn a bug in the verifier into a missing metric.
import type { Metrics } from '../core/types.js';

export type ParsedMetrics =
  | { metrics: Metrics; feedback?: string }
  | { error: { kind: 'bad-metrics'; message: string } };

type Parsed = { metrics: Metrics; feedback?: string; error?: string };

const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;
const METRIC_LINE = /^METRIC\s+([^\s=]+)\s*=\s*(\S+)\s*$/;
const FEEDBACK_LINE = /^FEEDBACK\s(.*)$/;

export function parseMetrics(stdout: string, metricsFileText: string | undefined): ParsedMetrics {
  const lines = stdout.split(/\r?\n/);
  const feedbackLines = lines.flatMap((l) => FEEDBACK_LINE.exec(l)?.[1] ?? []);
  const lineFeedback = feedbackLines.length ? feedbackLines.join('\n') : undefined;

  const parsed = fromFile(metricsFileText) ?? fromLastJsonLine(lines) ?? fromMetricLines(lines);
  if (parsed.error) return { error: { kind: 'bad-metrics', message: parsed.error } };
  const feedback = parsed.feedback ?? lineFeedback;
  return feedback === undefined ? { metrics: parsed.metrics } : { metrics: parsed.metrics, feedback };
}

function fromFile(text: string | undefined): Parsed | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const obj = parseJsonObject(text.trim());
  if (obj === undefined) {
    return { metrics: {}, error: `$EVOLOOP_METRICS file is not a JSON object: ${clip(text)}. Write e.g. {"score": 0.93}.` };
  }
  return fromObject(obj, '$EVOLOOP_METRICS file');
}

function fromLastJsonLine(lines: string[]): Parsed | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line.startsWith('{') || !line.endsWith('}')) continue;
    const obj = parseJsonObject(line);
    if (obj === undefined) continue;
    // A JSON line without numbers (a test runner's event, say) is not a metrics report.
    const parsed = fromObject(obj, 'last JSON line of stdout');
    if (parsed.error || Object.keys(parsed.metrics).length > 0) return parsed;
  }
  return undefined;
}

function fromMetricLines(lines: string[]): Parsed {
  const metrics: Metrics = {};
  for (const line of lines) {
    const m = METRIC_LINE.exec(line.trim());
    if (!m) continue;
    const value = Number(m[2]);
    if (!Number.isFinite(value)) {
      return { metrics, error: `metric "${m[1]}" is not a finite number in line "${clip(line)}"; print e.g. METRIC ${m[1]}=0.93` };
    }
    metrics[m[1]] = value;
  }
  return { metrics };
}

function fromObject(obj: Record<string, unknown>, where: string): Parsed {
  const metrics: Metrics = {};
  let feedback: string | undefined;
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'feedback' && typeof value === 'string') feedback = value;
    else if (typeof value === 'number' && Number.isFinite(value)) metrics[key] = value;
    else if (value === null || (typeof value === 'string' && NON_FINITE.test(value.trim()))) {
      return { metrics, error: `metric "${key}" in the ${where} is ${JSON.stringify(value)}, not a finite number (NaN or Infinity is serialized like this); report a real number or leave the key out` };
    }
  }
  return { metrics, feedback };
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
