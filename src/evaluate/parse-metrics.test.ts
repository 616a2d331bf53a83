import { describe, it, expect } from 'vitest';
import { parseMetrics, type MetricsChannel } from './parse-metrics.js';

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
const ambiguous = (stdout: string, file?: string, channel?: MetricsChannel) => {
  const parsed = parseMetrics(stdout, file, channel);
  if (!('error' in parsed)) throw new Error(`expected ambiguous-metrics, got ${JSON.stringify(parsed)}`);
  expect(parsed.error.kind).toBe('ambiguous-metrics');
  return parsed.error.message;
};

describe('parseMetrics channels (auto)', () => {
  it('reads every METRIC line; a repeated name with the same value is fine', () => {
    const out = 'compiling\nMETRIC speed=12.5\nnoise METRIC x=1\nMETRIC   size = 3e2\nMETRIC speed=12.5\n';
    expect(ok(out).metrics).toEqual({ speed: 12.5, size: 300 });
  });

  it('takes the report printed last: a JSON line after METRIC lines, or METRIC lines after a JSON line', () => {
    expect(ok('METRIC a=1\n{"b": 1}\nlog line\n{"b": 1, "c": -0.5}\ntrailing text\n').metrics).toEqual({ b: 1, c: -0.5 });
    // Regression: the JSON line used to win wherever it was printed.
    expect(ok('{"b": 2}\nMETRIC a=1\nMETRIC c=3\n').metrics).toEqual({ a: 1, c: 3 });
  });

  it('skips JSON lines that carry no number (a test runner event)', () => {
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

describe('parseMetrics ambiguous reports', () => {
  it('fails when two METRIC lines disagree, naming the metric, both values and the fix', () => {
    const message = ambiguous('METRIC speed=12.5\nMETRIC speed=13\n');
    expect(message).toContain('metric "speed"');
    expect(message).toMatch(/12\.5 \(METRIC line 1 of stdout\) and 13 \(METRIC line 2 of stdout\)/);
    expect(message).toContain('metrics: file');
  });

  it('fails when a JSON line and a METRIC line disagree (an echoed candidate line cannot outvote the verifier)', () => {
    expect(ambiguous('{"score": 1000}\nMETRIC score=10\n')).toMatch(/"score".*1000 \(JSON line 1 of stdout\) and 10 \(METRIC line 2/);
    expect(ambiguous('METRIC score=10\n{"score": 1000}\n')).toContain('"score"');
    expect(ambiguous('{"score": 1}\n{"score": 2}\n')).toContain('"score"');
  });

  it('fails when the file and stdout disagree in auto mode', () => {
    expect(ambiguous('{"score": 10}\n', '{"score": 1000}')).toMatch(/1000 \(the \$EVOLOOP_METRICS file\) and 10 \(JSON line 1/);
  });

  it('accepts the same value reported by several channels', () => {
    expect(ok('{"score": 10}\nMETRIC score=1e1\n', '{"score": 10, "x": 1}').metrics).toEqual({ score: 10, x: 1 });
  });
});

describe('parseMetrics with a chosen channel', () => {
  const out = '{"score": 1000, "size": 5}\nMETRIC score=10\n';

  it('file: reads only the file; stdout, however loud, is not a report', () => {
    expect(parseMetrics(out, '{"score": 7}', 'file')).toEqual({ metrics: { score: 7 } });
    expect(parseMetrics(out, '', 'file')).toEqual({ metrics: {} });
    expect(parseMetrics(out, undefined, 'file')).toEqual({ metrics: {} });
  });

  it('lines: reads only METRIC lines, ignoring JSON lines and the file', () => {
    expect(parseMetrics(out, '{"score": 7}', 'lines')).toEqual({ metrics: { score: 10 } });
    expect(parseMetrics('{"score": null}\nMETRIC score=10\n', undefined, 'lines')).toEqual({ metrics: { score: 10 } });
  });

  it('json: reads only JSON lines, merging them when they agree', () => {
    expect(parseMetrics(out, '{"score": 7}', 'json')).toEqual({ metrics: { score: 1000, size: 5 } });
    expect(parseMetrics('{"a": 1}\n{"a": 1, "b": 2}\n', undefined, 'json')).toEqual({ metrics: { a: 1, b: 2 } });
  });

  it('any duplicate with a different value within the chosen channel is ambiguous', () => {
    expect(ambiguous('METRIC score=10\nMETRIC score=1000\n', undefined, 'lines')).toContain('"score"');
    expect(ambiguous('{"score": 10}\n{"score": 1000}\n', undefined, 'json')).toContain('"score"');
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

  it('rejects a number too large for a double (1e999 reads as Infinity), naming the metric', () => {
    expect(bad('{"score": 1e999}')).toMatch(/metric "score" in JSON line 1 of stdout is too large for a number \(a value such as 1e999 reads as Infinity\)/);
    expect(bad('', '{"score": -1e999}')).toMatch(/"score" in the \$EVOLOOP_METRICS file .*-Infinity/);
  });

  it('names a number reported as a string when nothing else is a metric, and ignores it beside real metrics', () => {
    expect(ok('{"score": "-1.5"}')).toEqual({ metrics: {}, quoted: [{ key: 'score', text: '-1.5', where: 'JSON line 1 of stdout' }] });
    expect(ok('', '{"score": "2e3"}').quoted).toEqual([{ key: 'score', text: '2e3', where: 'the $EVOLOOP_METRICS file' }]);
    expect(ok('{"score": 3, "version": "1.2"}')).toEqual({ metrics: { score: 3 } });
    expect(ok('{"name": "run-1"}')).toEqual({ metrics: {} });
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
