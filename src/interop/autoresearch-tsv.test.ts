import { describe, expect, it } from 'vitest';
import type { CandidateRecord } from '../store/store.js';
import { resultsTsv } from './autoresearch-tsv.js';

const row = (c: Partial<CandidateRecord>): CandidateRecord =>
  ({ operator: 'llm-diff', description: '', commitSha: null, score: null, metrics: null, reason: null, ...c }) as CandidateRecord;

describe('resultsTsv', () => {
  it('writes the five columns as autoresearch does: short commit, 6 decimals, memory in GB to .1f, keep/discard/crash', () => {
    const tsv = resultsTsv(
      [
        row({ status: 'baseline', operator: 'baseline', score: 0.9979, metrics: { val_bpb: 0.9979, peak_vram_mb: 45056 } }),
        row({ status: 'accepted', commitSha: 'b2c3d4e5f6', score: 0.9932, description: 'increase LR\tto 0.04\n(warmup)', metrics: { memory_gb: 44.2 } }),
        row({ status: 'rejected', commitSha: 'c3d4e5f6a7', score: 1.005, description: '"GeLU" instead of ReLU', metrics: { memory_mb: 45158 } }),
        row({ status: 'duplicate', commitSha: 'f6a7b8c9d0', operator: 'llm-diff', description: ' \n' }),
        row({ status: 'failed', commitSha: 'd4e5f6a7b8', score: null, description: 'double model width (OOM)' }),
        row({ status: 'invalid', description: 'a patch that did not apply' }),
        row({ status: 'pending', commitSha: 'e5f6a7b8c9', description: 'still running' }),
      ],
      { metric: 'val_bpb', baseCommit: 'a1b2c3d4e5' },
    );
    expect(tsv).toBe(
      [
        'commit\tval_bpb\tmemory_gb\tstatus\tdescription',
        'a1b2c3d\t0.997900\t44.0\tkeep\tbaseline',
        'b2c3d4e\t0.993200\t44.2\tkeep\tincrease LR to 0.04 (warmup)',
        "c3d4e5f\t1.005000\t44.1\tdiscard\t'GeLU' instead of ReLU", // a leading quote would open a quoted field
        'f6a7b8c\t0.000000\t0.0\tcrash\tllm-diff', // never measured, so out of the notebook's plots
        'd4e5f6a\t0.000000\t0.0\tcrash\tdouble model width (OOM)',
        '\t0.000000\t0.0\tcrash\ta patch that did not apply',
        '',
      ].join('\n'),
    );
  });
});
