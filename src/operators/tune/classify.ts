// Which literals may move, and where to: one set of rules over what a language's parser
// said about each literal (site.ts). Structure never moves, hint or not: changing an index,
// a file descriptor or a format width cannot be a tuning. A hint wins over everything else.
// Without one, the rules below keep out what is almost never a tuning, and the range is
// inferred from the value (domain.ts).
import { inferRange, type Domain } from './domain.js';
import { hintFor, type Hint } from './hints.js';
import type { NumberText } from './number-text.js';
import type { Role, Site } from './site.js';

export type Decision = { move: true; domain: Domain } | { move: false; reason: string };

const STRUCTURE: Partial<Record<Role, string>> = {
  index: 'an index, slice bound or loop stride',
  length: 'arithmetic on a length',
  import: 'part of an import',
  case: 'a case label',
  type: 'a literal type',
  enum: 'an enum value',
  size: 'an array size or bit-field width',
  redirect: 'a file descriptor',
  preprocessor: 'a preprocessor condition',
  exit: 'an exit status or signal',
  output: 'formats or parses text (print, format width, f-string)',
  string: 'inside a string',
  bitwise: 'bit or modular arithmetic (mask, shift, parity)',
  mode: 'a file mode',
};

/** Words in a setting's name that say it is an identity, a format or a seed, not a tuning. */
const NOT_TUNINGS = new Set([
  'port',
  'version',
  'year',
  'month',
  'day',
  'date',
  'seed',
  'axis',
  'dim',
  'ndim',
  'indent',
  'precision',
  'digits',
  'decimals',
  'ndigits',
  'base',
  'radix',
  'id',
  'pid',
  'uid',
  'gid',
  'fd',
  'errno',
  'status',
  'exit',
  'verbose',
  'verbosity',
  'debug',
]);
const SENTINEL = 1e9;

/** What tune does with a literal; `parsed` is false for files read without a parser, where every number moves as before. */
export function classify(site: Site, num: NumberText | undefined, hint: Hint | undefined, parsed: boolean): Decision {
  if (!num) return { move: false, reason: 'not a plain number (complex, BigInt, hex float, base#digits)' };
  const structure = site.role && STRUCTURE[site.role];
  if (parsed && structure) return { move: false, reason: structure };
  if (hint) {
    const h = 'range' in hint ? hintFor(hint.range, num.integer) : hint;
    return 'range' in h ? { move: true, domain: { kind: 'range', source: 'hint', ...h.range } } : { move: false, reason: `hint not used: ${h.error}` };
  }
  if (!parsed) return { move: true, domain: { kind: 'relative' } };
  const unhinted = unhintedReason(site, num);
  if (unhinted) return { move: false, reason: unhinted };
  const range = inferRange(num.value, num.integer)!;
  return { move: true, domain: { kind: 'range', source: 'inferred', ...range } };
}

/** Why a literal without a hint stays, when it does. */
function unhintedReason(site: Site, num: NumberText): string | undefined {
  if (site.role === 'exponent' && num.integer) return 'an integer power (x ** 2)';
  if (site.role === 'date') return 'part of a date';
  if (site.role === 'seed') return 'a random seed (moving it fishes for luck)';
  if (num.radix !== 10) return 'written in hex, octal or binary: a bit pattern or a code';
  if (num.value === 0) return 'zero: no scale to infer a range from (give it a hint)';
  if (Math.abs(num.value) >= SENTINEL) return 'a sentinel or limit (1e9 or more)';
  if (Math.abs(num.value) === 1 && !site.setting) return '±1: an offset, identity or flag';
  if (Math.abs(num.value) === 1 && site.setting?.accumulator) return `starts the counter or accumulator ${site.setting.name}`;
  const word = site.setting && nameWords(site.setting.name).find((w) => NOT_TUNINGS.has(w));
  if (word) return `named "${site.setting!.name}": a ${word}, not a tuning`;
  return undefined;
}

/** snake_case, camelCase and kebab-case words, lower case. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}
