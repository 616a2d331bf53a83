// The audit as the other commands see it: saved in the problem's store, and compared by
// verifier digest with a run's verifier (status: never audited, or changed since).
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { findConfigFile } from '../config/load.js';
import type { FileSet } from '../core/types.js';
import { verifierDigest } from '../evaluate/backend.js';
import { protectedBy } from '../propose/edit-rules.js';
import { openStore, type RunRecord, type Store } from '../store/store.js';
import { git, repoInfo } from '../workspace/git.js';
import type { AuditReport } from './report.js';

export function saveAudit(problemDir: string, report: AuditReport): void {
  const store = openStore(problemDir);
  try {
    store.audits.save({ baseCommit: report.baseCommit, verifierDigest: report.verifierDigest, probes: report.probes, letThrough: report.letThrough, report });
  } finally {
    store.close();
  }
}

/** The digest of the verifier a run measures with (its config's verifier and its base's protected files). */
export async function runVerifierDigest(problemDir: string, run: RunRecord): Promise<string> {
  const config = JSON.parse(run.configJson) as Config;
  let configFile: string | undefined;
  try {
    configFile = path.relative(problemDir, findConfigFile(problemDir));
  } catch {
    configFile = undefined; // a library run with a config object
  }
  const rules = { edit: config.edit, protect: config.protect, alwaysProtected: configFile ? [configFile] : [] };
  const repo = await repoInfo(problemDir);
  const prefix = repo.prefix ? `${repo.prefix}/` : '';
  const listed = await git(repo.root, ['ls-tree', '-r', '--name-only', '-z', run.baseCommit, '--', repo.prefix || '.']);
  const files: FileSet = {};
  for (const f of listed.stdout.split('\0').filter(Boolean)) {
    const p = f.slice(prefix.length);
    if (protectedBy(p, rules) === undefined) continue;
    files[p] = (await git(repo.root, ['cat-file', 'blob', `${run.baseCommit}:${f}`])).stdout;
  }
  return verifierDigest(files, config.verifier);
}

/** One line for status: whether the run's verifier was audited, with what result. */
export async function auditLine(store: Store, run: RunRecord, problemDir: string): Promise<string> {
  const last = store.audits.last<AuditReport>();
  if (!last) return 'audit: the verifier has never been audited. Run `evoloop audit` to probe it for cheats it would let through.';
  const digest = await runVerifierDigest(problemDir, run).catch(() => undefined);
  const audited = digest === undefined ? undefined : store.audits.lastFor<AuditReport>(digest);
  if (!audited) return `audit: the verifier changed since its last audit (${new Date(last.createdAt).toISOString()}). Run \`evoloop audit\` again.`;
  const when = new Date(audited.createdAt).toISOString();
  return audited.letThrough > 0
    ? `!! audit (${when}): ${audited.letThrough} probe(s) LET THROUGH: ${audited.report.results
        .filter((r) => r.outcome === 'let-through')
        .map((r) => r.name)
        .join(', ')} (evoloop audit for the fixes)`
    : `audit (${when}): nothing let through (${audited.report.results.length} probes)`;
}

/** The report's "Verifier audit" section: whether the run's verifier was audited, and every probe it let through with its fix. */
export async function auditNotes(store: Store, run: RunRecord): Promise<string[]> {
  const notes = [(await auditLine(store, run, run.problemDir)).replace(/^(!! )?audit/, (m) => m.replace('audit', 'Audit'))];
  const last = store.audits.last<AuditReport>();
  for (const r of last?.report.results.filter((x) => x.outcome === 'let-through') ?? []) notes.push(`LET THROUGH ${r.name}: ${r.reason}. Fix: ${r.fix ?? ''}`);
  return notes;
}

/** The dashboard's audit panel: the status line and the last audit's counts and let-through probes. */
export async function auditPanel(store: Store, run: RunRecord) {
  const last = store.audits.last<AuditReport>();
  const count = (o: string) => last?.report.results.filter((r) => r.outcome === o).length ?? 0;
  return {
    line: await auditLine(store, run, run.problemDir),
    last: last
      ? {
          createdAt: last.createdAt,
          probes: last.report.results.length,
          contained: count('contained'),
          detected: count('detected'),
          letThrough: last.report.results.filter((r) => r.outcome === 'let-through').map((r) => ({ name: r.name, reason: r.reason, fix: r.fix ?? '' })),
        }
      : null,
  };
}
