import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../store/store.js';
import { TEST_RUN } from '../../../test/support/test-run.js';
import { combinedPairs, pairKey, sentCopies, sentKey } from './elite-memory.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-elite-memory-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('what the islands remember', () => {
  it('survives a reopen, and a save keeps only keys whose elites are all still live', () => {
    const file = path.join(tmp, 'evoloop.db');
    let store = new Store(file);
    store.createRun(TEST_RUN);
    const pairs = combinedPairs(store, TEST_RUN.id);
    pairs.add(pairKey(7, 3));
    pairs.add(pairKey(3, 9));
    pairs.save(new Set([3, 7]));
    const sent = sentCopies(store, TEST_RUN.id);
    sent.add(sentKey(3, 1));
    sent.add(sentKey(4, 1));
    sent.add(sentKey(3, 2));
    sent.forget((key) => key.endsWith('>2'));
    sent.save(new Set([3, 7]));
    store.close();

    store = new Store(file);
    const pairsAgain = combinedPairs(store, TEST_RUN.id);
    expect(pairsAgain.has(pairKey(3, 7))).toBe(true);
    expect(pairsAgain.has(pairKey(3, 9))).toBe(false);
    expect(store.search.get(TEST_RUN.id, 'islands.sent')).toEqual([sentKey(3, 1)]);
    store.close();
  });
});
