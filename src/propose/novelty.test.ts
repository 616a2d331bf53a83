import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_RUN } from '../../test/support/test-run.js';
import { changeHash } from './patch-hash.js';
import { Store } from '../store/store.js';
import { BANDS, BUCKET_CAP, MEMBERS_CAP, MinHashIndex } from './minhash-index.js';
import { signatureOf, similarity } from './minhash.js';
import { NoveltyFilter } from './novelty.js';
import { admission } from './admission.js';

const PROGRAM = Array.from({ length: 40 }, (_, i) => `function step${i}(x) {\n  return x * ${i} + ${i % 7};\n}`).join('\n');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(threshold = 0.9) {
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-novelty-'));
  dirs.push(dir);
  const store = new Store(path.join(dir, 'evoloop.db'));
  const run = store.createRun(TEST_RUN);
  const baseline = store.insertCandidate({
    runId: run.id,
    parentId: null,
    status: 'baseline',
    operator: 'baseline',
    description: '',
    files: {},
    changeHash: changeHash({}),
    patch: '',
  });
  const base: Record<string, string> = { 'f.js': PROGRAM, 'verify.sh': 'exit 0' };
  const deps = { store, runId: run.id, threshold, baseFiles: ['f.js'], readBase: async (p: string) => base[p], baselineId: () => baseline.id };
  const filter = new NoveltyFilter(deps);
  let commits = 0;
  const admit = admission({
    store,
    run,
    workspace: { readBase: deps.readBase, symlinkOnPath: () => undefined, commit: () => `c${++commits}`.padEnd(40, '0') },
    rules: { edit: ['f.js'], protect: ['verify.sh'], alwaysProtected: [] },
    protectedPaths: ['verify.sh'],
    novelty: filter,
  });
  const parent = { id: baseline.id, commitSha: 'b'.repeat(40), files: {} };
  return { store, run, deps, admit, parent, baseline };
}

