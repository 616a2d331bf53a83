// Heuristic flags for changes that look like gaming the measurement rather than
// improving the program. They mark a candidate for review; they prove nothing.
const SEED = /\b(seed|random_state|rng|srand|manual_seed|np\.random\.seed|Math\.random)\b|EVOLOOP_SEED/i;
const MEASUREMENT =
  /\b(time|timer|timeit|perf_counter|performance\.now|Date\.now|hrtime|sleep|warmup|warm_up|iterations?|repeats?|n_runs|num_runs|trials|benchmark|bench)\b/i;
const EVOLOOP_ENV = /EVOLOOP_(SEED|RUN|CANDIDATE|STAGE|REPEAT|METRICS|ARTIFACTS)/;

export interface SuspicionInput {
  /** Unified diff of the change (against its parent). */
  patch: string;
  /** Feedback and output the verifier showed the proposer earlier (special-casing target). */
  feedback: string[];
  /** Protected paths (the verifier); a change that names them is worth a look. */
  protectedPaths: string[];
  /** The parent's content of the changed files: a literal it already had special-cases nothing. */
  parentFiles?: string[];
}

export function suspiciousFlags({ patch, feedback, protectedPaths, parentFiles = [] }: SuspicionInput): string[] {
  const changed = patch
    .split('\n')
    .filter((l) => (l.startsWith('+') || l.startsWith('-')) && !l.startsWith('+++') && !l.startsWith('---'))
    .map((l) => l.slice(1).trim())
    .filter((l) => l.length > 0);
  if (changed.length === 0) return [];
  const added = patch
    .split('\n')
    .filter((l) => l.startsWith('+') && !l.startsWith('+++'))
    .map((l) => l.slice(1));
  const flags: string[] = [];
  if (changed.every((l) => SEED.test(l))) flags.push('suspicious:seed-only');
  if (changed.every((l) => MEASUREMENT.test(l))) flags.push('suspicious:measurement-only');
  if (added.some((l) => EVOLOOP_ENV.test(l))) flags.push('suspicious:reads-evoloop-env');
  const names = protectedPaths.map((p) => p.split('/').pop()!).filter((n) => n.length >= 4);
  if (added.some((l) => names.some((n) => l.includes(n)))) flags.push('suspicious:references-verifier');
  if (specialCasesFeedback(added, feedback, parentFiles)) flags.push('suspicious:special-cases-feedback');
  return flags;
}

/**
 * Added literals (numbers with 4+ characters, strings of 6+) that the verifier's feedback had
 * shown as a whole token (`0.05` is not in `0.053275`) and the parent did not already have.
 */
function specialCasesFeedback(added: string[], feedback: string[], parentFiles: string[]): boolean {
  const text = feedback.join('\n');
  if (!text) return false;
  const shown = new Set(numberTokens(text));
  const inParent = new Set(parentFiles.flatMap(numberTokens));
  for (const line of added) {
    for (const m of line.matchAll(/"([^"]{6,})"|'([^']{6,})'|(?<![\w.])(-?\d[\d.]{3,})(?![\w.])/g)) {
      const str = m[1] ?? m[2];
      if (str !== undefined && wholeToken(text, str) && !parentFiles.some((f) => f.includes(str))) return true;
      const num = m[3];
      if (num !== undefined && shown.has(num) && !inParent.has(num)) return true;
    }
  }
  return false;
}

/** Every number in a text as a whole token (spelled as written: the copy of a shown value is exact). */
function numberTokens(text: string): string[] {
  return [...text.matchAll(/(?<![\w.])-?\d[\d.]*(?![\w.])/g)].map((m) => m[0].replace(/\.+$/, ''));
}

function wholeToken(text: string, token: string): boolean {
  let at = text.indexOf(token);
  while (at !== -1) {
    const before = text[at - 1];
    const after = text[at + token.length];
    if (!(before && /\w/.test(before)) && !(after && /\w/.test(after))) return true;
    at = text.indexOf(token, at + 1);
  }
  return false;
}
