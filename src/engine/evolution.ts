// The loop: measure the baseline, then keep `parallel` children in flight — propose from
// the strategy's parent, check the change, record it, evaluate it, let acceptance decide —
// until a budget, the target, patience or a stop request ends it. Every step's outcome is
// written to the store before the next step depends on it, which is what makes resume exact.
import path from 'node:path';
import { median } from 'simple-statistics';
import { createTwoFilesPatch } from 'diff';
import type { Config } from '../config/schema.js';
import { RunError } from '../core/errors.js';
import { compileObjective, improvement } from '../core/fitness.js';
import { seededRandom, seedFrom } from '../core/random.js';
import type { CandidateStatus, FileSet } from '../core/types.js';
import { decide, initialRepeats, noiseFloor, type AcceptConfig, type Verdict } from '../evaluate/acceptance.js';
import { Evaluator, type Failure } from '../evaluate/evaluator.js';
import { HostGuard } from '../evaluate/host-guard.js';
import { IntegrityGuard } from '../evaluate/integrity.js';
import { suspiciousFlags } from '../evaluate/suspicious.js';
import { StopProposing, type Operator, type OperatorOutcome, type ProposalResult } from '../operators/operator.js';
import type { OperatorSet } from '../operators/select.js';
import { checkChanges, isEditable, protectedBy, type EditRules } from '../propose/edit-rules.js';
import { changeHash } from '../propose/patch-hash.js';
import type { CandidateRecord, NewCandidate, RunRecord, Store } from '../store/store.js';
import type { Workspace, Worktree } from '../workspace/workspace.js';
import type { EvolutionEvent } from './events.js';

export interface EvolutionDeps {
  config: Config;
  rules: EditRules;
  store: Store;
  run: RunRecord;
  workspace: Workspace;
  operators: OperatorSet;
  emit: (e: EvolutionEvent) => void;
  /** Overrides budget.candidates (CLI --max-candidates). */
  maxCandidates?: number;
}

interface Champion {
  id: number;
  files: FileSet;
  commitSha: string;
  samples: number[];
  score: number;
}

export type StopReason = { status: 'finished' | 'interrupted'; reason: string };

/** Identical invalid proposals in a row after which the run stops as stuck. */
const INVALID_STREAK_LIMIT = 10;

export class Evolution {
  private readonly accept: AcceptConfig;
  private readonly objective;
  private evaluator!: Evaluator;
  private readonly graceful = new AbortController();
  private readonly abandon = new AbortController();
  private champion!: Champion;
  private baselineSamples: number[] = [];
  private proposed = 0;
  private sinceImprovement = 0;
  private readonly sessionStart = Date.now();
  private readonly history = new Map<string, OperatorOutcome[]>();
  private championLock: Promise<unknown> = Promise.resolve();
  /** Set when an operator says no proposal should be made (usd budget, model refused, stopped while paused). */
  private operatorStop?: StopReason;
  private invalidStreak = 0;
  private invalidReason: string | null = null;

  constructor(private readonly d: EvolutionDeps) {
    const a = d.config.accept;
    this.accept = { rule: a.rule, alpha: a.alpha, minDelta: a.min_delta, baselineRepeats: a.baseline_repeats, maxRepeats: a.max_repeats };
    this.objective = compileObjective(d.config.objective);
  }

  /** The evaluator, with the protected files as the base has them. */
  private async createEvaluator(): Promise<Evaluator> {
    const { workspace, run, rules } = this.d;
    const stateDir = path.join(workspace.problemDir, '.evoloop');
    const protectedBase: Record<string, string> = {};
    for (const p of workspace.baseFiles().filter((f) => protectedBy(f, rules) !== undefined)) {
      protectedBase[p] = (await workspace.readBase(p)) ?? '';
    }
    return new Evaluator({
      config: this.d.config,
      runId: run.id,
      store: this.d.store,
      objective: this.objective,
      stateDir,
      scratchDir: path.join(stateDir, 'scratch', run.id),
      artifactsDir: path.join(stateDir, 'artifacts', run.id),
      signal: this.abandon.signal,
      guard: IntegrityGuard.create(protectedBase, workspace.baseFiles(), path.join(stateDir, 'protected', run.id)),
      hostGuard: HostGuard.create(workspace.repo.commonDir),
      worktreeAudit: (wt) => workspace.audit(wt),
    });
  }

