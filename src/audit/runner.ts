// `evoloop audit`: measure the baseline, then put every selected probe through the real
// pipeline — admission (propose/admission.ts), the local backend with its sandbox, stages
// and integrity checks, and the acceptance rule's race (decide()) — and judge each one.
// Probes are never candidates of a run: they live in a scratch store and worktree pools of
// their own under .evoloop/audit/, replaced by the next audit; their refs are removed at
// the end. Only the report is kept, in the problem's store (store/audits.ts). Probes run
// side by side in lanes (lanes.ts) when the verifier is deterministic, one by one otherwise.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { median } from 'simple-statistics';
import { findConfigFile, loadConfigFile } from '../config/load.js';
import { RunError, UsageError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import type { FileSet } from '../core/types.js';
import { describeFailure, type CandidateSpec } from '../evaluate/backend.js';
import { baseProtectedFiles } from '../evaluate/backends/local.js';
import { sandboxStatus } from '../evaluate/sandbox.js';
import { verifierModels } from '../evaluate/verifier-models.js';
import type { ModelOptions } from '../operators/select.js';
import { admission } from '../propose/admission.js';
import { isEditable, protectedBy } from '../propose/edit-rules.js';
import { changeHash } from '../propose/patch-hash.js';
import { Store } from '../store/store.js';
import { resolveBase } from '../workspace/run-base.js';
import { Workspace } from '../workspace/workspace.js';
import { RaceDeferred, runProbe, type AttemptDeps, type ProbeOutcome } from './attempt.js';
import { probeContext } from './context.js';
import { openLane, type Lane } from './lanes.js';
import type { ProbeTools } from './probe.js';
import { selectProbes } from './select.js';
import { acceptConfig, race as raceAgainst } from './race.js';
import type { AuditReport, ProbeResult } from './report.js';

/** Lanes: enough to overlap the probes' process start-ups and waits on a small machine. */
const LANES = Math.max(2, Math.min(4, availableParallelism()));

export interface AuditOptions {
  problemDir: string;
  /** `all` (default), `fast`, or probe names. */
  probes?: string;
  onResult?: (r: ProbeResult) => void;
  onProgress?: (line: string) => void;
  /** The verifier's own models (judge, model_run): keys from here, with retries as a run has them. */
  llm?: Pick<ModelOptions, 'env' | 'backoff' | 'pause'>;
  /** Take the secrets out of this process's environment once the verifier's model clients hold them (`evoloop audit`; not `run --audit`, whose run still needs its keys). */
  scrubEnvironment?: boolean;
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
  const runIds = [runId, `${runId}-alone`];
  const workspace = await Workspace.open({ problemDir, baseCommit, poolSize: 1, pool: 'audit/worktrees' });
  try {
    const runRow = (id: string) =>
      store.createRun({ id, problemDir, repoRoot, baseCommit, configJson: '{}', configHash: 'audit', status: 'running', ownerPid: process.pid });
    const run = runRow(runId);
    const models = verifierModels(config, {
      ...opts.llm,
      store,
      runId,
      notice: (line) => opts.onProgress?.(`notice: ${line}`),
      scrub: !!opts.scrubEnvironment,
    });
    const laneDeps = { problemDir, baseCommit, config, runId, store, protectedFiles: await baseProtectedFiles(workspace, rules), ...models };
    const lanes = [await openLane(0, laneDeps)];
    const spec = (candidateId: number, files: FileSet, commitSha: string): CandidateSpec => ({
      runId,
      candidateId,
      baseCommit,
      commitSha,
      files,
      verifierDigest: lanes[0].verifierDigest,
    });

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
    let base = await lanes[0].measure(baseSpec, Math.max(accept.baselineRepeats, scoreRepeats));
    if (!base.ok) {
      throw new RunError(
        `the base commit fails its own verifier (${describeFailure(base.failure)}), so nothing can be audited against it. Fix: make the unmodified program pass every stage, commit, and audit again.`,
      );
    }
    // Re-measurements of the baseline one at a time, whichever lane's race asks (each repeat is recorded once).
    let remeasuring = Promise.resolve<number[] | undefined>(undefined);
    const champion = (n: number) =>
      (remeasuring = remeasuring.then(async () => {
        if (base.ok && base.samples.length >= n) return base.samples;
        base = await lanes[0].measure(baseSpec, n);
        return base.ok ? base.samples : undefined;
      }));
    const baseline = { samples: base.samples, score: median(base.samples), metrics: base.metrics };
    const ctx = await probeContext({ config, rules, workspace, worktree: lanes[0].worktree, baseline, sandbox: sandbox.available });

    // Lanes measure probes side by side. A verdict taken there must not depend on the load: a failure, a refusal or an
    // attack without effect does not, nor does the score of a verifier whose baseline samples all agree; a race on a
    // noisy verifier does, so there it is deferred (race below) until the probe runs alone.
    const deterministic = baseline.samples.every((v) => v === baseline.samples[0]);
    const width = Math.min(probes.length, Math.max(config.search.parallel, LANES));
    while (lanes.length < width) lanes.push(await openLane(lanes.length, laneDeps));

    // A race beside other lanes would time a noisy verifier under their load: there it is deferred, and the probe tried again alone.
    const race = (alone: boolean) => (s: CandidateSpec, lane: Lane) => {
      if (!alone && !deterministic) throw new RaceDeferred();
      return raceAgainst({
        accept,
        goal: config.objective.goal,
        minRepeats: scoreRepeats,
        champion,
        measure: async (n) => {
          const m = await lane.measure(s, n);
          return m.ok ? m.samples : { kind: m.failure.kind, message: describeFailure(m.failure) };
        },
      });
    };
    const toolsFor = (lane: Lane, alone: boolean): ProbeTools => ({
      store,
      runId,
      problemDir,
      configFile,
      baseFiles: workspace.baseFiles(),
      // Its own stream per probe: the same audit gives the same figures however the lanes interleave.
      random: seededRandom(20260101),
      async remeasure(repeats) {
        if (!alone && !deterministic) throw new RaceDeferred();
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
        const m = await lane.measure(spec(row.id, {}, baseCommit), repeats);
        return m.ok ? { samples: m.samples } : { failed: describeFailure(m.failure) };
      },
    });
    // A probe tried again alone is admitted under a run of its own, so its candidates are not duplicates of its first try.
    const admits = [run, runRow(runIds[1])].map((r) => admission({ store, run: r, workspace, rules, protectedPaths: lanes[0].protectedPaths }));
    const baseRef = { id: baseRow.id, commitSha: baseCommit };
    const attempt = (alone: boolean): AttemptDeps => ({ store, admit: admits[alone ? 1 : 0], baseline: baseRef, spec, race: race(alone) });

    const results: (ProbeResult | undefined)[] = probes.map(() => undefined);
    /** Runs probe i; false when it must be tried again alone (a race deferred, or a stage timeout beside other lanes). */
    const runOne = async (i: number, lane: Lane, alone: boolean): Promise<boolean> => {
      const probe = probes[i];
      const t0 = Date.now();
      opts.onProgress?.(`probe ${probe.name}: ${probe.tries}`);
      const laneCtx = { ...ctx, dir: lane.worktree.dir, root: lane.worktree.root };
      let out: ProbeOutcome;
      try {
        out = await runProbe(probe, lane, laneCtx, toolsFor(lane, alone), attempt(alone));
      } catch (err) {
        if (err instanceof RaceDeferred) return false;
        out = { judgement: { outcome: 'skipped', reason: `the probe could not run: ${(err as Error).message}` }, timedOut: false };
      }
      if (out.timedOut && !alone) return false;
      const result: ProbeResult = { name: probe.name, family: probe.family, fast: probe.fast, tries: probe.tries, ...out.judgement, ms: Date.now() - t0 };
      results[i] = result;
      opts.onResult?.(result);
      return true;
    };
    // First the lanes share the probes that stay in their worktree; then, one by one, those that reach outside it
    // and those that must be tried again alone.
    const single = lanes.length === 1;
    const queue = probes.map((_, i) => i).filter((i) => !probes[i].alone);
    const later = probes.map((_, i) => i).filter((i) => probes[i].alone);
    await Promise.all(
      lanes.map(async (lane) => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) if (!(await runOne(i, lane, single))) later.push(i);
      }),
    );
    for (const i of later.sort((x, y) => x - y)) await runOne(i, lanes[0], true);

    store.updateRun(runId, { status: 'finished', ownerPid: null });
    const done = results.filter((r): r is ProbeResult => r !== undefined);
    return {
      problemDir,
      baseCommit,
      verifierDigest: lanes[0].verifierDigest,
      probes: opts.probes ?? 'all',
      sandbox: sandbox.available ? 'bubblewrap' : `none (${sandbox.reason ?? 'bubblewrap not found'})`,
      baseline: { score: baseline.score, samples: baseline.samples },
      startedAt: started,
      ms: Date.now() - started,
      letThrough: done.filter((r) => r.outcome === 'let-through').length,
      results: done,
    };
  } finally {
    store.close();
    // Probe commits were recorded on refs of the scratch runs: nothing of them stays in the repository's ref list.
    for (const id of runIds) rmSync(path.join(workspace.repo.commonDir, 'refs', 'evoloop', id), { recursive: true, force: true });
  }
}
