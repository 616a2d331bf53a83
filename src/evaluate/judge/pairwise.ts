// Pairwise judging (`compare: champion`): the judge sees this candidate's outputs and the
// champion's, in both orders (position swap), and says which is better or that they tie. Each
// order's verdict is the candidate's win (1), tie (0.5) or loss (0); the stage's metric is
// their mean, and `<metric>_agreement` is 1 when the two orders agree (0: the judge's verdict
// followed the position, not the outputs). So 0.5 means "as good as the champion".
//
// The champion's outputs are what its own judge stage recorded (the `judged.txt` artifact).
// The champion compared with itself is a tie by definition: no call is made. That is also the
// baseline's value (there is no champion yet; it becomes the first), and, after a candidate is
// crowned, its recorded samples are read again as ties (`selfComparison`), so the acceptance
// rule compares each challenger's win rate with "as good as the champion".
import type { StageConfig } from '../../config/schema.js';
import type { Metrics, StageResult } from '../../core/types.js';
import type { Store } from '../../store/store.js';
import { parsePreference, pairwisePrompt, type Parsed } from './judge-prompt.js';

export const JUDGED_ARTIFACT = 'judged.txt';

export type Preference = 'A' | 'B' | 'tie';

/** The metric a judge stage reports (its `report_as`, else its name). */
export const metricOf = (stage: StageConfig) => stage.report_as ?? stage.name;

/** The metrics of a comparison: the candidate first (A) and the champion first (the candidate is B). */
export function comparisonMetrics(stage: StageConfig, candidateFirst: Preference, championFirst: Preference): Metrics {
  const asA = { A: 1, tie: 0.5, B: 0 }[candidateFirst];
  const asB = { B: 1, tie: 0.5, A: 0 }[championFirst];
  return { [metricOf(stage)]: (asA + asB) / 2, [`${metricOf(stage)}_agreement`]: asA === asB ? 1 : 0 };
}

/** The champion against itself. */
export const tieMetrics = (stage: StageConfig): Metrics => comparisonMetrics(stage, 'tie', 'tie');

/** A recorded pairwise result of the current champion, read as its comparison with itself. */
export function selfComparison(stage: StageConfig, result: StageResult): StageResult {
  return result.ok ? { ...result, metrics: { ...result.metrics, ...tieMetrics(stage) } } : result;
}

/** The champion's outputs for this stage, from the repeat `repeat` when recorded, else its first one. */
export function championOutputs(store: Store, championId: number, stage: string, repeat: number): string | undefined {
  const judged = store.artifacts.list(championId).filter((a) => a.epoch === 0 && a.stage === stage && a.name === JUDGED_ARTIFACT);
  const pick = judged.find((a) => a.repeat === repeat) ?? judged.sort((a, b) => a.repeat - b.repeat)[0];
  return pick && store.artifacts.read(pick)?.toString('utf8');
}

export interface Comparison {
  metrics: Metrics;
  rationale: string;
}

/** Asks both orders; `ask` sends one prompt to the judge and returns its reply. */
export async function compare(
  stage: StageConfig,
  outputs: { candidate: string; champion: string; championId: number; references?: string; seed: number },
  ask: (p: { system: string; prompt: string }) => Promise<string>,
): Promise<Comparison | { error: string }> {
  const base = { rubric: stage.rubric!, references: outputs.references, seed: outputs.seed };
  const [first, second] = await Promise.all([
    ask(pairwisePrompt({ ...base, first: outputs.candidate, second: outputs.champion })),
    ask(pairwisePrompt({ ...base, first: outputs.champion, second: outputs.candidate })),
  ]);
  const a: Parsed<Preference> = parsePreference(first);
  const b: Parsed<Preference> = parsePreference(second);
  if ('error' in a) return a;
  if ('error' in b) return b;
  const said = (p: Preference, candidateIs: 'A' | 'B') => (p === 'tie' ? 'a tie' : p === candidateIs ? 'this one is better' : 'the champion is better');
  const rationale = [
    `against the champion (candidate ${outputs.championId}), this output shown first: ${said(a.value, 'A')}${a.rationale ? ` (${a.rationale})` : ''}`,
    `shown second: ${said(b.value, 'B')}${b.rationale ? ` (${b.rationale})` : ''}`,
  ].join('; ');
  return { metrics: comparisonMetrics(stage, a.value, b.value), rationale };
}
