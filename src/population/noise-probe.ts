// Which noise a run has (rule pooled): the baseline's seeds are measured a second time (the
// replicate epoch) and the same-seed differences say whether the seed drives the noise
// (compare seed by seed) or the machine does (compare unpaired). The model is recorded in the
// baseline's verdict, so a resumed run keeps it; the pooled noise estimate is rebuilt from the
// store on resume.
import { describeFailure } from '../evaluate/backend.js';
import { REPLICATE_EPOCH } from '../evaluate/evaluator.js';
import { classifyNoise, POOL_WINDOW_DF, type NoiseModel } from '../evaluate/noise-model.js';
import type { SampleScoring } from '../store/samples.js';
import type { StoredNoiseModel } from '../store/verdict.js';
import type { PopulationDeps } from './population.js';
import type { Incumbent, Racing } from './racing.js';

/**
 * Measures the replicates and decides the model; undefined when the run was stopped meanwhile
 * (resume measures what is missing). A deterministic baseline needs no replicate, and a failed
 * replicate leaves the run unpaired, with a notice: neither is a reason to stop the run.
 */
export async function probeNoise(d: PopulationDeps, racing: Racing, baseline: Incumbent): Promise<StoredNoiseModel | undefined> {
  const configured = d.config.accept.noise_model;
  const fallback = (): StoredNoiseModel => ({
    kind: configured === 'auto' ? 'machine' : configured,
    seedShare: null,
    source: configured === 'auto' ? 'measured' : 'configured',
    replicates: 0,
  });
  const samples = baseline.samples;
  let model = fallback();
  let replicates: number[] = [];
  if (!samples.every((s) => s === samples[0])) {
    const measured = await d.backend.measure(racing.spec(baseline.id, {}, baseline.commitSha), {
      kinds: 'search',
      repeats: samples.length,
      epoch: REPLICATE_EPOCH,
    });
    if (!measured.ok) {
      if (d.signal.aborted) return undefined;
      d.emit({ type: 'notice', message: `measuring the baseline's seeds again failed (${describeFailure(measured.failure)}): comparing unpaired` });
    } else {
      replicates = measured.samples;
      const found = classifyNoise(samples, replicates);
      model = { ...found, ...(configured !== 'auto' && { kind: configured, source: 'configured' as const }), replicates: replicates.length };
    }
  }
  racing.startNoise(model, baseline, replicates);
  return model;
}

/** On resume: the recorded model, and the pool rebuilt from the baseline's replicates and the newest decided candidates. */
export function restoreNoise(d: PopulationDeps, racing: Racing, baseline: Incumbent, recorded: StoredNoiseModel | undefined, scoring: SampleScoring): void {
  const { store } = d;
  const configured = d.config.accept.noise_model;
  const model: NoiseModel = recorded ?? { kind: configured === 'auto' ? 'machine' : configured, seedShare: null, source: 'configured' };
  racing.startNoise(model, baseline, store.objectiveSamples(baseline.id, scoring, REPLICATE_EPOCH));
  const recent = store.listCandidates(d.run.id, { status: ['accepted', 'rejected'], limit: POOL_WINDOW_DF + 1, order: 'desc' }).reverse();
  const samplesOf = new Map<number, number[]>();
  const samples = (id: number) => samplesOf.get(id) ?? samplesOf.set(id, store.objectiveSamples(id, scoring)).get(id)!;
  for (const c of recent) {
    if (c.verdict?.kind !== 'decided') continue;
    racing.noise!.pool.observe({ id: c.verdict.against, samples: samples(c.verdict.against) }, { id: c.id, samples: samples(c.id) });
  }
}
