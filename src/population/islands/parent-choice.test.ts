// A second parent is chosen for what a merge would bring: lines it changed since the common
// ancestor that the first did not touch. A partner that mostly conflicts or brings nothing loses
// to one that complements the first, even when it scores better.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import type { Elite } from './archive.js';
import { complementarity, pickPartner, type PartnerLineage } from './parent-choice.js';

const BASE = ['0.300', '0.300', '0.300', '0.300', '0.300', '0.300'].join('\n');
const genome = (...lines: string[]) => ({ 'x.txt': lines.join('\n') });
const elite = (id: number, score: number, files: Record<string, string>): Elite => ({
  id,
  score,
  files,
  samples: [score],
  commitSha: String(id).padStart(40, '0'),
  island: 0,
  cell: `elite-${id}`,
  operator: 'step',
  description: '',
  metrics: null,
});
const lineage = (over: Partial<PartnerLineage> = {}): PartnerLineage => ({
  related: () => false,
  common: () => ({ files: {} }),
  base: (p) => (p === 'x.txt' ? BASE : undefined),
  ...over,
});

describe('complementarity', () => {
  const first = genome('0.900', '0.900', '0.300', '0.300', '0.300', '0.300');
  it('counts the lines a partner changed where the first did not, over the base when they share no ancestor', () => {
    expect(complementarity(first, {}, genome('0.300', '0.300', '0.300', '0.800', '0.800', '0.300'), (p) => (p === 'x.txt' ? BASE : undefined))).toBe(2);
  });
  it('counts nothing for a hunk both changed, and is 0 for a partner that only conflicts or brings what the first already has', () => {
    const base = () => BASE;
    expect(complementarity(first, {}, genome('0.100', '0.300', '0.300', '0.800', '0.800', '0.300'), base)).toBe(2);
    expect(complementarity(first, {}, genome('0.100', '0.200', '0.300', '0.300', '0.300', '0.300'), base)).toBe(0);
    expect(complementarity(first, {}, genome('0.900', '0.900', '0.300', '0.300', '0.300', '0.300'), base)).toBe(0);
  });
  it('diffs against the nearest common ancestor, so changes both inherited are not counted', () => {
    const origin = genome('0.900', '0.900', '0.300', '0.300', '0.300', '0.300');
    const left = genome('0.900', '0.900', '0.500', '0.300', '0.300', '0.300');
    const right = genome('0.900', '0.900', '0.300', '0.300', '0.300', '0.700');
    expect(complementarity(left, origin, right, () => BASE)).toBe(1);
  });
  it("counts the lines both changed that the partner's lineage edited more often, as the merge takes them", () => {
    // Both changed lines 0-3; the first's lineage worked on 0-1, the partner's on 2-3.
    const mine = genome('0.900', '0.900', '0.400', '0.400', '0.300', '0.300');
    const partner = genome('0.200', '0.200', '0.800', '0.800', '0.300', '0.300');
    const edits = {
      mine: (_p: string, _o: string[], at: { start: number }) => (at.start < 2 ? 3 : 1),
      theirs: (_p: string, _o: string[], at: { start: number }) => (at.start < 2 ? 1 : 3),
    };
    expect(complementarity(mine, {}, partner, () => BASE)).toBe(0);
    expect(complementarity(mine, {}, partner, () => BASE, edits)).toBe(2);
  });
  it('counts a whole file only the partner changed', () => {
    expect(complementarity(first, {}, { 'y.txt': 'new' }, () => undefined)).toBe(1);
  });
});

describe('pickPartner', () => {
  const first = elite(1, 1, genome('0.900', '0.900', '0.300', '0.300', '0.300', '0.300'));
  const conflicting = elite(2, 5, genome('0.100', '0.300', '0.300', '0.800', '0.300', '0.300'));
  const complementary = elite(3, 2, genome('0.300', '0.300', '0.300', '0.800', '0.800', '0.800'));
  it('prefers the partner that brings more lines cleanly over a better-scoring one whose changes mostly conflict', () => {
    for (let seed = 1; seed <= 20; seed++) expect(pickPartner(first, [conflicting, complementary], lineage(), seededRandom(seed))?.elite.id).toBe(3);
  });
  it('never picks the first itself or a relative, and gives none when every elite is related', () => {
    const related = lineage({ related: (a, b) => a === 1 && b === 3 });
    expect(pickPartner(first, [first, conflicting, complementary], related, seededRandom(1))?.elite.id).toBe(2);
    expect(pickPartner(first, [first, complementary], related, seededRandom(1))).toBeUndefined();
  });
});
