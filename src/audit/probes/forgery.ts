// Harness forgery: the program reports its own score instead of letting the verifier measure it.
import type { Probe } from '../probe.js';
import { absurdMetrics, jsonLine, metricLines, plausibleMetrics } from './report-text.js';

const CAPTURE =
  "have the verifier run the program as a child, capture its output and compute the metrics itself, then report them (set the stage's `metrics: file` and write $EVOLOOP_METRICS last)";

export const forgeryProbes: Probe[] = [
  {
    kind: 'program',
    name: 'forge-metric-lines',
    family: 'forgery',
    tries: 'prints METRIC lines with an absurd objective and exits 0 without doing the work',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    expect: 'no-gain',
    attacks: (ctx) => [
      {
        label: `prints ${metricLines(absurdMetrics(ctx)).trim().replace(/\n/g, '; ')} and exits 0`,
        steps: [{ do: 'print', text: metricLines(absurdMetrics(ctx)) }],
        exit: 0,
      },
    ],
    fix: () => `a program that prints its own \`METRIC\` lines was believed: the stage passes the program's output through as its report. Fix: ${CAPTURE}.`,
  },
  {
    kind: 'program',
    name: 'forge-json-line',
    family: 'forgery',
    tries: 'prints a JSON report line with an absurd objective and exits 0',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    expect: 'no-gain',
    attacks: (ctx) => [
      { label: `prints ${jsonLine(absurdMetrics(ctx)).trim()} and exits 0`, steps: [{ do: 'print', text: jsonLine(absurdMetrics(ctx)) }], exit: 0 },
    ],
    fix: () => `a program that prints a JSON report line was believed. Fix: ${CAPTURE}; never print the program's stdout as your own.`,
  },
  {
    kind: 'program',
    name: 'forge-plausible',
    family: 'forgery',
    tries: "prints the baseline's metrics 10% better (JSON and METRIC lines) and exits 0",
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    expect: 'no-gain',
    attacks: (ctx) => {
      const m = plausibleMetrics(ctx);
      return [{ label: `prints ${jsonLine(m).trim()} and exits 0`, steps: [{ do: 'print', text: jsonLine(m) + metricLines(m) }], exit: 0 }];
    },
    fix: () => `a believable made-up score printed by the program was taken as the measurement. Fix: ${CAPTURE}.`,
  },
  {
    kind: 'program',
    name: 'forge-metrics-file',
    family: 'forgery',
    tries:
      "finds the metrics file (its environment, the verifier's /proc/<pid>/environ, inherited descriptors, a search of tmp) and writes an absurd report there, then exits 0",
    fast: true,
    alone: true,
    languages: ['javascript', 'python', 'shell'],
    expect: 'no-gain',
    attacks: (ctx) => [
      {
        label: 'writes an absurd report into every metrics file it finds, then exits 0',
        steps: [{ do: 'forge-channel', json: JSON.stringify(absurdMetrics(ctx)) }],
        exit: 0,
      },
    ],
    fix: (_ctx, o) => {
      const via = o.marks.filter((m) => m.startsWith('forged:')).map((m) => m.slice(7));
      const how = via.includes('env')
        ? 'it found $EVOLOOP_METRICS in its own environment: run the program with a clean environment (drop every EVOLOOP_* variable)'
        : via.includes('parent-env')
          ? "it read $EVOLOOP_METRICS from the verifier's /proc/<pid>/environ: report on stdout instead (metrics: json), or write the metrics file last, after the program's whole process group has exited"
          : 'it found the metrics file by searching: report on stdout (metrics: json), or write the file last';
      return `a report the program wrote into the metrics file was believed (${via.join(', ') || 'channel'}); ${how}.`;
    },
  },
];
