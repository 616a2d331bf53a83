// The numeric literals the offline operators may change, and where each may go: inside
// EVOLVE-BLOCK regions when a file has them (else the whole file), read with a real
// parser for the file's language, decided by classify.ts. The decisions and inferred
// ranges come from the base's file when the parent's has the same literals in the same
// places, so a range never drifts with the values a run has already moved.
import { remember } from '../../core/bounded-cache.js';
import { evolveRegions } from '../../propose/edit-rules.js';
import { classify } from './classify.js';
import type { Domain } from './domain.js';
import { parseHint } from './hints.js';
import { readerFor } from './languages.js';
import { readNumber, writeNumber } from './number-text.js';
import type { ParsedFile, Site } from './site.js';

export interface Literal {
  /** Offset of the first character (the sign, when the literal carries one). */
  start: number;
  end: number;
  text: string;
  value: number;
  /** Written as an integer; a new value is written as one too. */
  integer: boolean;
  /** A type suffix kept on the new text (C's `f`). */
  suffix: string;
  /** Whether a '-' may be written here; where not, a new value stays non-negative. */
  signed: boolean;
  line: number;
  domain: Domain;
  /** The setting it is the value of, when the parser says (`rate` in `rate = 0.3`). */
  name?: string;
}

export interface Skipped {
  line: number;
  text: string;
  reason: string;
}

export interface FileLiterals {
  path: string;
  /** Undefined when the file's language has no parser and it was scanned as text. */
  language?: string;
  parser: string;
  movable: Literal[];
  skipped: Skipped[];
}

const CACHE_SIZE = 64;
const parsed = new Map<string, Promise<ParsedFile>>();

/** Parses once per (file, content): tune reads the same base file for every proposal. */
function parse(path: string, content: string): Promise<ParsedFile> {
  const key = `${path}\0${content}`;
  return (
    parsed.get(key) ??
    remember(
      parsed,
      key,
      Promise.resolve().then(() => readerFor(path, content).parse(path, content)),
      CACHE_SIZE,
    )
  );
}

/** The file's literals: what moves (with its domain) and what does not (with why). Throws ParseError on a file that does not parse. */
export async function findLiterals(path: string, content: string, base?: string): Promise<FileLiterals> {
  const syntax = readerFor(path, content).syntax;
  const here = await parse(path, content);
  const sites = inRegions(here.sites, content);
  let decideFrom = { file: here, sites, content };
  if (base !== undefined && base !== content) {
    const fromBase = await parse(path, base).catch(() => undefined);
    const baseSites = fromBase && inRegions(fromBase.sites, base);
    if (fromBase && baseSites && aligned(baseSites, sites)) decideFrom = { file: fromBase, sites: baseSites, content: base };
  }
  const hints = new Map<number, string>();
  for (const c of decideFrom.file.comments) if (c.text.includes('evoloop:') && !hints.has(c.line)) hints.set(c.line, c.text);
  const out: FileLiterals = { path, language: here.language, parser: here.parser, movable: [], skipped: [] };
  sites.forEach((site, k) => {
    const origin = decideFrom.sites[k];
    const hintText = hints.get(origin.line);
    const decision = classify(origin, readNumber(origin.text, syntax), hintText === undefined ? undefined : parseHint(hintText), here.language !== undefined);
    const num = readNumber(site.text, syntax);
    if (!decision.move || !num) {
      out.skipped.push({ line: site.line, text: site.text, reason: decision.move ? 'not a plain number' : decision.reason });
      return;
    }
    out.movable.push({
      start: site.start,
      end: site.end,
      text: site.text,
      value: num.value,
      integer: num.integer,
      suffix: num.suffix,
      signed: site.signable,
      line: site.line,
      domain: decision.domain,
      name: site.setting?.name,
    });
  });
  return out;
}

function inRegions(sites: Site[], content: string): Site[] {
  const regions = evolveRegions(content);
  if (regions.length === 0) return sites;
  return sites.filter((s) => regions.some((r) => r.start <= s.start && s.end <= r.end));
}

/** Same literals in the same places: only values differ (what tune's own changes do). */
function aligned(a: Site[], b: Site[]): boolean {
  return a.length === b.length && a.every((s, k) => s.line === b[k].line && s.role === b[k].role && s.setting?.name === b[k].setting?.name);
}

/** The text to put in place of a literal, keeping integers integral and suffixes. */
export function formatLiteral(lit: Pick<Literal, 'integer' | 'suffix'>, value: number): string {
  return writeNumber(value, lit.integer, lit.suffix);
}