describe('minhash', () => {
  it('ignores layout and comments, and estimates Jaccard similarity of token shingles', () => {
    const same = (x: string, y: string) => similarity(signatureOf(x), signatureOf(y));
    expect(same('a  =\n b+1.5 // note\n/* x */ c # py comment\nd(e)', 'a = b + 1.5 c d ( e )')).toBe(1);
    expect(same('a = b + 1.5 c d ( e )', 'a = b + 1.6 c d ( e )')).toBeLessThan(1);
    const a = signatureOf(PROGRAM);
    expect(similarity(a, signatureOf(PROGRAM.replace(/\n/g, '\n\n  ')))).toBe(1);
    const tweak = similarity(a, signatureOf(PROGRAM.replace('x * 3 +', 'x * 33 +')));
    expect(tweak).toBeGreaterThan(0.9);
    expect(tweak).toBeLessThan(1);
    expect(similarity(a, signatureOf('while (true) { sort(items, by => by.size); }'))).toBeLessThan(0.1);
  });

  it('finds the nearest of many signatures through its bands', () => {
    const index = new MinHashIndex();
    const other = (i: number) => Array.from({ length: 40 }, (_, j) => `const v${j} = ${(i * j) % 17} + w${i % 5};`).join('\n');
    for (let i = 0; i < 300; i++) index.add(i, signatureOf(other(i)));
    index.add(1000, signatureOf(PROGRAM.replace('x * 5 +', 'x * 55 +')));
    const near = index.nearest(signatureOf(PROGRAM.replace('x * 5 +', 'x * 56 +')));
    expect(near?.id).toBe(1000);
    expect(index.nearest(signatureOf('nothing in common at all, really'))?.similarity ?? 0).toBeLessThan(0.1);
  });

  it('never misses a near-duplicate of a recent candidate, even when every program of the island is alike', () => {
    // 5000 programs that each differ from the base by one literal: they share most bands, so
    // those buckets hold thousands of candidates and a lookup must still find the right one.
    const family = Array.from({ length: 12 }, (_, i) => `function step${i}(x) {\n  return x * ${i} + ${i % 7};\n}`).join('\n');
    const variant = (k: number) => family.replace(`x * ${k % 12} + ${(k % 12) % 7}`, `x * ${k % 12} + ${1000 + k}`);
    const index = new MinHashIndex();
    const n = 5000;
    for (let k = 0; k < n; k++) index.add(k, signatureOf(variant(k)));
    expect(similarity(signatureOf(variant(1)), signatureOf(variant(2)))).toBeGreaterThan(0.7); // all alike
    for (let k = n - BUCKET_CAP; k < n; k++) {
      // The same program with its layout and a comment changed: similarity 1 with candidate k only.
      const copy = `// retry\n${variant(k).replace(/\n/g, '\n  ')}`;
      const found = index.nearest(signatureOf(copy), 0.99);
      expect(found, `copy of candidate ${k}`).toEqual({ id: k, similarity: 1 });
    }
    // Below the threshold the answer is the best compared, and a program unlike the family shares no band.
    const fresh = index.nearest(signatureOf(variant(n + 7)), 0.99)!;
    expect(fresh.similarity).toBeLessThan(0.99);
    expect(fresh.similarity).toBeGreaterThan(0.7);
    expect(index.nearest(signatureOf('while (true) { sort(items, by => by.size); }'))).toBeUndefined();
  });

  it('finds a recent candidate through the crowded buckets alone', () => {
    // Every signature is the base's but for 8 bins of its own (bands 0-7): 24 bands are shared by
    // all 2000. The query is candidate k's with one more bin changed in each of those 8 bands, so
    // it shares only the crowded bands with k, and k (15/16 alike) is its one near-duplicate.
    const base = Uint32Array.from({ length: 128 }, (_, i) => 1000 + i);
    const own = (k: number) => {
      const sig = base.slice();
      for (let band = 0; band < 8; band++) sig[band * 4 + (k % 4)] = 100_000 + k;
      return sig;
    };
    const index = new MinHashIndex();
    const n = 2000;
    for (let k = 0; k < n; k++) index.add(k, own(k));
    for (let k = n - BUCKET_CAP; k < n; k++) {
      const query = own(k);
      for (let band = 0; band < 8; band++) query[band * 4 + ((k + 1) % 4)] = 200_000 + band;
      expect(index.nearest(query, 0.9), `near-duplicate of candidate ${k}`).toEqual({ id: k, similarity: 15 / 16 });
    }
  });
  it('keeps its newest members only: a near-duplicate of any of them is found, memory stays bounded', () => {
    const capacity = 300;
    const index = new MinHashIndex(capacity);
    const family = Array.from({ length: 12 }, (_, i) => `function step${i}(x) {\n  return x * ${i} + ${i % 7};\n}`).join('\n');
    const variant = (k: number) => family.replace(`x * ${k % 12} + ${(k % 12) % 7}`, `x * ${k % 12} + ${1000 + k}`);
    const copy = (k: number) => `// retry\n${variant(k).replace(/\n/g, '\n  ')}`;
    const n = 10 * capacity;
    for (let k = 0; k < n; k++) index.add(k, signatureOf(variant(k)));
    expect(index.size).toBe(capacity);
    for (let k = n - BUCKET_CAP; k < n; k++) expect(index.nearest(signatureOf(copy(k)), 0.99), `copy of candidate ${k}`).toEqual({ id: k, similarity: 1 });
    // The oldest left: a copy of one is no longer an exact match of a member.
    expect(index.nearest(signatureOf(copy(0)), 0.99)?.similarity).toBeLessThan(1);
    const bands = index['bands'] as Map<number, number[]>[];
    const kept = bands.reduce((sum, band) => sum + [...band.values()].reduce((s, slots) => s + slots.length, 0), 0);
    expect(kept).toBeLessThanOrEqual(capacity * BANDS);
    expect(bands.every((band) => [...band.values()].every((slots) => slots.length > 0 && slots.length <= BUCKET_CAP))).toBe(true);
  });
});

