import { describe, expect, it } from 'vitest';
import { checkEnvAllowList, isSecretName } from './secret-names.js';

describe('secret names', () => {
  it('checkEnvAllowList names the bad entry and the reason', () => {
    expect(checkEnvAllowList(['PYTHONPATH', 'MY_*', 'CUDA_VISIBLE_DEVICES'])).toBeUndefined();
    expect(checkEnvAllowList(['OPENAI_API_KEY'])).toMatch(/OPENAI_API_KEY.*secret/);
    expect(checkEnvAllowList(['HF_TOKEN'])).toMatch(/HF_TOKEN/);
    expect(checkEnvAllowList(['AWS_SECRET_ACCESS_KEY'])).toMatch(/secret/);
    expect(checkEnvAllowList(['*'])).toMatch(/whole environment/);
    expect(checkEnvAllowList(['A*B'])).toMatch(/not a variable name/);
  });

  it('tells secrets from look-alikes', () => {
    for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_APIKEY', 'OPENROUTER_KEY', 'GH_TOKEN', 'DB_PASSWORD', 'CLIENT_SECRET'])
      expect(isSecretName(name), name).toBe(true);
    for (const name of ['TOKENIZERS_PARALLELISM', 'PATH', 'KEYBOARD', 'SECRETARY_NAME']) expect(isSecretName(name), name).toBe(false);
  });
});
