// Token counts for prompts and replies. The tokenizer's tables take about half a second to
// load, so they are loaded on the first count, not by every command that imports the run loop.
//
// A prompt is built for every proposal and most of its lines (the program, the inspirations,
// the lessons) were in the previous prompts, so a count is the sum of cached counts of its
// chunks, exactly the tokenizer's count of the whole: o200k's pre-tokenizer never joins the
// characters either side of a line start whose first character is neither whitespace nor "/"
// (no split pattern crosses a "\n" into such a character), and BPE works within those pieces.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let count: ((text: string) => number) | undefined;

/** Characters of chunk text the cache keeps (the first cached go first). */
const CACHE_CHARS = 1_000_000;
const cache = new Map<string, number>();
let cachedChars = 0;

export function countTokens(text: string): number {
  count ??= (require('gpt-tokenizer') as typeof import('gpt-tokenizer')).countTokens;
  let total = 0;
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0 && nl < text.length - 1; nl = text.indexOf('\n', nl + 1)) {
    if (!isChunkStart(text, nl + 1)) continue;
    total += chunkTokens(text.slice(start, nl + 1));
    start = nl + 1;
  }
  return total + chunkTokens(text.slice(start));
}

/** A line start the pre-tokenizer always splits at (see the header). */
function isChunkStart(text: string, at: number): boolean {
  const ch = text[at];
  return ch !== '/' && !/\s/.test(ch);
}

function chunkTokens(chunk: string): number {
  const known = cache.get(chunk);
  if (known !== undefined) return known;
  const n = count!(chunk);
  if (chunk.length <= CACHE_CHARS / 100) {
    // A copy (UTF-16 both ways: lossless), never the slice: that would keep the whole prompt it was cut from alive.
    cache.set(Buffer.from(chunk, 'utf16le').toString('utf16le'), n);
    cachedChars += chunk.length;
    for (const [old] of cache) {
      if (cachedChars <= CACHE_CHARS) break;
      cache.delete(old);
      cachedChars -= old.length;
    }
  }
  return n;
}
