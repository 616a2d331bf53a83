// Reading and writing a numeric literal's text in the syntax of its language: the value,
// whether it is written as an integer, its radix, and a type suffix (C's `f`, `UL`) that
// must survive a change. Forms tune cannot write back faithfully (complex, bigint, hex
// floats) are not numbers to it.

export type Syntax = 'js' | 'python' | 'c' | 'bash' | 'plain';

export interface NumberText {
  value: number;
  /** Written without a fraction or exponent (so a new value is written as an integer). */
  integer: boolean;
  radix: 2 | 8 | 10 | 16 | 'other';
  /** A type suffix kept on the new text (C: u, l, f, ul…). */
  suffix: string;
}

const DECIMAL = /^(\d[\d_']*\.?[\d_']*|\.\d[\d_']*)([eE][+-]?\d+)?$/;

export function readNumber(raw: string, syntax: Syntax): NumberText | undefined {
  let text = raw;
  let sign = 1;
  if (text.startsWith('-') || text.startsWith('+')) {
    sign = text.startsWith('-') ? -1 : 1;
    text = text.slice(1).trimStart();
  }
  let suffix = '';
  if (syntax === 'c') {
    const hex = /^0[xX]/.test(text);
    const m = (hex ? /[uUlL]+$/ : /[uUlLfF]+$/).exec(text);
    if (m) {
      suffix = m[0];
      text = text.slice(0, -suffix.length);
    }
  }
  if (syntax === 'js' && text.endsWith('n')) return undefined; // BigInt
  if (syntax === 'python' && /[jJ]$/.test(text)) return undefined; // imaginary
  if (syntax === 'bash' && text.includes('#')) return { value: NaN, integer: true, radix: 'other', suffix };
  const prefixed = /^0([xXoObB])([0-9a-fA-F_]+)$/.exec(text);
  if (prefixed) {
    const radix = ({ x: 16, o: 8, b: 2 } as const)[prefixed[1].toLowerCase() as 'x' | 'o' | 'b'];
    return { value: sign * parseInt(prefixed[2].replace(/_/g, ''), radix), integer: true, radix, suffix };
  }
  // C and JS's legacy 017 are octal; Python 3 forbids the form.
  if (/^0[0-7]+$/.test(text) && syntax !== 'python') return { value: sign * parseInt(text, 8), integer: true, radix: 8, suffix };
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text.replace(/[_']/g, ''));
  if (!Number.isFinite(value)) return undefined;
  return { value: sign * value, integer: !/[.eE]/.test(text) && !/[fF]/.test(suffix), radix: 10, suffix };
}

/** The text for a new value: integers stay integral, floats stay recognisably floats (6 significant digits). */
export function writeNumber(value: number, integer: boolean, suffix = ''): string {
  return (integer ? String(Math.round(value)) : trimFloat(value)) + suffix;
}

function trimFloat(v: number): string {
  const s = String(Number(v.toPrecision(6)));
  return /[.e]/.test(s) ? s : `${s}.0`;
}
