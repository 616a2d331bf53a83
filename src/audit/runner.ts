// `evoloop audit`: measure the baseline, then put every selected probe through the real
// pipeline — admission (propose/admission.ts), the local backend with its sandbox, stages
// and integrity checks, and the acceptance rule's race (decide()) — and judge each one.
// Probes are never candidates of a run: they live in a scratch store and worktree pool of
// their own under .evoloop/audit/, replaced by the next audit; their refs are removed at
// the end. Only the report is kept, in the problem's store (store/audits.ts).
import { randomBytes } from 'node:crypto';
import { lstatSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { median } from 'simple-statistics';
import { findConfigFile, loadConfigFile } from '../config/load.js';
import { RunError, UsageError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import type { FileSet } from '../core/types.js';
import { describeFailure, type CandidateSpec } from '../evaluate/backend.js';
import { baseProtectedFiles } from '../evaluate/backends/local.js';
import { backends } from '../evaluate/backends/registry.js';
import type { Measured } from '../evaluate/evaluator.js';
import { sandboxStatus } from '../evaluate/sandbox.js';
import { admission } from '../propose/admission.js';
import { isEditable, protectedBy } from '../propose/edit-rules.js';
import { changeHash } from '../propose/patch-hash.js';
import { Store } from '../store/store.js';
import { Workspace, resolveBase } from '../workspace/workspace.js';
import { MARKS_FILE, probeContext } from './context.js';
import { attackLine, insertLine, LANGUAGES } from './inject.js';
import { judgeObservation, worst } from './judge.js';
import type { Attack, Judgement, Observation, Probe, ProbeContext, ProbeTools, ProgramProbe } from './probe.js';
import { selectProbes } from './select.js';
import { acceptConfig, race } from './race.js';
import type { AuditReport, ProbeResult } from './report.js';

export interface AuditOptions {
  problemDir: string;
  /** `all` (default), `fast`, or probe names. */
  probes?: string;
  onResult?: (r: ProbeResult) => void;
  onProgress?: (line: string) => void;
}

export async function audit(opts: AuditOptions): Promise<AuditReport> {
  const started = Date.now();
  const problemDir = path.resolve(opts.problemDir);
  const configFile = findConfigFile(problemDir);
  const config = loadConfigFile(configFile);
  const probes = selectProbes(opts.probes ?? 'all');
  const rules = { edit: config.edit, protect: config.protect, alwaysProtected: [path.relative(problemDir, configFile)] };
  const sandbox = config.sandbox === 'off' ? { available: false, reason: 'sandbox: off in the config' } : await sandboxStatus();
  if (config.sandbox === 'required' && !sandbox.available) {
    throw new UsageError(`sandbox: required, but bubblewrap cannot be used (${sandbox.reason}). Fix: apt-get install bubblewrap, or set sandbox: auto.`);
  }
  const matters = (p: string) => isEditable(p, rules) || protectedBy(p, rules) !== undefined;
  const { baseCommit, repoRoot } = await resolveBase(problemDir, matters, true);

  const auditDir = path.join(problemDir, '.evoloop', 'audit');
  const scratchFile = path.join(auditDir, 'scratch.db');
  for (const f of [scratchFile, `${scratchFile}-wal`, `${scratchFile}-shm`]) rmSync(f, { force: true });
  const store = new Store(scratchFile);
  const runId = `audit-${randomBytes(4).toString('hex')}`;
  const workspace = await Workspace.open({ problemDir, baseCommit, poolSize: 1, pool: 'audit/worktrees' });
  try {
    const run = store.createRun({
      id: runId,
      problemDir,
      repoRoot,
      baseCommit,
      configJson: '{}',
      configHash: 'audit',
      status: 'running',
      ownerPid: process.pid,
    });
    // The pool has one worktree, so its path is known before a candidate runs: the kit's marks go there, read back before it is reset.
    const wtRoot = path.join(auditDir, 'worktrees', '0');
    const worktree = { root: wtRoot, dir: path.join(wtRoot, workspace.repo.prefix) };
    let marks: string[] = [];
    const pooled = new Proxy(workspace, {
      get(target, prop) {
        if (prop === 'release') {
          return (wt: Parameters<Workspace['release']>[0]) => {
            marks.push(...readMarks(path.join(wt.problemDir, MARKS_FILE)));
            target.release(wt);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const backend = backends.local({
      config,
      runId,
      store,
      workspace: pooled,
      signal: new AbortController().signal,
      protectedFiles: await baseProtectedFiles(workspace, rules),
      dirs: { scratch: 'audit', protected: 'audit' },
    });
    const admit = admission({ store, run, workspace, rules, protectedPaths: backend.protectedPaths });
    const spec = (candidateId: number, files: FileSet, commitSha: string): CandidateSpec => ({
      runId,
      candidateId,
      baseCommit,
      commitSha,
      files,
      verifierDigest: backend.verifierDigest,
    });
    const measure = (s: CandidateSpec, repeats: number): Promise<Measured> => backend.measure(s, { kinds: 'search', repeats });

    // The baseline, measured as a run measures it.
    const accept = acceptConfig(config);
    const scoreRepeats = Math.max(1, ...config.verifier.stages.filter((s) => s.kind === 'score').map((s) => s.repeat));
    const baseRow = store.insertCandidate({
      runId,
      parentId: null,
      status: 'pending',
      operator: 'baseline',
      description: 'the base commit',
      files: {},
      changeHash: changeHash({}),
      patch: '',
    });
    const baseSpec = spec(baseRow.id, {}, baseCommit);
    opts.onProgress?.(`measuring the baseline (${Math.max(accept.baselineRepeats, scoreRepeats)} repeats)`);
    let base = await measure(baseSpec, Math.max(accept.baselineRepeats, scoreRepeats));
    if (!base.ok) {
      throw new RunError(
        `the base commit fails its own verifier (${describeFailure(base.failure)}), so nothing can be audited against it. Fix: make the unmodified program pass every stage, commit, and audit again.`,
      );
    }
    const champion = async (n: number) => {
      if (base.ok && base.samples.length >= n) return base.samples;
      base = await measure(baseSpec, n);
      return base.ok ? base.samples : undefined;
    };
    const baseline = { samples: base.samples, score: median(base.samples), metrics: base.metrics };
    const ctx = await probeContext({ config, rules, workspace, worktree, baseline, sandbox: sandbox.available });

    const raceCandidate = (s: CandidateSpec) =>
      race({
        accept,
        goal: config.objective.goal,
        minRepeats: scoreRepeats,
        champion,
        measure: async (n) => {
          const m = await measure(s, n);
          return m.ok ? m.samples : { kind: m.failure.kind, message: describeFailure(m.failure) };
        },
      });
    const tools: ProbeTools = {
      store,
      runId,
      problemDir,
      configFile,
      baseFiles: workspace.baseFiles(),
      random: seededRandom(20260101),
      async remeasure() {
        const row = store.insertCandidate({
          runId,
          parentId: baseRow.id,
          status: 'pending',
          operator: 'audit',
          description: 'the unchanged program, again',
          files: {},
          changeHash: 'remeasure',
          patch: '',
        });
        const r = await raceCandidate(spec(row.id, {}, baseCommit));
        return 'failed' in r ? { samples: [], decision: 'failed', reason: r.failed.message } : { samples: r.samples, decision: r.decision, reason: r.reason };
      },
    };

    const runAttack = async (attack: Attack, changes: FileSet, settled?: (marks: string[]) => boolean): Promise<Observation> => {
      marks = [];
      const parent = { id: baseRow.id, commitSha: baseCommit, files: {} };
      const c = await admit({ parents: [parent], island: null }, 'audit', { changes, description: attack.label, operator: 'audit' });
      if (c.status !== 'pending') return { attack, refused: c.reason ?? c.status, flags: c.flags, marks, candidateId: c.id };
      const cspec = spec(c.id, store.candidateFiles(c), c.commitSha!);
      if (settled) {
        const first = await measure(cspec, 1);
        if (settled(marks)) {
          const obs: Observation = { attack, flags: c.flags, marks: [...new Set(marks)], candidateId: c.id };
          if (!first.ok) return { ...obs, failed: { kind: first.failure.kind, message: describeFailure(first.failure) } };
          return { ...obs, verdict: { decision: 'reject', reason: 'the attack had no effect, so it was not raced', median: median(first.samples) } };
        }
      }
      const r = await raceCandidate(cspec);
      const obs: Observation = { attack, flags: c.flags, marks: [...new Set(marks)], candidateId: c.id };
      if ('failed' in r) return { ...obs, failed: r.failed };
      return { ...obs, verdict: { decision: r.decision, reason: r.reason, median: median(r.samples) } };
    };

    const results: ProbeResult[] = [];
    for (const probe of probes) {
      const t0 = Date.now();
      opts.onProgress?.(`probe ${probe.name}: ${probe.tries}`);
      let j: Judgement;
      try {
        j = await runProbe(probe, ctx, tools, runAttack);
      } catch (err) {
        j = { outcome: 'skipped', reason: `the probe could not run: ${(err as Error).message}` };
      }
      const result: ProbeResult = { name: probe.name, family: probe.family, fast: probe.fast, tries: probe.tries, ...j, ms: Date.now() - t0 };
      results.push(result);
      opts.onResult?.(result);
    }
    store.updateRun(runId, { status: 'finished', ownerPid: null });
    return {
      problemDir,
      baseCommit,
      verifierDigest: backend.verifierDigest,
      probes: opts.probes ?? 'all',
      sandbox: sandbox.available ? 'bubblewrap' : `none (${sandbox.reason ?? 'bubblewrap not found'})`,
      baseline: { score: baseline.score, samples: baseline.samples },
      startedAt: started,
      ms: Date.now() - started,
      letThrough: results.filter((r) => r.outcome === 'let-through').length,
      results,
    };
  } finally {
    store.close();
    // Probe commits were recorded on refs of the scratch run: nothing of them stays in the repository's ref list.
    rmSync(path.join(workspace.repo.commonDir, 'refs', 'evoloop', runId), { recursive: true, force: true });
  }
}

async function runProbe(
  probe: Probe,
  ctx: ProbeContext,
  tools: ProbeTools,
  runAttack: (a: Attack, changes: FileSet, settled?: (marks: string[]) => boolean) => Promise<Observation>,
): Promise<Judgement> {
  const skip = probe.skip?.(ctx);
  if (skip) return { outcome: 'skipped', reason: skip };
  if (probe.kind === 'check') return probe.check(ctx, tools);
  const observations: Observation[] = [];
  for (const attack of probe.attacks(ctx)) {
    const changes = candidateChanges(probe, attack, ctx);
    if (typeof changes === 'string') return { outcome: 'skipped', reason: changes };
    observations.push(await runAttack(attack, changes, probe.settled));
  }
  const injected = probe.attacks(ctx).some((a) => !a.edit);
  if (injected && observations.every((o) => o.refused === undefined && !o.marks.includes('ran'))) {
    return {
      outcome: 'skipped',
      reason: `the attack never ran: the verifier does not run ${ctx.programs.map((p) => p.path).join(', ')} in a way the probe could see`,
    };
  }
  if (probe.needs && observations.every((o) => o.refused === undefined && !o.marks.includes(probe.needs!.mark))) {
    return { outcome: 'skipped', reason: probe.needs.otherwise };
  }
  return (await probe.judge?.(observations, ctx, tools)) ?? worst(observations.map((o) => judgeObservation(probe, ctx, o)));
}

/** The proposal of an attack: its plain edit, or its line put into every editable program of a language the kit speaks. */
function candidateChanges(probe: ProgramProbe, attack: Attack, ctx: ProbeContext): FileSet | string {
  if (attack.edit) return attack.edit(ctx);
  const targets = ctx.programs.filter((p) => p.language !== undefined && probe.languages.includes(p.language));
  if (targets.length === 0) {
    const names = ctx.programs.map((p) => p.path).join(', ') || 'none';
    return `no editable ${LANGUAGES.filter((l) => probe.languages.includes(l)).join(', ')} file to attack (editable: ${names})`;
  }
  const kit = { marker: path.join(ctx.dir, MARKS_FILE), dir: ctx.dir, root: ctx.root, steps: attack.steps ?? [], exit: attack.exit };
  return Object.fromEntries(targets.map((p) => [p.path, insertLine(p.content, p.language!, attackLine(p.language!, kit, attack.transform, p.content))]));
}

/** The marks the kit left (a regular file only: the candidate could have put a link there). */
function readMarks(file: string): string[] {
  if (!lstatSync(file, { throwIfNoEntry: false })?.isFile()) return [];
  try {
    return readFileSync(file, 'utf8').slice(0, 100_000).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
