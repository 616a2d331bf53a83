// The baseline every strategy starts from: the base commit, measured with enough repeats for
// the noise floor, recorded as the run's first candidate and first champion. On resume it is
// read back from the store instead.
import { median } from 'simple-statistics';
import { RunError } from '../core/errors.js';
import { describeFailure } from '../evaluate/backend.js';
import { noiseFloor } from '../evaluate/acceptance.js';
import { measureBaseline } from '../evaluate/baseline-samples.js';
import { changeHash } from '../propose/patch-hash.js';
import type { SampleScoring } from '../store/samples.js';
import { runHoldout } from './holdout.js';
import { probeNoise, restoreNoise } from './noise-probe.js';
import type { PopulationDeps } from './population.js';
import type { Incumbent, Racing } from './racing.js';

/** The baseline as an incumbent, and whether it was measured in this session; undefined when stopped before it was measured. */
export async function startBaseline(d: PopulationDeps, racing: Racing, scoring: SampleScoring): Promise<{ baseline: Incumbent; resumed: boolean } | undefined> {
  const { store, run } = d;
  const base = d.workspace.baseCommit;
  const done = run.baselineId !== null ? store.getCandidate(run.baselineId) : undefined;
  if (done && done.status === 'baseline') {
    const samples = store.objectiveSamples(done.id, scoring);
    racing.baselineSamples = samples;
    const baseline = { id: done.id, files: {}, commitSha: base, samples, score: done.score ?? median(samples) };
    if (racing.accept.rule === 'pooled') restoreNoise(d, racing, baseline, done.verdict?.kind === 'baseline' ? done.verdict.noiseModel : undefined, scoring);
    return { baseline, resumed: true };
  }
  const baseline =
    done ??
    store.insertCandidate({
      runId: run.id,
      parentId: null,
      status: 'pending',
      operator: 'baseline',
      description: 'the base commit, unchanged',
      files: {},
      changeHash: changeHash({}),
      patch: '',
    });
  store.updateCandidate(baseline.id, { commitSha: base, startedAt: Date.now() });
  store.updateRun(run.id, { baselineId: baseline.id });
  const repeats = Math.max(racing.accept.baselineRepeats, ...racing.scoreRepeats());
  const measured = await measureBaseline(d.backend, racing.spec(baseline.id, {}, base), repeats, Math.max(1, ...racing.scoreRepeats()));
  if (!measured.ok) {
    if (d.signal.aborted) return undefined; // resumed next time from the measurements already recorded
    store.updateCandidate(baseline.id, { status: 'failed', reason: describeFailure(measured.failure), finishedAt: Date.now() });
    throw new RunError(
      `the base commit fails its own verifier (${describeFailure(measured.failure)}). Nothing can be compared against it. Fix: make the unmodified program pass every stage (run the stage command by hand in ${d.workspace.problemDir}), commit, and run again.`,
    );
  }
  const score = median(measured.samples);
  const noise = noiseFloor(measured.samples);
  const incumbent = { id: baseline.id, files: {}, commitSha: base, samples: measured.samples, score };
  const noiseModel = racing.accept.rule === 'pooled' ? await probeNoise(d, racing, incumbent) : undefined;
  if (racing.accept.rule === 'pooled' && !noiseModel) return undefined; // stopped: resumed from the replicates already recorded
  const verdict = { kind: 'baseline' as const, noise, ...(noiseModel && { noiseModel }) };
  store.updateCandidate(baseline.id, { status: 'baseline', score, metrics: measured.metrics, finishedAt: Date.now(), verdict });
  store.updateRun(run.id, { championId: baseline.id });
  racing.baselineSamples = measured.samples;
  d.emit({ type: 'baseline', candidateId: baseline.id, score, samples: measured.samples, noise });
  await runHoldout(d, racing, baseline.id, {}, base);
  return { baseline: incumbent, resumed: false };
}
