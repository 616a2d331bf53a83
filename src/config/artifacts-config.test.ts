// The artifacts keys: defaults, and each bad value named with its key and a fix.
import { describe, expect, it } from 'vitest';
import { configErrorOf as errorOf, minimalConfig as minimal } from '../../test/support/config-errors.js';
import { validateConfig } from './load.js';

describe('artifacts config', () => {
  it('defaults to 16 MB per stage run, 1024 MB per run and 4 KB of text in the prompt', () => {
    expect(validateConfig(minimal).artifacts).toEqual({ stage_mb: 16, run_mb: 1024, prompt_kb: 4 });
    expect(validateConfig({ ...minimal, artifacts: { stage_mb: 0.5, prompt_kb: 0 } }).artifacts).toEqual({ stage_mb: 0.5, run_mb: 1024, prompt_kb: 0 });
  });

  it('names the key of a bad value, and suggests the key a typo meant', () => {
    expect(errorOf({ ...minimal, artifacts: { stage_mb: 0 } })).toMatch(/artifacts\.stage_mb: .*>0/);
    expect(errorOf({ ...minimal, artifacts: { run_mb: 'lots' } })).toMatch(/artifacts\.run_mb: .*number/);
    expect(errorOf({ ...minimal, artifacts: { prompt_kb: -1 } })).toMatch(/artifacts\.prompt_kb: .*>=0/);
    expect(errorOf({ ...minimal, artifacts: { stage_md: 4 } })).toMatch(/artifacts\.stage_md: unknown key\. Fix: did you mean `stage_mb`\?/);
  });
});
