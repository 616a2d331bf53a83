// The loop: start the population (its baseline), then keep `parallel` children in flight —
// ask the population for parents, let an operator propose, admit the proposal, let the
// population consider the child — until a budget, the target, patience or a stop request
// ends it. Every step's outcome is written to the store before the next step depends on
// it, which is what makes resume exact. What to keep and how to measure are plug-ins.
import type { Config } from '../config/schema.js';
import type { FileSet } from '../core/types.js';
import { improvement } from '../core/fitness.js';
import { seededRandom, seedFrom } from '../core/random.js';
import { NothingNew, StopProposing, type Operator, type OperatorOutcome, type ProposalResult } from '../operators/operator.js';
import type { OperatorSet } from '../operators/select.js';
import { improvedOnParent, MIGRATE_OPERATOR, type Population, type Selection } from '../population/population.js';
import { isEditable, type EditRules } from '../propose/edit-rules.js';
import { changeTaken, type Admit } from '../propose/admission.js';
import type { CandidateOutcome, CandidateRecord, RunRecord, Store } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';
import type { EvolutionEvent } from './events.js';

export interface EvolutionDeps {
  config: Config;
  rules: EditRules;
  store: Store;
  run: RunRecord;
  workspace: Pick<Workspace, 'readBase' | 'baseFiles'>;
  /** Without `readsHistory`, no operator is given its history. */
  operators: Pick<OperatorSet, 'pick'> & Partial<Pick<OperatorSet, 'observe' | 'readsHistory'>>;
  population: Population;
  admit: Admit;
  emit: (e: EvolutionEvent) => void;
  /** Aborted by stop({ abandon }); the backend's stages and the operators listen to it. */
  abandon: AbortController;
  /** Overrides budget.candidates (CLI --max-candidates). */
  maxCandidates?: number;
}

/** `error`: the run could not go on (stuck, a model refused or unreachable), as opposed to a budget, the target or a stop request. */
export type StopReason = { status: 'finished' | 'interrupted'; reason: string; error?: boolean };

/** Identical invalid proposals in a row after which the run stops as stuck. */
const INVALID_STREAK_LIMIT = 10;
/** Proposals in a row with nothing new (every draw already tried) after which the run stops as stuck. */
const NOTHING_NEW_LIMIT = 10;
/** Candidates read at a time when a resumed run replays its history. */
const HISTORY_PAGE = 1000;

export class Evolution {
  private readonly graceful = new AbortController();
  private proposed = 0;
  private sinceImprovement = 0;
  private readonly sessionStart = Date.now();
  private readonly history = new Map<string, OperatorOutcome[]>();
  /** Set when an operator says no proposal should be made (usd budget, model refused, stopped while paused). */
  private operatorStop?: StopReason;
  private invalidStreak = 0;
  private invalidReason: string | null = null;
  /** Proposals in a row that found nothing new; it also varies the next one's seed. */
  private nothingNewStreak = 0;
  /** The operator of the last proposal that found nothing new, while the streak lasts. */
  private nothingNewFrom: string | undefined;
  private baselineNoise?: number;

  constructor(private readonly d: EvolutionDeps) {}

  /** Stop proposing; in-flight candidates finish (graceful) or are abandoned and kept pending for resume. */
  stop(opts: { abandon?: boolean } = {}): void {
    this.graceful.abort();
    if (opts.abandon) this.d.abandon.abort();
  }

  /**
   * Where the run stands: the population started (its baseline measured, or its state read back),
   * the budget used counted and the operators' history replayed. The pending candidates, to be
   * evaluated first; undefined when stopped while measuring the baseline.
   */
  async resume(): Promise<CandidateRecord[] | undefined> {
    const { store, run } = this.d;
    if (!(await this.d.population.start())) return undefined;
    // Every proposed candidate counts against budget.candidates, across sessions (not the baseline, nor a strategy's copies: migrants).
    this.proposed = store.queries.proposedCount(run.id);
    this.loadHistory();
    return store.listCandidates(run.id, { status: ['pending'] }).filter((c) => c.operator !== 'baseline');
  }

  async run(): Promise<StopReason> {
    const { run } = this.d;
    const queue = await this.resume();
    if (!queue) return { status: 'interrupted', reason: 'stopped while measuring the baseline' };
    if (queue.length === 0 && !this.budgetLeft()) {
      this.d.emit({
        type: 'notice',
        message: `run ${run.id} has used its budget of ${this.proposed} candidates. Raise it to go on (--more N adds N; --max-candidates and budget.candidates set the run's total), or pass --new for a fresh run.`,
      });
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
        if (resumed) launch(this.consider(resumed));
        else if (this.budgetLeft()) launch(this.proposeAndConsider());
        else break;
        stop = this.stopReason();
      }
      if (inFlight.size === 0) break;
      await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return this.stopReason() ?? { status: 'finished', reason: 'budget: candidates' };
  }

