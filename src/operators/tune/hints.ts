// `evoloop: min..max [log] [int] [step S]` in a comment on a literal's line: the user's
// word on where that literal may go, which always wins over an inferred range. A hint
// that cannot be honoured is an error the user is shown, never silently dropped.
import type { Range } from './domain.js';

export const HINT_SYNTAX = '`evoloop: min..max [log] [int] [step S]`';

const NUM = '[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?';
const HINT = new RegExp(`evoloop:\\s*(${NUM})\\s*\\.\\.\\s*(${NUM})([^;,(#*—]*)`);
const WORD = new RegExp(`^(?:log|int|step(?:=(${NUM}))?)$`);

export type Hint = { range: Range } | { error: string };

/** The hint in a comment's text, if it has one (`evoloop:` followed by a range). */
export function parseHint(comment: string): Hint | undefined {
  const at = comment.indexOf('evoloop:');
  if (at === -1) return undefined;
  const m = HINT.exec(comment.slice(at));
  if (!m) return { error: `expected ${HINT_SYNTAX} after "evoloop:"` };
  const a = Number(m[1]);
  const b = Number(m[2]);
  const range: Range = { min: Math.min(a, b), max: Math.max(a, b), log: false, integer: false };
  // Options run to the end of the comment or to punctuation (`; note`, `(note)`), so a note may follow.
  const words = m[3].trim().split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const w = WORD.exec(words[i]);
    if (!w) return { error: `"${words[i]}" is not an option (expected ${HINT_SYNTAX})` };
    if (words[i] === 'log') range.log = true;
    else if (words[i] === 'int') range.integer = true;
    else {
      const s = w[1] ?? words[++i];
      if (s === undefined || !new RegExp(`^${NUM}$`).test(s)) return { error: 'step needs a number, e.g. `step 0.05`' };
      range.step = Number(s);
    }
  }
  const problem = rangeProblem(range);
  return problem ? { error: problem } : { range };
}

function rangeProblem(r: Range): string | undefined {
  if (r.min === r.max) return `the range ${r.min}..${r.max} is a single value; nothing to tune`;
  if (r.log && r.min <= 0 && r.max >= 0) return `a log scale needs bounds of one sign, not 0 or across 0 (got ${r.min}..${r.max})`;
  if (r.log && r.step !== undefined) return 'a step grid and a log scale do not combine; use one';
  if (r.step !== undefined && !(r.step > 0)) return 'step must be above 0';
  if (r.step !== undefined && r.step > r.max - r.min) return `step ${r.step} is wider than the range ${r.min}..${r.max}`;
  if (r.integer && Math.ceil(r.min) >= Math.floor(r.max)) return `int leaves at most one whole number in ${r.min}..${r.max}`;
  return undefined;
}

/** The hint for a literal of this kind: an integer literal moves in whole steps only. */
export function hintFor(range: Range, integerLiteral: boolean): Hint {
  const r = { ...range, integer: range.integer || integerLiteral };
  if (r.integer && r.step !== undefined && !Number.isInteger(r.step)) return { error: `step ${r.step} is not whole, but the literal is an integer` };
  const problem = rangeProblem(r);
  return problem ? { error: problem } : { range: r };
}
