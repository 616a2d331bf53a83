// The features a MAP-Elites cell is chosen by: a metric the verifier reports, or a builtin
// measured on the candidate's files (code_size: bytes of the editable program; diff_size:
// lines added plus removed against the base).
import { diffLines } from 'diff';
import type { FeatureConfig } from '../../config/search-schema.js';
import type { FileSet, Metrics } from '../../core/types.js';
import { codeSize, type BaseProgram } from '../../workspace/code-size.js';
import type { EditRules } from '../../propose/edit-rules.js';

export async function diffSize(files: FileSet, base: Pick<BaseProgram, 'readBase'>): Promise<number> {
  let lines = 0;
  for (const [p, content] of Object.entries(files)) {
    for (const part of diffLines((await base.readBase(p)) ?? '', content)) if (part.added || part.removed) lines += part.count ?? 0;
  }
  return lines;
}

/** One value per feature, or the reason one cannot be had (a metric the verifier did not report). */
export async function featureValues(
  features: FeatureConfig[],
  candidate: { metrics: Metrics; files: FileSet },
  base: BaseProgram,
  rules: Pick<EditRules, 'edit' | 'protect'>,
): Promise<number[] | { missing: string }> {
  const values: number[] = [];
  for (const f of features) {
    if (f.builtin === 'code_size') values.push(await codeSize(candidate.files, base, rules));
    else if (f.builtin === 'diff_size') values.push(await diffSize(candidate.files, base));
    else {
      const v = candidate.metrics[f.metric!];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        return {
          missing: `feature ${f.name}: the verifier reported no metric ${f.metric} (it reported ${Object.keys(candidate.metrics).join(', ') || 'none'}). Fix: report it from a score stage, or change search.features`,
        };
      }
      values.push(v);
    }
  }
  return values;
}
