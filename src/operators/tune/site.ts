// What a language's parser says about one numeric literal, in words every language
// shares, so that one set of rules (classify.ts) decides which literals may move.

/** A part of the program where a number is structure, not a setting (see classify.ts for each reason). */
export type Role =
  | 'index' // a[0], x[1:], a.slice(1), range(1, n)'s start, a loop counter's start or stride
  | 'length' // len(x) - 2, s.length + 1
  | 'import'
  | 'case' // a case label
  | 'type' // a literal type (TS `1 | 2`)
  | 'enum' // an enum member's value
  | 'size' // an array's declared size, a bit-field width
  | 'redirect' // a shell file descriptor (2>&1)
  | 'preprocessor' // #if 0
  | 'exit' // an exit status or signal
  | 'output' // formatting: print/printf/echo arguments, f-string and template interpolations, toFixed(2)
  | 'string' // inside a shell string
  | 'bitwise' // & | ^ << >> % and their compound forms: masks, shifts, parity
  | 'mode' // chmod 755, umask 022
  | 'exponent' // x ** 2, pow(x, 3): a power written as an integer
  | 'date' // datetime(2024, 1, 1), new Date(...)
  | 'seed'; // random.Random(7), np.random.seed(0), srand(42)

export interface Site {
  /** Offsets of the literal's text, including a leading '-' that belongs to it. */
  start: number;
  end: number;
  text: string;
  /** 1-based. */
  line: number;
  /** Whether a '-' may be written here (a value position, not `a - 3` or a shell argument). */
  signable: boolean;
  role?: Role;
  /** Set when the literal is the whole value (or a list element) of a named setting: `rate = 0.3`, `f(k=5)`, `{w: 2}`, `#define N 10`. */
  setting?: { name: string; accumulator: boolean };
}

/** A comment's text and the line it ends on, where `evoloop:` hints live. */
export interface CommentLine {
  line: number;
  text: string;
}

export interface ParsedFile {
  /** The language, as told to the user ("Python"); `undefined` when the file has no parser. */
  language?: string;
  /** How the file was read: "TypeScript compiler", "tree-sitter", or "text scan" (no parser). */
  parser: string;
  sites: Site[];
  comments: CommentLine[];
}

/** A file that does not parse in its language: tune will not guess where its literals are. */
export class ParseError extends Error {
  constructor(
    readonly file: string,
    readonly language: string,
    readonly line: number,
    detail: string,
  ) {
    super(
      `${file}:${line} does not parse as ${language} (${detail}), so tune cannot tell its constants from its structure. Fix: make the file valid ${language} (check it with its own compiler or interpreter), or leave it out of \`edit\`.`,
    );
    this.name = 'ParseError';
  }
}

/** 1-based line numbers by offset, computed once per file. */
export function lineIndex(content: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < content.length; i++) if (content[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
