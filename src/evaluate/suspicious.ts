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
}

export function suspiciousFlags({ patch, feedback, protectedPaths }: SuspicionInput): string[] {
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
  if (specialCasesFeedback(added, feedback)) flags.push('suspicious:special-cases-feedback');
  return flags;
}

/** Added literals (numbers with 4+ digits, strings of 6+ chars) that the verifier's feedback had shown. */
function specialCasesFeedback(added: string[], feedback: string[]): boolean {
  const text = feedback.join('\n');
  if (!text) return false;
  for (const line of added) {
    for (const m of line.matchAll(/"([^"]{6,})"|'([^']{6,})'|(?<![\w.])(-?\d[\d.]{3,})(?![\w.])/g)) {
      const literal = m[1] ?? m[2] ?? m[3];
      if (literal && text.includes(literal)) return true;
    }
  }
  return false;
}
