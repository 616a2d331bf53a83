// Token counts for prompts and replies. The tokenizer's tables take about half a second to
// load, so they are loaded on the first count, not by every command that imports the run loop.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let count: ((text: string) => number) | undefined;

export function countTokens(text: string): number {
  count ??= (require('gpt-tokenizer') as typeof import('gpt-tokenizer')).countTokens;
  return count(text);
}
