import { describe, expect, it } from 'vitest';
import { lessonLine } from './lessons.js';

const c = (over: object) => ({ id: 9, operator: 'llm-diff', description: 'unroll\nthe loop', status: 'rejected' as const, reason: null, score: null, ...over });

describe('lessonLine', () => {
  it('says what changed and the outcome, in one line', () => {
    expect(lessonLine(c({ status: 'accepted', score: 10 }), 12, 'minimize')).toBe('#9 (llm-diff) unroll the loop → accepted (better by 2, score 10)');
    expect(lessonLine(c({ score: 14 }), 12, 'minimize')).toBe('#9 (llm-diff) unroll the loop → rejected: worse by 2 (score 14)');
    expect(lessonLine(c({ score: 11.9, reason: 'not significant (p=0.3)' }), 12, 'minimize')).toBe(
      '#9 (llm-diff) unroll the loop → rejected: only 0.1 better, not significant (p=0.3)',
    );
    expect(lessonLine(c({ status: 'failed', reason: 'gate-failed in stage test: exit 1' }), 12, 'maximize')).toBe(
      '#9 (llm-diff) unroll the loop → failed: gate-failed in stage test: exit 1',
    );
    expect(lessonLine(c({ status: 'invalid', reason: 'a.js is protected', description: '' }), null, 'maximize')).toBe(
      '#9 (llm-diff) (no description) → invalid: a.js is protected',
    );
    expect(lessonLine(c({ status: 'duplicate', reason: 'same change as candidate 4' }), null, 'maximize')).toBe(
      '#9 (llm-diff) unroll the loop → duplicate: same change as candidate 4',
    );
  });

  it('clips long lines', () => {
    expect(lessonLine(c({ status: 'invalid', reason: 'x'.repeat(1000) }), null, 'maximize').length).toBe(240);
  });

  it("redacts failure reasons (they quote the candidate's stderr) before the line is cut", () => {
    const reason = `crash in stage score: score exited with code 1. Last lines of stderr:\nnoise\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\nconnecting with hunter2-horse-staple`;
    const line = lessonLine(c({ status: 'failed', reason }), null, 'maximize', [{ value: 'hunter2-horse-staple', kind: "secret from evoloop's environment" }]);
    expect(line).not.toMatch(/MIIEvQ|BEGIN PRIVATE|hunter2/);
    const short = lessonLine(c({ status: 'failed', reason: 'crash: sk-ant-api03-AbCdEf0123456789xyz and hunter2-horse-staple' }), null, 'maximize', [
      { value: 'hunter2-horse-staple', kind: 'env' },
    ]);
    expect(short).toBe('#9 (llm-diff) unroll the loop → failed: crash: [REDACTED: anthropic key] and [REDACTED: env]');
  });
});
