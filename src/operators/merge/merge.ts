// `merge`: crossover without a model, for any language. Two parents that are not each other's
// ancestors are merged three-way (line by line, three-way.ts) against their nearest common
// ancestor in the run's lineage (the base when they share none). Each hunk both changed
// differently is resolved by taking one side's lines: the side whose lineage edited those lines
// more often since the common ancestor (it was working on them; the other's change was in
// passing), and when they edited them equally often the better-scoring parent's with
// probability BETTER_SIDE, else the other's (drawn from the proposal's seeded generator). Lines
// both replaced one for one are split first where the side that edited them more often
// changes, so two lineages that each climbed their own lines and drifted on the other's combine
// instead of one side winning whole. The verifier judges the result. The description counts
// each file's hunks taken each way, so the lessons say what was dropped.
import type { FileSet, Goal } from '../../core/types.js';
import type { Store } from '../../store/store.js';
import { NothingNew, type Operator, type ParentView, type ProposalResult } from '../operator.js';
import { Lineage } from '../../population/lineage.js';
import { mergeLines, type Resolve } from './three-way.js';

/** How often a conflicting hunk both sides edited equally often is taken from the better-scoring parent. */
export const BETTER_SIDE = 2 / 3;
/** How many of a parent's ancestors are read for its edit history. */
const HISTORY_STEPS = 200;

export interface MergeDeps {
  store: Store;
  goal: Goal;
}

export function mergeOperator(deps: MergeDeps): Operator {
  const lineage = new Lineage(deps.store);
  return {
    name: 'merge',
    parents: 2,
    async propose(ctx): Promise<ProposalResult> {
      const [a, b] = ctx.parents;
      if (!b) throw new NothingNew('merge needs two parents, and the strategy gave one (use search.strategy: islands)');
      if (lineage.descends(a.id, b.id)) throw new NothingNew(`#${b.id} is an ancestor of #${a.id}: nothing to merge`);
      const common = lineage.nearestCommon(a.id, b.id);
      if (common === a.id) throw new NothingNew(`#${a.id} is an ancestor of #${b.id}: nothing to merge`);
      const origin = common === undefined ? {} : deps.store.candidateFiles(deps.store.getCandidate(common)!);
      const better = preferred(a, b, deps.goal);
      const edits = { mine: editHistory(deps.store, lineage, a.id, common), theirs: editHistory(deps.store, lineage, b.id, common) };
      const merged = await mergeFiles(a.files, origin, b.files, ctx.readBase, ctx.random, better === a ? 'mine' : 'theirs', edits);
      const changes: FileSet = {};
      let copyOfB = true;
      for (const [p, m] of Object.entries(merged)) {
        if (m.content !== undefined && m.content !== (await ctx.readFile(p))) changes[p] = m.content;
        copyOfB &&= m.content === (await fileOf(b.files, p, ctx.readBase));
      }
      if (Object.keys(changes).length === 0) throw new NothingNew(`merging #${b.id} into #${a.id} changes nothing: #${a.id} already has its changes`);
      // Not a combination but a copy of the partner (from another island, a migration the ring did not schedule).
      if (copyOfB) throw new NothingNew(`merging #${a.id} into #${b.id} changes nothing: #${b.id} already has its changes (or wins every conflict)`);
      if (await ctx.taken(changes)) throw new NothingNew(`the merge of #${a.id} and #${b.id} was already tried`);
      const conflicted = Object.entries(merged).filter(([, m]) => m.conflicts > 0);
      const clean = Object.keys(merged).length - conflicted.length;
      const over = common === undefined ? 'the base' : `their common ancestor #${common}`;
      const worse = better === a ? b : a;
      const notes = conflicted.map(
        ([p, m]) =>
          `${p}: ${m.conflicts} conflicting hunk(s), ${m.byHistory} taken from the side that edited them more often, ` +
          `${m.fromBetter} from #${better.id} (the better score), ${m.conflicts - m.byHistory - m.fromBetter} from #${worse.id}`,
      );
      return {
        operator: 'merge',
        description: `merge of #${a.id} and #${b.id} over ${over}: ${clean} file(s) merged cleanly${notes.length ? `; ${notes.join('; ')}` : ''}`,
        changes,
      };
    },
  };
}

interface MergedFile {
  content: string | undefined;
  /** Hunks both sides changed differently; how many were taken by edit history, and of the others how many from the better side. */
  conflicts: number;
  byHistory: number;
  fromBetter: number;
}

/** How many times a side's lineage edited a file's ancestor lines [start, end) since the common ancestor. */
export type EditCount = (path: string, origin: string[], at: { start: number; end: number }) => number;

