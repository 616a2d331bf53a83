import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import { checkVerifier, verifierDigest, type CandidateSpec } from './backend.js';

const verifier = (run: string) =>
  validateConfig({ edit: ['f.js'], verifier: { stages: [{ name: 's', kind: 'score', run }] }, objective: { metric: 'y', goal: 'maximize' } }).verifier;

describe('verifierDigest', () => {
  it('is the same for the same protected files and verifier, whatever the order of the files', () => {
    expect(verifierDigest({ 'a.sh': '1', 'b.sh': '2' }, verifier('x'))).toBe(verifierDigest({ 'b.sh': '2', 'a.sh': '1' }, verifier('x')));
  });

  it('changes with a protected file, its name, or the verifier config', () => {
    const d = verifierDigest({ 'a.sh': '1' }, verifier('x'));
    expect(verifierDigest({ 'a.sh': '2' }, verifier('x'))).not.toBe(d);
    expect(verifierDigest({ 'b.sh': '1' }, verifier('x'))).not.toBe(d);
    expect(verifierDigest({ 'a.sh': '1' }, verifier('y'))).not.toBe(d);
  });

  it('a function stage counts by its source', () => {
    const fnVerifier = (fn: () => Record<string, number>) =>
      validateConfig({ edit: ['f.js'], verifier: { stages: [{ name: 's', kind: 'score', fn }] }, objective: { metric: 'y', goal: 'maximize' } }).verifier;
    expect(
      verifierDigest(
        {},
        fnVerifier(() => ({ y: 1 })),
      ),
    ).not.toBe(
      verifierDigest(
        {},
        fnVerifier(() => ({ y: 2 })),
      ),
    );
  });
});

describe('checkVerifier', () => {
  const spec = (verifierDigest: string): CandidateSpec => ({ runId: 'r', candidateId: 7, baseCommit: 'b', commitSha: 'c', files: {}, verifierDigest });
  it('passes a candidate described for this verifier and refuses one described for another', () => {
    expect(() => checkVerifier(spec('abc'), 'abc')).not.toThrow();
    expect(() => checkVerifier(spec('abc'), 'def')).toThrow(/candidate 7 .*refusing/);
  });
});
