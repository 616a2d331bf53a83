// The literals tune will move, as a table a user can check and copy hints from: printed
// once when a run starts, and in full by `evoloop literals`.
import { describeRange } from './domain.js';
import { HINT_SYNTAX } from './hints.js';
import { PARSED_LANGUAGES } from './languages.js';
import type { FileLiterals, Literal } from './literals.js';

/** The range column: the hint that gives the literal's range, or how a file without a parser moves. */
export function rangeText(lit: Literal): string {
  return lit.domain.kind === 'range' ? describeRange(lit.domain) : 'relative steps (no parser; a hint bounds it)';
}

/** `operator` names who moves them (tune by default; cmaes and bayes move the same literals). */
export function literalTable(files: FileLiterals[], opts: { problems?: string[]; limit?: number; listSkipped?: boolean; operator?: string } = {}): string {
  const lines: string[] = [];
  const movable = files.flatMap((f) => f.movable.map((lit) => ({ f, lit })));
  const parsed = files.filter((f) => f.language !== undefined);
  const read = parsed.map((f) => `${f.path} (${f.language}, ${f.parser})`);
  const inferred = movable.some(({ lit }) => lit.domain.kind === 'range' && lit.domain.source === 'inferred');
  lines.push(
    `${opts.operator ?? 'tune'} moves ${movable.length} literal${movable.length === 1 ? '' : 's'}${read.length ? ` in ${read.join(', ')}` : ''}${
      inferred ? `. Ranges marked "inferred" come from the value; to change one, put its hint (${HINT_SYNTAX}) in a comment on its line` : ''
    }:`,
  );
  const rows = movable
    .slice(0, opts.limit ?? movable.length)
    .map(({ f, lit }) => [
      `${f.path}:${lit.line}`,
      lit.name ? `${lit.name} = ${lit.text}` : lit.text,
      rangeText(lit),
      lit.domain.kind === 'range' ? lit.domain.source : '',
    ]);
  lines.push(...columns(rows).map((r) => `  ${r}`));
  if (movable.length > rows.length) lines.push(`  … and ${movable.length - rows.length} more (\`evoloop literals\` lists them all)`);
  for (const f of files.filter((x) => x.language === undefined)) {
    lines.push(
      `${f.path}: no parser for its language (${PARSED_LANGUAGES} have one), so every number outside comments and strings may move, as before; hints bound them.`,
    );
  }
  const skipped = files.flatMap((f) => f.skipped.map((s) => ({ f, s })));
  if (skipped.length > 0 && !opts.listSkipped) {
    const reasons = new Map<string, number>();
    for (const { s } of skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
    const top = [...reasons].sort((a, b) => b[1] - a[1]);
    lines.push(`Left alone: ${skipped.length} (${top.map(([r, n]) => `${n} ${r}`).join('; ')}); \`evoloop literals\` lists each.`);
  } else if (skipped.length > 0) {
    lines.push(`Left alone (${skipped.length}):`);
    lines.push(...columns(skipped.map(({ f, s }) => [`${f.path}:${s.line}`, s.text, s.reason])).map((r) => `  ${r}`));
  }
  for (const p of opts.problems ?? []) lines.push(`!! ${p}`);
  return lines.join('\n');
}

/** Rows padded into aligned columns (the last column is not padded). */
function columns(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, k) => Math.max(...rows.map((r) => r[k].length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, k) => (k === r.length - 1 ? cell : cell.padEnd(widths[k])))
      .join('  ')
      .trimEnd(),
  );
}
