// What every read command needs: the problem folder's store and the run it asks about.
import { InvalidArgumentError } from 'commander';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { notWritable } from '../store/access.js';
import { hasStore, openStore, storePath, type CandidateRecord, type RunRecord, type Store } from '../store/store.js';

export interface ReadContext {
  store: Store;
  run: RunRecord;
  problemDir: string;
}

export function openRun(problemDir: string | undefined, runId: string | undefined): ReadContext {
  const { store, dir } = openProblemStore(problemDir);
  const run = runId ? store.getRun(runId) : store.latestRun();
  if (!run) {
    const known = store.listRuns().map((r) => r.id);
    store.close();
    throw new UsageError(runId ? `no run ${runId}. Known runs: ${known.join(', ') || 'none'}.` : `no run recorded yet in ${dir}. Fix: \`evoloop run\` first.`);
  }
  return { store, run, problemDir: dir };
}

/** The problem folder's store, read-only when evoloop may not write it (a command that writes then says why it cannot). */
export function openProblemStore(problemDir: string | undefined): { store: Store; dir: string } {
  const dir = path.resolve(problemDir ?? '.');
  if (!hasStore(dir)) {
    throw new UsageError(`no evoloop run in ${dir} (no .evoloop/evoloop.db). Fix: start one with \`evoloop run ${problemDir ?? '.'}\`.`);
  }
  return { store: openStore(dir, { readonly: notWritable(storePath(dir)) !== undefined }), dir };
}

/** `best`, `baseline` or a candidate id. */
export function resolveCandidate(ctx: ReadContext, ref: string): CandidateRecord {
  const id = ref === 'best' ? ctx.run.championId : ref === 'baseline' ? ctx.run.baselineId : /^\d+$/.test(ref) ? Number(ref) : NaN;
  if (Number.isNaN(id)) throw new UsageError(`"${ref}" is not a candidate. Fix: give a candidate id (see \`evoloop ls\`), \`best\` or \`baseline\`.`);
  const c = id === null ? undefined : ctx.store.getCandidate(id);
  if (!c) throw new UsageError(`no candidate ${ref} in run ${ctx.run.id}. Fix: see \`evoloop ls\` for ids.`);
  return c;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function fmtScore(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.001 ? v.toPrecision(6) : Number(v.toPrecision(6)).toString();
}

export function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Commander parser for options that take a positive integer. */
export function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** Commander parser for options that take a count (0 or more). */
export function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return n;
}
