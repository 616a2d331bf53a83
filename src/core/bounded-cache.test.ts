import { describe, expect, it } from 'vitest';
import { remember } from './bounded-cache.js';

describe('remember', () => {
  it('keeps at most `size` entries, dropping the oldest, and returns the value it set', () => {
    const cache = new Map<string, number>();
    expect(remember(cache, 'a', 1, 2)).toBe(1);
    remember(cache, 'b', 2, 2);
    remember(cache, 'c', 3, 2);
    expect([...cache]).toEqual([
      ['b', 2],
      ['c', 3],
    ]);
  });
});
