// The forged reports probes print or plant: every metric the objective needs, with an
// absurd value (far better than any real one) or a plausible one (the baseline's, 10% better).
import type { ProbeContext } from '../probe.js';

export function absurdMetrics(ctx: ProbeContext): Record<string, number> {
  return Object.fromEntries(ctx.objectiveMetrics.map((m) => [m, ctx.goal === 'maximize' ? 1e300 : -1e300]));
}

export function plausibleMetrics(ctx: ProbeContext): Record<string, number> {
  const better = ctx.goal === 'maximize' ? 1.1 : 0.9;
  return Object.fromEntries(ctx.objectiveMetrics.map((m) => [m, (ctx.baseline.metrics[m] ?? 1) * better]));
}

export const metricLines = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, v]) => `METRIC ${k}=${v}\n`)
    .join('');

export const jsonLine = (m: Record<string, number>) => `${JSON.stringify(m)}\n`;

/** A stand-in for a verifier file in its own language: prints the report and exits 0. */
export function forgedVerifier(file: string, m: Record<string, number>): string | undefined {
  const text = `${jsonLine(m)}${metricLines(m)}`;
  if (/\.py$/.test(file)) return `import sys\nsys.stdout.write(${JSON.stringify(text)})\nsys.exit(0)\n`;
  if (/\.(m|c)?[jt]s$/.test(file)) return `process.stdout.write(${JSON.stringify(text)});\nprocess.exit(0);\n`;
  if (/\.(sh|bash)$/.test(file)) return `#!/bin/sh\nprintf '%s' '${text.replace(/'/g, '')}'\nexit 0\n`;
  return undefined;
}
