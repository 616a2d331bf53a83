// What a probe is: a small declarative entry the runner (runner.ts) carries out. A program
// probe turns the user's own program into one or more attack candidates (steps the attack
// kit runs, an output transform, or a plain source edit) and says which outcome counts as
// contained; a check probe answers from the baseline alone (the acceptance rule on the
// measured noise, a re-measurement, a prompt built without a model call).
import type { Config } from '../config/schema.js';
import type { FileSet, Goal, Metrics } from '../core/types.js';
import type { EditRules } from '../propose/edit-rules.js';
import type { Store } from '../store/store.js';
import type { Step, Transform } from './kit.js';
import type { Language } from './inject.js';

export type Outcome = 'contained' | 'detected' | 'let-through' | 'skipped';

export type Family = 'forgery' | 'tampering' | 'degenerate' | 'awareness' | 'noise' | 'measures' | 'holdout' | 'prompt';

export interface Judgement {
  outcome: Outcome;
  reason: string;
  /** What to change in the verifier or config (always given for let-through). */
  fix?: string;
}

/** One attack candidate: what the kit does first, whether the program then goes on, and how its stdout is rewritten. */
export interface Attack {
  /** Told in the result, e.g. "prints METRIC sum_radii=1e308 and exits 0". */
  label: string;
  steps?: Step[];
  /** After the steps: run the program as usual (default) or exit with this code. */
  exit?: number;
  transform?: Transform;
  /** A plain edit instead of (or before) injected code: the changes to propose, or a reason it cannot apply. */
  edit?: (ctx: ProbeContext) => FileSet | string;
  /** True when the marks of its first measurement already settle it (e.g. every write refused): it is not raced further. */
  settled?(marks: string[]): boolean;
}

/** What happened to one attack candidate. */
export interface Observation {
  attack: Attack;
  /** Refused before running (admission), or failed in a stage: the reason. */
  refused?: string;
  failed?: { kind: string; message: string };
  /** The race against the baseline, when it was measured. */
  verdict?: { decision: 'accept' | 'reject'; reason: string; median: number };
  flags: string[];
  /** Lines the kit wrote to the marker file while the candidate ran (ran, transformed, read:…, seen:…). */
  marks: string[];
  candidateId?: number;
}

export interface ProbeContext {
  config: Config;
  rules: EditRules;
  goal: Goal;
  objectiveMetrics: string[];
  baseline: { samples: number[]; score: number; metrics: Metrics };
  /** The editable files the probes can attack, with their language. */
  programs: { path: string; content: string; language: Language | undefined }[];
  /** Base files a stage command names or that are protected (problem-relative). */
  verifierFiles: string[];
  protectedFiles: string[];
  /** evoloop's holdout files (context-files.ts) plus files with "holdout" in their path. */
  holdoutFiles: string[];
  sandbox: boolean;
  /** The audit worktree's problem folder and top level (absolute; the candidate runs there). */
  dir: string;
  root: string;
  readBase(p: string): Promise<string | undefined>;
}

/** What a check probe and a custom judge may use besides the observations. */
export interface ProbeTools {
  store: Store;
  runId: string;
  problemDir: string;
  configFile: string;
  baseFiles: string[];
  /** Measures the unchanged program again under a fresh candidate id (`repeats` samples, not raced), or why it failed. */
  remeasure(repeats: number): Promise<{ samples: number[] } | { failed: string }>;
  /** Seeded randomness for simulations (the same audit gives the same figures). */
  random: () => number;
}

interface ProbeBase {
  name: string;
  family: Family;
  /** One line: what the probe tries. */
  tries: string;
  /** In `--probes fast`. */
  fast: boolean;
  /** Why it does not apply to this problem, if it does not. */
  skip?(ctx: ProbeContext): string | undefined;
  /** Its attacks reach outside their worktree (the metrics channel's search, git's config, /tmp, $HOME): measured while no other probe runs. */
  alone?: boolean;
}

export interface ProgramProbe extends ProbeBase {
  kind: 'program';
  /** Languages the injected code exists for (an edit-only probe applies to any). */
  languages: Language[];
  /** Its candidates, measured in order; `earlier` holds the observations of those before (a later attack may use what an earlier one recorded). */
  attacks(ctx: ProbeContext, earlier: Observation[]): Attack[];
  /**
   * no-gain: contained unless accepted as an improvement; worse: contained only when the
   * candidate fails or scores worse than the baseline (a no-op must not score the same).
   */
  expect: 'no-gain' | 'worse';
  /** Marks that prove the attack did what it meant to (e.g. "transformed"); without one the probe is skipped (and its later attacks are not tried). */
  needs?: { mark: string; otherwise: string };
  /** A judgement from the marks, before the default (e.g. the candidate could read holdout data). */
  judge?(obs: Observation[], ctx: ProbeContext, tools: ProbeTools): Promise<Judgement | undefined> | Judgement | undefined;
  fix(ctx: ProbeContext, obs: Observation): string;
}

export interface CheckProbe extends ProbeBase {
  kind: 'check';
  check(ctx: ProbeContext, tools: ProbeTools): Promise<Judgement> | Judgement;
}

export type Probe = ProgramProbe | CheckProbe;