  elapsedMs(): number {
    return this.d.run.elapsedMs + (Date.now() - this.sessionStart);
  }

  // ── stop conditions ────────────────────────────────────────────────────────
  private budgetLeft(): boolean {
    const max = this.d.maxCandidates ?? this.d.config.budget.candidates;
    return max === undefined || this.proposed < max;
  }

  private stopReason(): StopReason | undefined {
    const b = this.d.config.budget;
    const best = this.d.population.best();
    if (this.graceful.signal.aborted) return { status: 'interrupted', reason: 'stopped by the user' };
    if (b.target !== undefined && best !== undefined && improvement(best, b.target, this.d.config.objective.goal) >= 0) {
      return { status: 'finished', reason: `target ${b.target} reached` };
    }
    if (b.time !== undefined && this.elapsedMs() >= b.time) return { status: 'finished', reason: 'budget: time' };
    if (b.patience !== undefined && this.sinceImprovement >= b.patience) {
      return { status: 'finished', reason: `patience: ${b.patience} candidates without improvement` };
    }
    if (b.usd !== undefined && this.d.store.llmCalls.spend(this.d.run.id).usd >= b.usd) return { status: 'finished', reason: 'budget: usd' };
    return this.operatorStop;
  }

  /** Replays the run's candidates a page at a time (a resumed run of 100,000 holds one small outcome each, not the rows). */
  private loadHistory(): void {
    // Each row's score, for whether its children improved on it (a parent always comes first); only while replaying.
    const scores = new Map<number, number | null>();
    for (
      let page = this.d.store.outcomes(this.d.run.id, 0, HISTORY_PAGE);
      page.length > 0;
      page = this.d.store.outcomes(this.d.run.id, page.at(-1)!.id, HISTORY_PAGE)
    ) {
      for (const c of page) {
        scores.set(c.id, c.score);
        if (c.operator === 'baseline' || c.operator === MIGRATE_OPERATOR || c.status === 'pending') continue;
        this.recordOutcome(c, c.parentId === null ? undefined : scores.get(c.parentId));
      }
    }
  }

  /** A decided row into its operator's history and the bandits. */
  private recordOutcome(c: CandidateOutcome, parentScore: number | null | undefined): void {
    const goal = this.d.config.objective.goal;
    const improved = improvedOnParent(c, parentScore, goal);
    if (this.d.operators.readsHistory?.(c.operator)) {
      const list = this.history.get(c.operator) ?? [];
      const sign = goal === 'maximize' ? 1 : -1;
      const fitness = c.score === null || c.status === 'failed' || c.status === 'tampered' ? null : sign * c.score;
      list.push(new RecordedOutcome(this.d.store, c.id, c.parentId, c.status, improved, fitness));
      this.history.set(c.operator, list);
    }
    this.d.operators.observe?.({ ...c, improved });
    this.sinceImprovement = c.status === 'accepted' ? 0 : this.sinceImprovement + 1;
  }

  // ── one child ──────────────────────────────────────────────────────────────
  private async proposeAndConsider(): Promise<void> {
    this.proposed++;
    const { config } = this.d;
    // With search.seed the run id stays out, so two runs with the same seed make the same draws.
    const seed = [
      ...(config.search.seed !== undefined ? ['seed', config.search.seed, this.proposed] : [this.d.run.id, this.proposed, 0]),
      ...(this.nothingNewStreak > 0 ? [`retry ${this.nothingNewStreak}`] : []),
    ];
    const random = seededRandom(seedFrom(...seed));
    // An operator that just found nothing new (merge with nothing to combine yet) gives way to another for this proposal, when there is one.
    const operator = this.d.operators.pick(random, this.nothingNewFrom);
    // The population's draws have their own generator, so its choices do not shift the operator's.
    const selection = this.d.population.select(seededRandom(seedFrom(...seed, 'select')), operator.parents ?? 1);
    if ('skip' in selection) return this.nothingNew(operator.name, selection.skip);
    try {
      await this.propose(operator, selection, random);
    } finally {
      await this.d.population.release?.(selection);
    }
  }