  /** Stop proposing; in-flight candidates finish (graceful) or are abandoned and kept pending for resume. */
  stop(opts: { abandon?: boolean } = {}): void {
    this.graceful.abort();
    if (opts.abandon) this.abandon.abort();
  }

  async run(): Promise<StopReason> {
    this.evaluator = await this.createEvaluator();
    await this.ensureBaseline();
    if (!this.champion) return { status: 'interrupted', reason: 'stopped while measuring the baseline' };
    this.loadHistory();
    const queue = this.d.store.listCandidates(this.d.run.id, { status: ['pending'] }).filter((c) => c.operator !== 'baseline');
    if (queue.length === 0 && !this.budgetLeft()) {
      this.emit({ type: 'notice', message: `run ${this.d.run.id} has used its budget of ${this.proposed} candidates. Raise it (--max-candidates or budget.candidates) to go on, or pass --new for a fresh run.` });
    }
    const inFlight = new Set<Promise<void>>();
    const launch = (p: Promise<void>) => {
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    };
    let stop: StopReason | undefined;
    for (;;) {
      stop = this.stopReason();
      while (!stop && inFlight.size < this.d.config.search.parallel) {
        const resumed = queue.shift();
        if (resumed) launch(this.evaluate(resumed));
        else if (this.budgetLeft()) launch(this.proposeAndEvaluate());
        else break;
        stop = this.stopReason();
      }
      if (inFlight.size === 0) break;
      await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return this.stopReason() ?? { status: 'finished', reason: 'budget: candidates' };
  }

  // ── stop conditions ────────────────────────────────────────────────────────
  private budgetLeft(): boolean {
    const max = this.d.maxCandidates ?? this.d.config.budget.candidates;
    return max === undefined || this.proposed < max;
  }

  elapsedMs(): number {
    return this.d.run.elapsedMs + (Date.now() - this.sessionStart);
  }

  private stopReason(): StopReason | undefined {
    const b = this.d.config.budget;
    if (this.graceful.signal.aborted) return { status: 'interrupted', reason: 'stopped by the user' };
    if (b.target !== undefined && this.champion && improvement(this.champion.score, b.target, this.d.config.objective.goal) >= 0) {
      return { status: 'finished', reason: `target ${b.target} reached` };
    }
    if (b.time !== undefined && this.elapsedMs() >= b.time) return { status: 'finished', reason: 'budget: time' };
    if (b.patience !== undefined && this.sinceImprovement >= b.patience) {
      return { status: 'finished', reason: `patience: ${b.patience} candidates without improvement` };
    }
    if (b.usd !== undefined && this.d.store.spend(this.d.run.id).usd >= b.usd) return { status: 'finished', reason: 'budget: usd' };
    return this.operatorStop;
  }

  // ── baseline ───────────────────────────────────────────────────────────────
  private async ensureBaseline(): Promise<void> {
    const { store, run } = this.d;
    const done = run.baselineId !== null ? store.getCandidate(run.baselineId) : undefined;
    // Every candidate but the baseline counts against budget.candidates, across sessions.
    this.proposed = Math.max(0, Object.values(store.countByStatus(run.id)).reduce((s, n) => s + n, 0) - 1);
    if (done && done.status === 'baseline') {
      this.baselineSamples = this.recordedSamples(done.id);
      const championRow = store.getCandidate(run.championId ?? done.id)!;
      this.champion = this.toChampion(championRow, this.recordedSamples(championRow.id));
      return;
    }
    const baseline =
      done ??
      store.insertCandidate({ runId: run.id, parentId: null, status: 'pending', operator: 'baseline', description: 'the base commit, unchanged', files: {}, changeHash: changeHash({}), patch: '' });
    store.updateCandidate(baseline.id, { commitSha: this.d.workspace.baseCommit, startedAt: Date.now() });
    store.updateRun(run.id, { baselineId: baseline.id });
    const repeats = Math.max(this.accept.baselineRepeats, ...this.scoreRepeats());
    const measured = await this.withWorktree({}, (wt) => this.evaluator.measure(baseline.id, wt, repeats, 'search'));
    if (!measured.ok) {
      if (this.abandon.signal.aborted) return; // resumed next time from the measurements already recorded
      store.updateCandidate(baseline.id, { status: 'failed', reason: describeFailure(measured.failure), finishedAt: Date.now() });
      throw new RunError(
        `the base commit fails its own verifier (${describeFailure(measured.failure)}). Nothing can be compared against it. Fix: make the unmodified program pass every stage (run the stage command by hand in ${this.d.workspace.problemDir}), commit, and run again.`,
      );
    }
    const score = median(measured.samples);
    const noise = noiseFloor(measured.samples);
    store.updateCandidate(baseline.id, { status: 'baseline', score, metrics: measured.metrics, finishedAt: Date.now(), verdict: { samples: measured.samples, noise } });
    store.updateRun(run.id, { championId: baseline.id });
    this.baselineSamples = measured.samples;
    this.champion = { id: baseline.id, files: {}, commitSha: this.d.workspace.baseCommit, samples: measured.samples, score };
    this.emit({ type: 'baseline', candidateId: baseline.id, score, samples: measured.samples, noise });
    await this.runHoldout(baseline.id, {});
  }

  private scoreRepeats(): number[] {
    return this.d.config.verifier.stages.filter((s) => s.kind === 'score').map((s) => s.repeat);
  }

  /** Objective samples already in the store for complete repeats (no process runs). */
  private recordedSamples(candidateId: number): number[] {
    const byRepeat = new Map<number, Record<string, number>>();
    const stages = this.d.config.verifier.stages.filter((s) => s.kind === 'score').map((s) => s.name);
    const seen = new Map<number, Set<string>>();
    for (const m of this.d.store.measurements(candidateId)) {
      if (!m.ok || m.kind !== 'score') continue;
      byRepeat.set(m.repeat, { ...byRepeat.get(m.repeat), ...m.metrics });
      seen.set(m.repeat, (seen.get(m.repeat) ?? new Set()).add(m.stage));
    }
    const samples: number[] = [];
    for (let r = 0; byRepeat.has(r) && stages.every((s) => seen.get(r)!.has(s)); r++) {
      const scored = this.objective.score(byRepeat.get(r)!);
      if (!('score' in scored)) break;
      samples.push(scored.score);
    }
    return samples;
  }

  private toChampion(c: CandidateRecord, samples: number[]): Champion {
    return { id: c.id, files: this.d.store.candidateFiles(c), commitSha: c.commitSha ?? this.d.workspace.baseCommit, samples, score: c.score ?? median(samples) };
  }

  private loadHistory(): void {
    for (const c of this.d.store.listCandidates(this.d.run.id)) {
      if (c.operator === 'baseline' || c.status === 'pending') continue;
      this.recordOutcome(c.operator, c.id, c.status);
    }
  }

  private recordOutcome(operator: string, candidateId: number, status: CandidateStatus): void {
    const list = this.history.get(operator) ?? [];
    list.push({ candidateId, status, improved: status === 'accepted' });
    this.history.set(operator, list);
    this.sinceImprovement = status === 'accepted' ? 0 : this.sinceImprovement + 1;
  }

  // ── one child ──────────────────────────────────────────────────────────────
  private async proposeAndEvaluate(): Promise<void> {
    this.proposed++;
    const parent = this.champion;
    const random = seededRandom(seedFrom(this.d.run.id, this.proposed, this.d.config.search.seed ?? 0));
    const operator = this.d.operators.pick(random);
    const readFile = async (p: string) => parent.files[p] ?? (await this.d.workspace.readBase(p));
    const editableFiles = [...new Set([...this.d.workspace.baseFiles(), ...Object.keys(parent.files)])].filter((p) => isEditable(p, this.d.rules)).sort();
    let proposal: ProposalResult;
    try {
      proposal = await operator.propose({
        runId: this.d.run.id,
        parent: { id: parent.id, score: parent.score, metrics: this.d.store.getCandidate(parent.id)?.metrics ?? null, files: parent.files },
        readFile,
        editableFiles,
        history: this.history.get(operator.name) ?? [],
        random,
        signal: this.abandon.signal,
        // A wait inside the operator (a model that is down) also ends when the time budget does.
        stopping: this.d.config.budget.time === undefined ? this.graceful.signal : AbortSignal.any([this.graceful.signal, AbortSignal.timeout(Math.max(0, this.d.config.budget.time - this.elapsedMs()))]),
      });
    } catch (err) {
      if (err instanceof StopProposing) {
        this.proposed--; // nothing was proposed: the candidates budget is not spent
        this.operatorStop ??= { status: err.status, reason: err.reason };
        return;
      }
      proposal = { operator: operator.name, error: `operator ${operator.name} failed: ${(err as Error).message}` };
    }
    await this.record(parent, operator, proposal, readFile);
  }

  private async record(parent: Champion, operator: Operator, proposal: ProposalResult, readFile: (p: string) => Promise<string | undefined>): Promise<void> {
    const { store, run, workspace } = this.d;
    const { cost } = proposal;
    const base = { runId: run.id, parentId: parent.id, operator: operator.name, model: proposal.model, tokensIn: cost?.tokensIn, tokensOut: cost?.tokensOut, usd: cost?.usd };
    // Every candidate row of a proposal gets its model calls linked, whatever its status.
    const insert = (row: NewCandidate) => {
      const c = store.insertCandidate(row);
      cost?.link(c.id);
      return c;
    };
    if ('error' in proposal) {
      return this.finishEarly(insert({ ...base, status: 'invalid', reason: proposal.error, description: proposal.description ?? '', files: parent.files, changeHash: '', patch: '' }));
    }
    const originals: FileSet = {};
    for (const p of Object.keys(proposal.changes)) {
      const content = await readFile(p);
      if (content !== undefined) originals[p] = content;
    }
    const viaSymlink = Object.keys(proposal.changes)
      .map((p) => [p, workspace.symlinkOnPath(p)] as const)
      .find(([, link]) => link !== undefined);
    const check: ReturnType<typeof checkChanges> = viaSymlink
      ? { ok: false, reason: `${viaSymlink[0]} goes through the symlink ${viaSymlink[1]}, which could lead out of the worktree; edit the file it points to instead` }
      : checkChanges(proposal.changes, (p) => originals[p], this.d.rules);
    const files = await this.overlay(parent.files, proposal.changes);
    const patch = unifiedDiff(originals, proposal.changes);
    const hash = changeHash(files);
    const flags = suspiciousFlags({ patch, feedback: this.feedbackOf(parent.id), protectedPaths: this.evaluator.protectedPaths });
    const row = { ...base, description: proposal.description, files, changeHash: hash, patch, flags };
    if (!check.ok) return this.finishEarly(insert({ ...row, status: 'invalid', reason: check.reason }));
    if (patch === '') return this.finishEarly(insert({ ...row, status: 'duplicate', reason: 'no change: the proposal equals its parent' }));
    const same = store.findByChangeHash(run.id, hash);
    if (same !== undefined) return this.finishEarly(insert({ ...row, status: 'duplicate', reason: `same change as candidate ${same}` }));
    const candidate = insert({ ...row, status: 'pending' });
    const ref = `refs/evoloop/${run.id}/candidates/${candidate.id}`;
    const commitSha = workspace.commit(files, parent.commitSha, `${proposal.description}\n\nEvoloop-Run: ${run.id}\nEvoloop-Candidate: ${candidate.id}`, ref);
    store.updateCandidate(candidate.id, { commitSha, ref });
    this.emit({ type: 'proposed', candidateId: candidate.id, operator: operator.name, description: proposal.description });
    await this.evaluate({ ...candidate, commitSha, ref });
  }

  /** The child's full change against the base: the parent's, with the proposal on top, minus files back at base. */
  private async overlay(parentFiles: FileSet, changes: FileSet): Promise<FileSet> {
    const files: FileSet = { ...parentFiles };
    for (const [p, content] of Object.entries(changes)) {
      if ((await this.d.workspace.readBase(p)) === content) delete files[p];
      else files[p] = content;
    }
    return Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** What the verifier told the proposer about a candidate (never holdout output). */
  private feedbackOf(candidateId: number): string[] {
    return this.d.store
      .measurements(candidateId)
      .filter((m) => m.kind !== 'holdout')
      .flatMap((m) => [m.feedback ?? '', m.stdoutTail, m.stderrTail])
      .filter(Boolean);
  }

  private finishEarly(c: CandidateRecord): void {
    this.recordOutcome(c.operator, c.id, c.status);
    // The same invalid reason again and again means no proposal can succeed (e.g. nothing to
    // tune, a model that cannot follow the format): stop rather than burn the budget on it.
    this.invalidStreak = c.status === 'invalid' && c.reason === this.invalidReason ? this.invalidStreak + 1 : c.status === 'invalid' ? 1 : 0;
    this.invalidReason = c.status === 'invalid' ? c.reason : null;
    if (this.invalidStreak >= INVALID_STREAK_LIMIT) {
      this.operatorStop ??= { status: 'finished', reason: `stuck: the last ${INVALID_STREAK_LIMIT} proposals were all invalid for the same reason: ${c.reason}` };
    }
    this.emit({ type: 'decided', candidateId: c.id, status: c.status, reason: c.reason ?? undefined, operator: c.operator });
  }

  private async evaluate(c: CandidateRecord): Promise<void> {
    const { store } = this.d;
    const files = store.candidateFiles(c);
    const started = Date.now();
    store.updateCandidate(c.id, { startedAt: started });
    type Outcome = { failure: Failure } | { measured: { samples: number[]; metrics: Record<string, number> }; verdict: Verdict; against: Champion };
    const outcome = await this.withWorktree(files, async (wt): Promise<Outcome> => {
      let n = Math.max(initialRepeats(this.baselineSamples, this.accept), ...this.scoreRepeats());
      for (;;) {
        const measured = await this.evaluator.measure(c.id, wt, n, 'search');
        if (!measured.ok) return { failure: measured.failure };
        const verdict = decide(this.champion.samples, measured.samples, this.d.config.objective.goal, this.accept);
        if (verdict.decision !== 'more') return { measured, verdict, against: this.champion };
        if (verdict.wantChampion > this.champion.samples.length) {
          const ok = await this.measureChampion(verdict.wantChampion);
          if (!ok) {
            const reason = 'the champion could not be re-measured, so no fair comparison was possible; kept the champion';
            return { measured, verdict: { decision: 'reject', reason, gain: 0, naive: false }, against: this.champion };
          }
        }
        n = Math.max(n, verdict.wantChallenger);
      }
    });
    if ('failure' in outcome) {
      if (this.abandon.signal.aborted) {
        store.updateCandidate(c.id, { reason: 'interrupted: will be evaluated when the run resumes' });
        return;
      }
      const tampered = outcome.failure.kind === 'tampered';
      if (tampered) this.emit({ type: 'notice', message: `!! candidate ${c.id} TAMPERED with the verifier: ${outcome.failure.message}` });
      store.updateCandidate(c.id, {
        status: tampered ? 'tampered' : 'failed',
        reason: describeFailure(outcome.failure),
        flags: tampered ? [...c.flags, 'tampered'] : undefined,
        finishedAt: Date.now(),
        evalMs: Date.now() - started,
      });
      return this.finishEarly(store.getCandidate(c.id)!);
    }
    const { measured, verdict, against } = outcome;
    const score = median(measured.samples);
    const accepted = verdict.decision === 'accept' && against.id === this.champion.id;
    const status: CandidateStatus = accepted ? 'accepted' : 'rejected';
    const reason = accepted || verdict.decision !== 'accept' ? verdict.reason : 'was better than an earlier champion, but a newer champion arrived first';
    store.updateCandidate(c.id, {
      status,
      reason,
      score,
      metrics: measured.metrics,
      verdict: { ...verdict, against: against.id, samples: measured.samples, championSamples: against.samples.length },
      finishedAt: Date.now(),
      evalMs: Date.now() - started,
    });
    if (accepted) {
      const previous = this.champion.score;
      this.champion = { id: c.id, files, commitSha: c.commitSha!, samples: measured.samples, score };
      store.updateRun(this.d.run.id, { championId: c.id });
      this.d.workspace.setRef(`refs/heads/evoloop/${this.d.run.id}/${c.id}`, c.commitSha!);
      this.emit({ type: 'champion', candidateId: c.id, score, previous, gain: improvement(score, previous, this.d.config.objective.goal) });
      await this.runHoldout(c.id, files, against.id);
    }
    this.finishEarly(store.getCandidate(c.id)!);
  }

  /** Adds repeats to the champion's samples; one champion measurement at a time. */
  private measureChampion(want: number): Promise<boolean> {
    const champion = this.champion;
    const next = this.championLock.then(async () => {
      if (champion.samples.length >= want) return true;
      const measured = await this.withWorktree(champion.files, (wt) => this.evaluator.measure(champion.id, wt, want, 'search'));
      if (!measured.ok) {
        this.emit({ type: 'notice', message: `re-measuring champion ${champion.id} failed: ${describeFailure(measured.failure)}` });
        return false;
      }
      champion.samples = measured.samples;
      return true;
    });
    this.championLock = next.catch(() => undefined);
    return next;
  }

  /**
   * Holdout stages run on the baseline and each new champion only; their output never
   * reaches a proposer. A champion that improves the objective but is worse on holdout
   * than the champion it replaced raises the overfitting alarm.
   */
  private async runHoldout(candidateId: number, files: FileSet, previousId?: number): Promise<void> {
    const holdout = this.d.config.verifier.stages.filter((s) => s.kind === 'holdout');
    if (holdout.length === 0) return;
    const repeats = Math.max(...holdout.map((s) => s.repeat));
    const measured = await this.withWorktree(files, (wt) => this.evaluator.measure(candidateId, wt, repeats, 'holdout'));
    const row = this.d.store.getCandidate(candidateId)!;
    const result: { score: number; samples: number[] } | { failure: string } = measured.ok
      ? { score: median(measured.samples), samples: measured.samples }
      : { failure: describeFailure(measured.failure) };
    const before = previousId === undefined ? undefined : (this.d.store.getCandidate(previousId)?.verdict?.holdout as { score?: number } | undefined)?.score;
    const worse = 'score' in result && before !== undefined && improvement(result.score, before, this.d.config.objective.goal) < 0;
    const failed = 'failure' in result;
    if (worse || failed) {
      const what = failed ? `fails its holdout stage (${result.failure})` : `is worse on holdout (${before} → ${result.score})`;
      this.emit({ type: 'notice', message: `!! HOLDOUT ALARM: champion ${candidateId} improved the objective but ${what}. Possible overfitting or gaming of the verifier: review it (evoloop show ${candidateId}).` });
    }
    this.d.store.updateCandidate(candidateId, {
      verdict: { ...row.verdict, holdout: result },
      flags: worse || failed ? [...row.flags, 'holdout-alarm'] : undefined,
    });
  }

  private async withWorktree<T>(files: FileSet, fn: (wt: Worktree) => Promise<T>): Promise<T> {
    const wt = await this.d.workspace.acquire();
    try {
      this.d.workspace.materialize(wt, files);
      return await fn(wt);
    } finally {
      this.d.workspace.release(wt);
    }
  }

  private emit(e: EvolutionEvent): void {
    this.d.emit(e);
  }
}

export function describeFailure(f: Failure): string {
  return `${f.kind} in stage ${f.stage}: ${f.message}`;
}

function unifiedDiff(before: FileSet, after: FileSet): string {
  return Object.keys(after)
    .sort()
    .filter((p) => before[p] !== after[p])
    .map((p) =>
      createTwoFilesPatch(before[p] === undefined ? '/dev/null' : `a/${p}`, `b/${p}`, before[p] ?? '', after[p], undefined, undefined, { context: 3 })
        .split('\n')
        .slice(1)
        .join('\n'),
    )
    .join('');
}
