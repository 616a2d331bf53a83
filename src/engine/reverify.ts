// Re-verification: re-measure recorded candidates with the verifier as it is NOW (after
// the user fixed a hole in it) and fresh seeds, without calling any model, and say which
// recorded improvements over the baseline survive. This is how a night's run is recovered
// after discovering that the verifier could be gamed.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { median } from 'simple-statistics';
import { findConfigFile, loadConfigFile } from '../config/load.js';
import { UsageError } from '../core/errors.js';
import type { FileSet } from '../core/types.js';
import { decide, type AcceptConfig } from '../evaluate/acceptance.js';
import { describeFailure } from '../evaluate/backend.js';
import { backends } from '../evaluate/backends/registry.js';
import { editRulesFor, protectedBy } from '../propose/edit-rules.js';
import type { CandidateRecord, Store } from '../store/store.js';
import { verifierModels } from '../evaluate/verifier-models.js';
import type { ModelOptions } from '../operators/select.js';
import { Workspace } from '../workspace/workspace.js';

export interface ReverifyRow {
  id: number;
  status: string;
  recordedScore: number | null;
  newScore: number | null;
  /** Still a significant improvement over the re-measured baseline. */
  survives: boolean;
  reason: string;
}

export interface ReverifyReport {
  run: string;
  epoch: number;
  baseline: { recordedScore: number | null; newScore: number; samples: number[] };
  rows: ReverifyRow[];
}

export async function reverify(opts: {
  problemDir: string;
  store: Store;
  runId: string;
  /** The N best-scoring candidates; by default every accepted one. */
  select: { top?: number };
  onProgress?: (line: string) => void;
  /** The verifier's own models (judge, model_run stages): keys from here. */
  llm?: Pick<ModelOptions, 'env' | 'backoff' | 'pause'>;
  /** Take the secrets out of this process's environment once those models' clients hold them (the CLI does). */
  scrubEnvironment?: boolean;
}): Promise<ReverifyReport> {
  const { store } = opts;
  const problemDir = path.resolve(opts.problemDir);
  const configFile = findConfigFile(problemDir);
  const config = loadConfigFile(configFile); // the verifier as configured now
  const run = store.getRun(opts.runId)!;
  const baseline = run.baselineId !== null ? store.getCandidate(run.baselineId) : undefined;
  if (!baseline || baseline.status !== 'baseline') throw new UsageError(`run ${run.id} has no measured baseline; nothing to compare against.`);
  const candidates = pick(store, run.id, config.objective.goal, opts.select);
  const epoch = store.queries.lastEpoch(run.id) + 1;

  const workspace = await Workspace.open({ problemDir, baseCommit: run.baseCommit, poolSize: 1 });
  // The current protected files (the fixed verifier) replace the base's in every worktree.
  const rules = editRulesFor(config, problemDir, configFile);
  const current: FileSet = {};
  for (const p of workspace.baseFiles().filter((f) => protectedBy(f, rules) !== undefined)) {
    const file = path.join(problemDir, p);
    if (existsSync(file)) current[p] = readFileSync(file, 'utf8');
  }
  const models = verifierModels(config, {
    ...opts.llm,
    store,
    runId: run.id,
    notice: (line) => opts.onProgress?.(line),
    scrub: !!opts.scrubEnvironment,
  });
  const backend = backends.local({
    ...models,
    config,
    runId: run.id,
    store,
    workspace,
    signal: new AbortController().signal,
    protectedFiles: current,
    overlay: current,
    dirs: { scratch: `${run.id}-reverify`, protected: `${run.id}-reverify-${epoch}` },
  });
  const repeats = Math.max(config.accept.baseline_repeats, ...config.verifier.stages.filter((s) => s.kind === 'score').map((s) => s.repeat));
  const measure = (c: CandidateRecord) =>
    backend.measure(
      {
        runId: run.id,
        candidateId: c.id,
        baseCommit: run.baseCommit,
        commitSha: c.commitSha ?? run.baseCommit,
        files: store.candidateFiles(c),
        verifierDigest: backend.verifierDigest,
      },
      { kinds: 'search', repeats, epoch },
    );

  opts.onProgress?.(`re-measuring the baseline (${repeats} repeats, fresh seeds, current verifier)`);
  const base = await measure(baseline);
  if (!base.ok) throw new UsageError(`the baseline fails the current verifier (${describeFailure(base.failure)}). Fix the verifier first.`);
  // One verdict on all `repeats` samples (no racing); decide() needs max_repeats >= 2 even
  // when a deterministic verifier is measured once (baseline_repeats: 1).
  const accept: AcceptConfig = {
    rule: 'significant',
    alpha: config.accept.alpha,
    minDelta: config.accept.min_delta,
    baselineRepeats: repeats,
    maxRepeats: Math.max(2, repeats),
  };
  const rows: ReverifyRow[] = [];
  for (const c of candidates) {
    opts.onProgress?.(`re-measuring candidate ${c.id}`);
    const m = await measure(c);
    if (!m.ok) {
      rows.push({ id: c.id, status: c.status, recordedScore: c.score, newScore: null, survives: false, reason: `fails now: ${describeFailure(m.failure)}` });
      continue;
    }
    const verdict = decide(base.samples, m.samples, config.objective.goal, accept);
    const newScore = median(m.samples);
    rows.push({ id: c.id, status: c.status, recordedScore: c.score, newScore, survives: verdict.decision === 'accept', reason: verdict.reason });
  }
  return { run: run.id, epoch, baseline: { recordedScore: baseline.score, newScore: median(base.samples), samples: base.samples }, rows };
}

function pick(store: Store, runId: string, goal: 'maximize' | 'minimize', select: { top?: number }): CandidateRecord[] {
  if (select.top !== undefined) {
    return store.queries.topScored(runId, goal, select.top).map((id) => store.getCandidate(id)!);
  }
  return store.listCandidates(runId, { status: ['accepted'] });
}