  private async propose(operator: Operator, selection: Selection, random: () => number): Promise<void> {
    const { config, workspace, rules } = this.d;
    const { parents, inspirations } = selection;
    const parent = parents[0];
    let proposal: ProposalResult;
    try {
      proposal = await operator.propose({
        runId: this.d.run.id,
        parents,
        inspirations,
        island: selection.island,
        readFile: async (p) => parent.files[p] ?? (await workspace.readBase(p)),
        readBase: (p) => workspace.readBase(p),
        taken: (changes) => changeTaken(this.d, parent, changes),
        editableFiles: [...new Set([...workspace.baseFiles(), ...Object.keys(parent.files)])].filter((p) => isEditable(p, rules)).sort(),
        history: this.history.get(operator.name) ?? [],
        goal: config.objective.goal,
        noiseSd: this.noiseSd(),
        random,
        signal: this.d.abandon.signal,
        // A wait inside the operator (a model that is down) also ends when the time budget does.
        stopping:
          config.budget.time === undefined
            ? this.graceful.signal
            : AbortSignal.any([this.graceful.signal, AbortSignal.timeout(Math.max(0, config.budget.time - this.elapsedMs()))]),
      });
    } catch (err) {
      if (err instanceof StopProposing) {
        this.proposed--; // nothing was proposed: the candidates budget is not spent
        this.operatorStop ??= { status: err.status, reason: err.reason, ...(err.error ? { error: true } : {}) };
        return;
      }
      if (err instanceof NothingNew) return this.nothingNew(operator.name, err.message);
      proposal = { operator: operator.name, error: `operator ${operator.name} failed: ${(err as Error).message}` };
    }
    this.nothingNewStreak = 0;
    this.nothingNewFrom = undefined;
    const child = await this.d.admit({ parents, island: selection.island }, operator.name, proposal);
    if (child.status !== 'pending') return this.decided(child);
    this.d.emit({ type: 'proposed', candidateId: child.id, operator: operator.name, description: child.description });
    await this.consider(child);
  }

  /** The baseline's measured noise (robust SD), for operators that model the objective. */
  private noiseSd(): number {
    if (this.baselineNoise === undefined) {
      const id = this.d.store.getRun(this.d.run.id)?.baselineId;
      const verdict = id == null ? undefined : this.d.store.getCandidate(id)?.verdict;
      if (verdict?.kind === 'baseline') this.baselineNoise = 1.4826 * verdict.noise.mad;
    }
    return this.baselineNoise ?? 0;
  }

  /** Nothing new to try: no candidate and no budget spent, but patience is; the reason is in the run's events. */
  private nothingNew(operator: string, reason: string): void {
    this.proposed--;
    this.sinceImprovement++;
    this.nothingNewStreak++;
    this.nothingNewFrom = operator;
    this.d.emit({ type: 'notice', message: `${operator}: ${reason} (no candidate recorded; counts against patience, not the candidate budget)` });
    if (this.nothingNewStreak >= NOTHING_NEW_LIMIT) {
      this.operatorStop ??= { status: 'finished', reason: `stuck: ${operator} found nothing new ${NOTHING_NEW_LIMIT} times in a row: ${reason}`, error: true };
    }
  }

  private async consider(child: CandidateRecord): Promise<void> {
    const decided = await this.d.population.consider(child);
    if (decided) this.decided(decided);
  }

  private decided(c: CandidateRecord): void {
    if (c.operator !== MIGRATE_OPERATOR) this.recordOutcome(c, c.parentId === null ? undefined : this.d.store.getCandidate(c.parentId)?.score);
    // The same invalid reason again and again means no proposal can succeed (e.g. nothing to
    // tune, a model that cannot follow the format): stop rather than burn the budget on it.
    this.invalidStreak = c.status === 'invalid' && c.reason === this.invalidReason ? this.invalidStreak + 1 : c.status === 'invalid' ? 1 : 0;
    this.invalidReason = c.status === 'invalid' ? c.reason : null;
    if (this.invalidStreak >= INVALID_STREAK_LIMIT) {
      this.operatorStop ??= {
        status: 'finished',
        reason: `stuck: the last ${INVALID_STREAK_LIMIT} proposals were all invalid for the same reason: ${c.reason}`,
        error: true,
      };
    }
    this.d.emit({ type: 'decided', candidateId: c.id, status: c.status, reason: c.reason ?? undefined, operator: c.operator });
  }
}

/** One entry of an operator's history, small (the history lasts the run): its files are read from the store when asked. */
class RecordedOutcome implements OperatorOutcome {
  constructor(
    private readonly store: Store,
    readonly candidateId: number,
    private readonly parentId: number | null,
    readonly status: string,
    readonly improved: boolean,
    readonly fitness: number | null,
  ) {}

  files(): FileSet {
    return this.store.candidateFiles(this.store.getCandidate(this.candidateId)!);
  }

  parentFiles(): FileSet {
    return this.parentId === null ? {} : this.store.candidateFiles(this.store.getCandidate(this.parentId)!);
  }
}
