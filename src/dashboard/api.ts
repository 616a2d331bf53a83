// The shapes of the dashboard's JSON API, shared by the server's queries and the page
// (type-only imports on the page side: nothing of the server is bundled).

/** One row of the candidate table (store.queries.candidatePage): the columns a list shows, text cut to 240 characters. */
export interface CandidateRow {
  id: number;
  parentId: number | null;
  status: string;
  operator: string;
  model: string | null;
  island: number | null;
  score: number | null;
  description: string;
  reason: string | null;
  flags: string[];
  tokens: number;
  usd: number;
  finishedAt: number | null;
  evalMs: number | null;
}

export interface Progress {
  goal: 'maximize' | 'minimize';
  start: number;
  baseline: number | null;
  target: number | null;
  /** Evaluated candidates in the order they finished, as columns (compact for 100,000 points); `t` is ms after `start`. */
  points: { id: number[]; t: number[]; score: (number | null)[]; kind: number[] };
  /** Baseline and every accepted champion, in order, with the range of its samples (its noise band). */
  champions: { id: number; t: number; score: number; lo: number; hi: number }[];
}

export interface LineageNode {
  id: number;
  parentId: number | null;
  /** Every parent, primary first (a merge or crossover has two). */
  parents: number[];
  status: string;
  score: number | null;
  operator: string;
  /** Children left out of the tree to keep it readable (shown as "+N more"). */
  hidden: number;
}