describe('novelty filter in admission', () => {
  it('rejects a near-duplicate as duplicate naming the nearest candidate, never pending, and keeps a different one', async () => {
    const { store, admit, parent } = setup(0.9);
    const first = await admit({ parents: [parent], island: null }, 'llm-rewrite', {
      operator: 'llm-rewrite',
      description: 'rewrite step 3',
      changes: { 'f.js': PROGRAM.replace(/return x \* (\d+) \+ (\d+)/g, 'const y$1 = x ** $2;\n  return y$1 - $1') },
    });
    expect(first.status).toBe('pending');
    const near = await admit({ parents: [parent], island: null }, 'llm-diff', {
      operator: 'llm-diff',
      description: 'the same with a comment',
      changes: { 'f.js': `// same thing\n${store.getBlob(first.files['f.js'])}` },
    });
    expect(near.status).toBe('duplicate');
    expect(near.flags).toContain('near-duplicate');
    expect(near.reason).toMatch(new RegExp(`near-duplicate of candidate ${first.id}: 100% similar code \\(novelty.threshold 0.9\\); not evaluated`));
    expect(near.commitSha).toBeNull();
    // close to the base program: named as the baseline
    const tiny = await admit({ parents: [parent], island: null }, 'tune', {
      operator: 'tune',
      description: 'x * 3 → x * 4',
      changes: { 'f.js': PROGRAM.replace('x * 3 +', 'x * 4 +') },
    });
    expect(tiny.status).toBe('duplicate');
    expect(tiny.reason).toMatch(/near-duplicate of candidate 1:/);
    const other = await admit({ parents: [parent], island: null }, 'llm-rewrite', {
      operator: 'llm-rewrite',
      description: 'new algorithm',
      changes: { 'f.js': 'export const table = new Map(Object.entries({ a: 1 }));\nfor (const [k, v] of table) console.log(k, v ** 2);\n' },
    });
    expect(other.status).toBe('pending');
    expect(store.signatures.newest('r1', null, 10).map((s) => s.candidateId)).toEqual([first.id, other.id]);
  });

  it('compares with the candidates of an earlier session too (signatures come back from the store)', async () => {
    const { store, deps, admit, parent } = setup(0.95);
    const changed = PROGRAM.replace(/return x \* (\d+)/g, 'return x << $1').concat('\nexport default step1;\n');
    const first = await admit({ parents: [parent], island: null }, 'llm-rewrite', {
      operator: 'llm-rewrite',
      description: 'shifts',
      changes: { 'f.js': changed },
    });
    expect(first.status).toBe('pending');
    const resumed = new NoveltyFilter(deps);
    const check = await resumed.check({ 'f.js': `${changed}\n` }, null, []);
    expect(check.duplicateOf?.id).toBe(first.id);
    expect(store.signatures.newest('r1', null, 10)[0].minhash).toEqual(check.signature);
  });

  it("finds a near-duplicate of the proposal's parent however old, and reads only each island's newest signatures on resume", async () => {
    const { store, run, deps, admit, baseline } = setup(0.95);
    const program = (k: number) => PROGRAM.replace(/return x \* (\d+)/g, `return x << $1 ^ ${k}`);
    const ids: number[] = [];
    store.transaction(() => {
      for (let k = 0; k < MEMBERS_CAP + 20; k++) {
        const files = { 'f.js': program(k) };
        const c = store.insertCandidate({
          runId: run.id,
          parentId: baseline.id,
          status: 'rejected',
          operator: 'llm-rewrite',
          description: `${k}`,
          files,
          changeHash: changeHash(files),
          patch: 'p',
          island: 2,
        });
        store.signatures.put(run.id, c.id, 2, signatureOf(program(k)));
        ids.push(c.id);
      }
    });
    expect(store.signatures.newest(run.id, 2, MEMBERS_CAP).map((s) => s.candidateId)).toEqual(ids.slice(20));
    expect(store.signatures.islands(run.id)).toEqual([2]);
    const resumed = new NoveltyFilter(deps);
    resumed.restore();
    expect(resumed['byIsland'].get(2)?.size).toBe(MEMBERS_CAP);
    const oldest = { id: ids[0], commitSha: 'a'.repeat(40), files: { 'f.js': program(0) } };
    expect((await resumed.check({ 'f.js': `${program(0)}\n// again` }, 2, [])).duplicateOf?.id).not.toBe(ids[0]);
    expect((await resumed.check({ 'f.js': `${program(0)}\n// again` }, 2, [oldest])).duplicateOf?.id).toBe(ids[0]);
    const child = await admit({ parents: [oldest], island: 2 }, 'llm-diff', {
      operator: 'llm-diff',
      description: 'same',
      changes: { 'f.js': `// same\n${program(0)}` },
    });
    expect(child.status).toBe('duplicate');
    expect(child.reason).toMatch(new RegExp(`near-duplicate of candidate ${ids[0]}:`));
    const other = await admit({ parents: [oldest], island: null }, 'llm-rewrite', {
      operator: 'llm-rewrite',
      description: 'new',
      changes: { 'f.js': 'while (true) { sort(items, by => by.size); }' },
    });
    expect(other.status).toBe('pending');
    expect(store.signatures.islands(run.id)).toEqual([null, 2]);
    const newest = ids.at(-1)!;
    expect((await resumed.check({ 'f.js': `// again\n${program(MEMBERS_CAP + 19)}` }, 2, [])).duplicateOf?.id).toBe(newest);
  });
});
