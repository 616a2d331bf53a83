import { countTokens as tokenizerCount } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/random.js';
import { countTokens } from './tokens.js';

describe('countTokens', () => {
  it("is the tokenizer's count of the whole text, for any text, counted once or again (chunks are cached)", () => {
    // Characters the pre-tokenizer treats differently at a line start: "/" (joins a punctuation
    // run across the newline), whitespace of all kinds, contractions, digits, marks, astral code points.
    const alphabet = [
      'a',
      'Z',
      's',
      '1',
      '9',
      ' ',
      '  ',
      '\t',
      '\n',
      '\n',
      '\r\n',
      '/',
      '//',
      "'",
      "'s",
      ')',
      '#',
      '-',
      '```',
      'é',
      'e\u0301',
      '\u00a0',
      '\u2028',
      '😀',
      '中',
    ];
    const random = seededRandom(7);
    const texts = Array.from({ length: 1500 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 80) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''),
    );
    for (const text of [...texts, ...texts]) expect(countTokens(text), JSON.stringify(text)).toBe(tokenizerCount(text));
  });

  it('counts a program and its edited copy exactly, the copy sharing cached lines', () => {
    const program = Array.from({ length: 300 }, (_, i) => `export function f${i}(x) {\n  // step ${i}\n  return x * ${i} + ${i % 7};\n}`).join('\n');
    const edited = program.replace('return x * 17 +', 'return (x >> 1) * 17 +').replace('// step 200', '/* step two hundred */');
    for (const text of [program, edited, `${program}\n`, `\n${edited}`, '']) expect(countTokens(text)).toBe(tokenizerCount(text));
  });
});
