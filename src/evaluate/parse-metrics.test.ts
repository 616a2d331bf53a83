import { describe, it, expect } from 'vitest';
import { parseMetrics } from './parse-metrics.js';

const ok = (stdout: string, file?: string) => {
  const parsed = parseMetrics(stdout, file);
  if ('error' in parsed) throw new Error(`unexpected error: ${parsed.error.message}`);
  return parsed;
};
const bad = (stdout: string, file?: string) => {
  const parsed = parseMetrics(stdout, file);
  if (!('error' in parsed)) throw new Error(`expected bad-metrics, got ${JSON.stringify(parsed)}`);
  expect(parsed.error.kind).toBe('bad-metrics');
  return parsed.error.message;
};

describe('parseMetrics channels', () => {
  it('reads every METRIC line, the last value of a repeated name winning', () => {
    const out = 'compiling\nMETRIC speed=12.5\nnoise METRIC x=1\nMETRIC   size = 3e2\nMETRIC speed=13\n';
    expect(ok(out).metrics).toEqual({ speed: 13, size: 300 });
  });

  it('prefers the last JSON object line of stdout over METRIC lines', () => {
    const out = 'METRIC a=1\n{"b": 1}\nlog line\n{"b": 2, "c": -0.5}\ntrailing text\n';
    expect(ok(out).metrics).toEqual({ b: 2, c: -0.5 });
  });

  it('skips JSON lines that carry no number (a test runner event) and falls back', () => {
    expect(ok('METRIC a=1\n{"event": "done", "ok": true}\n').metrics).toEqual({ a: 1 });
    expect(ok('{"score": 3}\n{"event": "done"}\n').metrics).toEqual({ score: 3 });
  });

  it('prefers a non-empty metrics file over stdout, and ignores an empty one', () => {
    expect(ok('{"b": 2}\nMETRIC a=1\n', '{"f": 7}\n').metrics).toEqual({ f: 7 });
    expect(ok('{"b": 2}\n', '  \n').metrics).toEqual({ b: 2 });
    expect(ok('METRIC a=1\n', '').metrics).toEqual({ a: 1 });
  });

  it('ignores strings, booleans, arrays and nested objects', () => {
    const parsed = ok('{"score": 1, "status": "ok", "passed": true, "list": [1], "nested": {"x": 1}}');
    expect(parsed.metrics).toEqual({ score: 1 });
  });

  it('returns no metrics when nothing was reported', () => {
    expect(ok('hello\n{not json}\n')).toEqual({ metrics: {} });
    expect(ok('')).toEqual({ metrics: {} });
  });
});

describe('parseMetrics feedback', () => {
  it('takes a feedback string from the JSON object', () => {
    expect(ok('{"score": 1, "feedback": "try a smaller step"}')).toEqual({ metrics: { score: 1 }, feedback: 'try a smaller step' });
  });

  it('takes FEEDBACK lines, joined, when the JSON object has none', () => {
    const out = 'FEEDBACK first hint\nMETRIC a=1\nFEEDBACK second hint\n';
    expect(ok(out)).toEqual({ metrics: { a: 1 }, feedback: 'first hint\nsecond hint' });
  });

  it('lets the JSON feedback win over FEEDBACK lines', () => {
    expect(ok('FEEDBACK line\n', '{"x": 1, "feedback": "file"}').feedback).toBe('file');
  });
});

describe('parseMetrics bad metrics', () => {
  it('rejects METRIC lines whose value is not a finite number, naming the metric', () => {
    expect(bad('METRIC speed=nan\n')).toContain('"speed"');
    expect(bad('METRIC speed=inf\n')).toContain('not a finite number');
    expect(bad('METRIC speed=fast\n')).toContain('"speed"');
  });

  it('rejects null (JSON.stringify of NaN) and NaN/Infinity spelled as strings', () => {
    expect(bad('{"score": null}')).toContain('"score"');
    expect(bad('{"score": "NaN"}')).toContain('"score"');
    expect(bad('{"a": 1, "score": "-Infinity"}')).toContain('"score"');
  });

  it("recognizes Python's bare NaN / Infinity tokens in a JSON line", () => {
    expect(bad('{"a": 1.5, "score": NaN}')).toContain('"score"');
    expect(bad('{"score": -Infinity, "a": 2}')).toContain('"score"');
  });

  it('rejects a metrics file that is not a JSON object', () => {
    expect(bad('', 'score=1')).toContain('$EVOLOOP_METRICS');
    expect(bad('{"a": 1}', '[1, 2]')).toContain('not a JSON object');
    expect(bad('', '{"x": NaN}')).toContain('"x"');
  });
});
