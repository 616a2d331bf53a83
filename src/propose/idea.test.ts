import { describe, expect, it } from 'vitest';
import { ideaOf } from './idea.js';

describe('ideaOf', () => {
  it('reads the Idea line in its usual spellings', () => {
    expect(ideaOf('Idea: cache the sums\n<<<<<<< SEARCH')).toBe('cache the sums');
    expect(ideaOf('Some thoughts.\n**Idea:** use a heap\n')).toBe('use a heap');
    expect(ideaOf('- idea: fewer rows')).toBe('fewer rows');
  });

  it('falls back to the first line of prose, never to code or a path', () => {
    expect(ideaOf('\nSwap the loops for speed.\npack.mjs\n<<<<<<< SEARCH')).toBe('Swap the loops for speed.');
    expect(ideaOf('pack.mjs\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE')).toBeUndefined();
    expect(ideaOf('```js\ncode\n```')).toBeUndefined();
  });
});
