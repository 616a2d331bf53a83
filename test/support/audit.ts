// The audit tests' fixtures (test/fixtures/audit/): each copied into a throwaway repository and
// audited in process (the CLI is spawned only by tests of the CLI itself), removed after the file.
import path from 'node:path';
import { afterAll } from 'vitest';
import { audit } from '../../src/audit/runner.js';
import type { AuditReport, ProbeResult } from '../../src/audit/report.js';
import { createProblem, PROJECT_ROOT, type Problem } from './problem.js';

export const AUDIT_FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'audit');

export interface FixtureAudit {
  p: Problem;
  report: AuditReport;
  by: Record<string, ProbeResult>;
}

/** Call once per test file: fixtures it copies are removed after the file. */
export function auditFixtures() {
  const made: Problem[] = [];
  afterAll(() => made.forEach((p) => p.cleanup()));
  const problem = (name: string, files: Record<string, string> = {}) => {
    const p = createProblem({ from: path.join(AUDIT_FIXTURES, name), sub: 'problem', files });
    made.push(p);
    return p;
  };
  return {
    problem,
    /** Audits a copy of fixture `name` with these probes (names, families or `fast`). */
    async audit(name: string, probes: string[], files: Record<string, string> = {}): Promise<FixtureAudit> {
      const p = problem(name, files);
      const report = await audit({ problemDir: p.dir, probes: probes.join(',') });
      return { p, report, by: Object.fromEntries(report.results.map((r) => [r.name, r])) };
    },
  };
}

/** "name: reason" for an expect message, so a failing outcome says why. */
export const why = (r: ProbeResult | undefined) => (r ? `${r.name}: ${r.reason}` : 'probe did not run');
