import { describe, expect, it } from 'vitest';
import { changeHash } from './patch-hash.js';

describe('changeHash', () => {
  const child = { 'src/a.py': 'def f(x):\n    return x * 2\n', 'src/b.py': 'y = 1\n' };

  it('is a sha256 hex digest, stable across calls', () => {
    expect(changeHash(child)).toMatch(/^[0-9a-f]{64}$/);
    expect(changeHash(child)).toBe(changeHash({ ...child }));
  });

  it('ignores path order, CRLF, trailing whitespace and trailing newlines', () => {
    const same = {
      'src/b.py': 'y = 1',
      'src/a.py': 'def f(x):   \r\n    return x * 2\t\r\n\r\n\n',
    };
    expect(changeHash(same)).toBe(changeHash(child));
  });

  it('sees real differences: code, indentation, paths, files added', () => {
    const h = changeHash(child);
    expect(changeHash({ ...child, 'src/b.py': 'y = 2\n' })).not.toBe(h);
    expect(changeHash({ ...child, 'src/a.py': 'def f(x):\n  return x * 2\n' })).not.toBe(h);
    expect(changeHash({ 'src/a.py': child['src/a.py'], 'src/c.py': 'y = 1\n' })).not.toBe(h);
    expect(changeHash({ ...child, 'src/new.py': '' })).not.toBe(h);
    expect(changeHash({ 'src/a.py': child['src/a.py'] })).not.toBe(h);
  });

  it('cannot be fooled by moving text between the path and the content', () => {
    expect(changeHash({ a: 'b\u0000c' })).not.toBe(changeHash({ 'a\u0000b': 'c' }));
    expect(changeHash({ ab: 'c' })).not.toBe(changeHash({ a: 'bc' }));
  });

  it('gives the empty change one hash', () => {
    expect(changeHash({})).toBe(changeHash({}));
    expect(changeHash({})).not.toBe(changeHash({ a: '' }));
  });
});