/**
 * A parent's edits, read along its first parents back to the common ancestor (at most
 * HISTORY_STEPS): the distinct contents the lines took, in the versions that kept the
 * ancestor's line count (where line positions still match; others say nothing).
 */
function editHistory(store: Store, lineage: Lineage, id: number, common: number | undefined): EditCount {
  let chain: FileSet[] | undefined;
  // Read only when a hunk conflicts.
  const versions = () => {
    if (chain) return chain;
    chain = [];
    for (let at: number | undefined = id; at !== undefined && at !== common && chain.length < HISTORY_STEPS; at = lineage.parents(at)[0]) {
      const row = store.getCandidate(at);
      if (!row || row.operator === 'baseline') break;
      chain.push(store.candidateFiles(row));
    }
    return chain;
  };
  return (p, origin, { start, end }) => {
    const seen = new Set<string>();
    for (const files of versions()) {
      const lines = p in files ? files[p].split('\n') : undefined;
      if (lines?.length === origin.length) seen.add(lines.slice(start, end).join('\n'));
    }
    seen.delete(origin.slice(start, end).join('\n'));
    return seen.size;
  };
}

/**
 * Every file either side or their ancestor changed, merged three-way; each conflicting hunk is
 * taken from the `better` side ('mine': `a`) with probability BETTER_SIDE.
 */
export async function mergeFiles(
  a: FileSet,
  origin: FileSet,
  b: FileSet,
  readBase: (p: string) => Promise<string | undefined>,
  random: () => number,
  better: 'mine' | 'theirs',
  edits?: { mine: EditCount; theirs: EditCount },
): Promise<Record<string, MergedFile>> {
  const out: Record<string, MergedFile> = {};
  for (const p of [...new Set([...Object.keys(a), ...Object.keys(origin), ...Object.keys(b)])].sort()) {
    const [x, o, y] = await Promise.all([fileOf(a, p, readBase), fileOf(origin, p, readBase), fileOf(b, p, readBase)]);
    if (x === y || y === o) out[p] = { content: x, conflicts: 0, byHistory: 0, fromBetter: 0 };
    else if (x === o) out[p] = { content: y, conflicts: 0, byHistory: 0, fromBetter: 0 };
    else {
      let [conflicts, byHistory, fromBetter] = [0, 0, 0];
      const os = lines(o);
      /** One hunk, whole: from the side that edited it more often, else the better side with probability BETTER_SIDE. */
      const take = (mine: string[], theirs: string[], at: { start: number; end: number }) => {
        conflicts++;
        const [m, t] = edits ? [edits.mine(p, os, at), edits.theirs(p, os, at)] : [0, 0];
        if (m !== t) {
          byHistory++;
          return m > t ? mine : theirs;
        }
        const takeBetter = random() < BETTER_SIDE;
        if (takeBetter) fromBetter++;
        return takeBetter === (better === 'mine') ? mine : theirs;
      };
      // Lines both replaced one for one: split where the side that edited a line more often changes,
      // so lineages that each worked on their own lines (and drifted on the other's) combine.
      const resolve: Resolve = (mine, theirs, at) => {
        if (!edits || mine.length !== at.end - at.start || theirs.length !== mine.length) return take(mine, theirs, at);
        const lean = mine.map((_, k) => {
          const line = { start: at.start + k, end: at.start + k + 1 };
          return Math.sign(edits.mine(p, os, line) - edits.theirs(p, os, line));
        });
        const out: string[] = [];
        for (let k = 0; k < mine.length;) {
          let e = k + 1;
          while (e < mine.length && lean[e] === lean[k]) e++;
          const [m, t] = [mine.slice(k, e), theirs.slice(k, e)];
          if (lean[k] === 0) out.push(...take(m, t, { start: at.start + k, end: at.start + e }));
          else {
            conflicts++;
            byHistory++;
            out.push(...(lean[k] > 0 ? m : t));
          }
          k = e;
        }
        return out;
      };
      const merged = mergeLines(lines(x), os, lines(y), resolve);
      out[p] = { content: merged.lines!.join('\n'), conflicts, byHistory, fromBetter };
    }
  }
  return out;
}

async function fileOf(files: FileSet, p: string, readBase: (p: string) => Promise<string | undefined>): Promise<string | undefined> {
  return p in files ? files[p] : await readBase(p);
}

function lines(text: string | undefined): string[] {
  return (text ?? '').split('\n');
}

function preferred(a: ParentView, b: ParentView, goal: Goal): ParentView {
  if (b.score === null) return a;
  if (a.score === null) return b;
  return (goal === 'maximize' ? b.score > a.score : b.score < a.score) ? b : a;
}
