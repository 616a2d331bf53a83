// Lessons: the memory of what was tried in this run, one line per attempt, so that the
// proposer does not retry what failed. Read from the store (the single source of truth).
// Failure reasons quote the candidate's output (stderr tails, metrics lines), so each line
// is redacted before it is cut to one line; the prompt shows them fenced as untrusted.
import { improvement } from '../core/fitness.js';
import type { Goal } from '../core/types.js';
import type { CandidateRecord, Store } from '../store/store.js';
import { redact, type Secret } from './untrusted-output.js';

export interface Lesson {
  candidateId: number;
  /** Accepted changes stay longest when the prompt must be trimmed. */
  notable: boolean;
  text: string;
}

const MAX_LINE = 240;

/** Accepted candidates kept as lessons beyond the recent ones: the latest this many. */
const MAX_NOTABLE = 20;

/**
 * The run's attempts (baseline excluded), oldest first: the recent ones and the latest accepted
 * ones. With `island` (the child's island), only that island's: islands evolve in isolation, and
 * what another island tried reaches a prompt only as a labelled inspiration.
 */
export function readLessons(
  store: Store,
  runId: string,
  goal: Goal,
  opts: { recent?: number; secrets?: readonly Secret[]; island?: number | null } = {},
): Lesson[] {
  // Bounded reads: a prompt is built for every proposal, and a run may hold 100,000 candidates.
  return store.queries.lessonRows(runId, opts.island ?? null, opts.recent ?? 40, MAX_NOTABLE).map((c) => ({
    candidateId: c.id,
    notable: c.status === 'accepted',
    text: lessonLine(c, c.parentScore, goal, opts.secrets),
  }));
}

/** `#12 (llm-diff) <what changed> → <outcome>`, redacted (see untrusted-output.ts). */
export function lessonLine(
  c: Pick<CandidateRecord, 'id' | 'operator' | 'description' | 'status' | 'reason' | 'score'>,
  parentScore: number | null,
  goal: Goal,
  secrets: readonly Secret[] = [],
): string {
  const what = oneLine(redact(c.description, secrets)) || '(no description)';
  return clip(`#${c.id} (${c.operator}) ${what} → ${outcome({ ...c, reason: c.reason === null ? null : redact(c.reason, secrets) }, parentScore, goal)}`);
}

function outcome(c: Pick<CandidateRecord, 'status' | 'reason' | 'score'>, parentScore: number | null, goal: Goal): string {
  const reason = oneLine(c.reason ?? '');
  const gain = c.score !== null && parentScore !== null ? improvement(c.score, parentScore, goal) : undefined;
  switch (c.status) {
    case 'accepted':
      return gain !== undefined ? `accepted (better by ${fmt(gain)}, score ${fmt(c.score!)})` : 'accepted';
    case 'rejected':
      if (gain !== undefined && gain <= 0) return `rejected: worse by ${fmt(-gain)} (score ${fmt(c.score!)})`;
      return `rejected: ${gain !== undefined ? `only ${fmt(gain)} better, ` : ''}${reason || 'not a real improvement'}`;
    case 'failed':
      return `failed: ${reason}`;
    case 'invalid':
      return `invalid: ${reason}`;
    case 'duplicate':
      return `duplicate: ${reason || 'already tried'}`;
    case 'tampered':
      return `tampered with protected files: ${reason}`;
    case 'pending':
      return 'being evaluated now';
    default:
      return c.status;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function clip(s: string): string {
  return s.length > MAX_LINE ? `${s.slice(0, MAX_LINE - 1)}…` : s;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.001 && v !== 0) ? v.toPrecision(4) : String(Number(v.toPrecision(6)));
}
