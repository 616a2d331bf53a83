import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, limitFailure, stageLimits } from './limits.js';

describe('stage limits', () => {
  it('fills in the defaults where a stage sets nothing, and keeps what it sets', () => {
    expect(stageLimits({})).toEqual(DEFAULT_LIMITS);
    expect(stageLimits({ memoryMb: 64, tmpMb: 8 })).toEqual({ ...DEFAULT_LIMITS, memoryMb: 64, tmpMb: 8 });
  });

  it('names the kind, the config key, its value and the fix for every limit', () => {
    const limits = { memoryMb: 100, maxProcs: 20, diskMb: 30, tmpMb: 40 };
    expect(limitFailure('score', 'memory_mb', limits)).toEqual({
      kind: 'memory-limit',
      message: expect.stringMatching(/^stage "score" ran out of memory under its limit of 100 MB \(memory_mb\).*raise memory_mb/),
    });
    expect(limitFailure('score', 'max_procs', limits)).toEqual({
      kind: 'process-limit',
      message: expect.stringMatching(/process limit \(max_procs: 20\).*raise max_procs/),
    });
    expect(limitFailure('score', 'disk_mb', limits)).toEqual({
      kind: 'disk-limit',
      message: expect.stringMatching(/more than its limit of 30 MB \(disk_mb\).*raise disk_mb/),
    });
    expect(limitFailure('score', 'tmp_mb', limits)).toEqual({
      kind: 'disk-limit',
      message: expect.stringMatching(/filled its private \/tmp, 40 MB of RAM \(tmp_mb\).*raise tmp_mb/),
    });
  });
});
