// `--probes all|fast|<names>`: which probes an audit runs.
import { UsageError } from '../core/errors.js';
import type { Probe } from './probe.js';
import { PROBES } from './probes/index.js';

export function selectProbes(spec: string): Probe[] {
  if (spec === 'all') return PROBES;
  if (spec === 'fast') return PROBES.filter((p) => p.fast);
  const names = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = new Map(PROBES.map((p) => [p.name, p]));
  const families = new Set(PROBES.map((p) => p.family));
  const out: Probe[] = [];
  for (const name of names) {
    if (families.has(name as Probe['family'])) out.push(...PROBES.filter((p) => p.family === name));
    else if (known.has(name)) out.push(known.get(name)!);
    else {
      const near = [...known.keys(), ...families].filter((k) => k.includes(name) || name.includes(k) || k.split('-')[0] === name.split('-')[0]);
      throw new UsageError(
        `--probes: no probe "${name}"${near.length ? ` (did you mean ${near.slice(0, 3).join(', ')}?)` : ''}. Fix: give all, fast, a family (${[...families].join(', ')}) or probe names separated by commas.`,
      );
    }
  }
  if (out.length === 0) throw new UsageError('--probes: no probe named. Fix: give all, fast, or probe names separated by commas.');
  return [...new Set(out)];
}
