// The editable literals as one point of the unit cube, for the optimizers that move them
// all at once (cmaes, bayes): coordinate i is literal i's position in its range on its
// scale (domain.ts), read from a program's files and written back into them. Literals
// without a range (files no parser reads) are left to tune.
import type { FileSet } from '../../core/types.js';
import { fromUnit, gridUnit, snap, toUnit, type Range } from './domain.js';
import { findLiterals, formatLiteral, type FileLiterals, type Literal } from './literals.js';

export interface Coordinate {
  path: string;
  lit: Literal;
  range: Range;
}

export interface LiteralSpace {
  coords: Coordinate[];
  /** The literals' places (file, line, setting): a program with another signature is another search space. */
  signature: string;
  /** Each file's content as read, for writing a point back. */
  contents: Map<string, string>;
  /** Literals that move only by tune's relative steps (no parser, no hint). */
  unbounded: number;
  problems: string[];
}

/** Each editable file's literals; files that cannot be read are returned as messages. */
export async function readLiterals(files: string[], read: (p: string) => Promise<string | undefined>, base?: (p: string) => Promise<string | undefined>) {
  const found: { literals: FileLiterals; content: string }[] = [];
  const problems: string[] = [];
  for (const path of files) {
    const content = await read(path);
    if (content === undefined) continue;
    try {
      found.push({ literals: await findLiterals(path, content, await base?.(path)), content });
    } catch (err) {
      const message = (err as Error).message;
      problems.push(message.startsWith(path) ? message : `${path}: ${message}`);
    }
  }
  return { found, problems };
}

/** The space of a program's bounded literals, as its files have them. */
export async function literalSpace(
  files: string[],
  read: (p: string) => Promise<string | undefined>,
  base?: (p: string) => Promise<string | undefined>,
): Promise<LiteralSpace> {
  const { found, problems } = await readLiterals(files, read, base);
  const coords: Coordinate[] = [];
  let unbounded = 0;
  for (const f of found) {
    for (const lit of f.literals.movable) {
      if (lit.domain.kind === 'range') coords.push({ path: f.literals.path, lit, range: lit.domain });
      else unbounded++;
    }
  }
  return {
    coords,
    signature: coords.map((c) => `${c.path}:${c.lit.line}:${c.lit.name ?? ''}`).join('\n'),
    contents: new Map(found.map((f) => [f.literals.path, f.content])),
    unbounded,
    problems,
  };
}

/** Where the program's literals are now, in the unit cube. */
export function pointOf(space: LiteralSpace): number[] {
  return space.coords.map((c) => toUnit(c.range, c.lit.value));
}

/** The literal value at unit position u: on the literal's grid, inside its range, non-negative where no sign can be written. */
export function valueAt(c: Coordinate, u: number): number {
  const v = fromUnit(c.range, u);
  return !c.lit.signed && v < 0 ? snap(c.range, -v) : v;
}

/**
 * A point written into the files: the new contents of every file with a changed literal, a
 * note per change, and the point as written (each value as its text reads back, on its scale).
 */
export function writePoint(space: LiteralSpace, u: number[]): { changes: FileSet; notes: string[]; written: number[] } {
  const byFile = new Map<string, { lit: Literal; value: number }[]>();
  const notes: string[] = [];
  const written = space.coords.map((c, i) => {
    const value = valueAt(c, u[i]);
    // Writers emit decimal text (with a kept suffix such as C's `f`), which parseFloat reads back.
    const asRead = parseFloat(formatLiteral(c.lit, value));
    if (value === c.lit.value) return toUnit(c.range, c.lit.value);
    byFile.set(c.path, [...(byFile.get(c.path) ?? []), { lit: c.lit, value }]);
    notes.push(`${c.path}:${c.lit.line} ${c.lit.text} → ${formatLiteral(c.lit, value)}`);
    return toUnit(c.range, asRead);
  });
  const changes: FileSet = {};
  for (const [path, edits] of byFile) {
    let content = space.contents.get(path)!;
    // From the end, so earlier offsets stay valid.
    for (const { lit, value } of edits.sort((a, b) => b.lit.start - a.lit.start))
      content = content.slice(0, lit.start) + formatLiteral(lit, value) + content.slice(lit.end);
    changes[path] = content;
  }
  return { changes, notes, written };
}

/** Where a coordinate's value stops rounding to the same grid value: the unit-space distance from u to the nearer edge; undefined when continuous. */
export function distanceToNextValue(c: Coordinate, u: number): number | undefined {
  const unit = gridUnit(c.range);
  if (unit === undefined) return undefined;
  const v = fromUnit(c.range, u);
  const lo = toUnit(c.range, v - unit / 2);
  const hi = toUnit(c.range, v + unit / 2);
  return Math.max(0, Math.min(u - lo, hi - u));
}

/**
 * The smallest unit-space move that changes what is written at u: one grid step, or one in
 * the sixth significant digit (what writeNumber keeps) for a continuous literal.
 */
export function resolutionAt(c: Coordinate, u: number): number {
  const unit = gridUnit(c.range);
  const v = fromUnit(c.range, u);
  const digit = unit ?? (v === 0 ? 1e-12 : 10 ** (Math.floor(Math.log10(Math.abs(v))) - 5));
  const up = toUnit(c.range, v + digit) - toUnit(c.range, v);
  return up > 0 ? up : toUnit(c.range, v) - toUnit(c.range, v - digit);
}

/** A short description of a proposal: the first few changes, and how many more. */
export function describeChanges(notes: string[], shown = 4): string {
  if (notes.length <= shown) return notes.join('; ');
  return `${notes.slice(0, shown).join('; ')}; … ${notes.length - shown} more`;
}
