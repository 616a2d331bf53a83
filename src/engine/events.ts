// What a run tells its observers (terminal, dashboard, library users). The store keeps
// the same events, so a dashboard opened later sees the whole history.
import type { CandidateStatus } from '../core/types.js';

export type EvolutionEvent =
  | {
      type: 'run-start';
      runId: string;
      resumed: boolean;
      /** Candidates the run had before this session (all count against the candidates budget). */
      done: number;
      baseCommit: string;
      operators: string[];
      notice?: string;
      budget: { candidates?: number; timeMs?: number; usd?: number; target?: number; patience?: number };
    }
  | { type: 'baseline'; candidateId: number; score: number; samples: number[]; noise: { median: number; mad: number; cv: number } }
  | { type: 'proposed'; candidateId: number; operator: string; description: string }
  | { type: 'decided'; candidateId: number; status: CandidateStatus; reason?: string; operator: string }
  | { type: 'champion'; candidateId: number; score: number; previous: number; gain: number }
  | { type: 'notice'; message: string }
  /** `error`: the run could not go on (stuck, a model refused or unreachable); the CLI exits 1. */
  | { type: 'run-stop'; runId: string; status: 'finished' | 'interrupted' | 'failed'; reason: string; error?: boolean };
