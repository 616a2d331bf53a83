// `merge`: crossover without a model, for any language. Two parents that are not each other's
// ancestors are merged three-way (line by line, three-way.ts) against their nearest common
// ancestor in the run's lineage (the base when they share none). Each hunk both changed
// differently is resolved by the sides' edit histories (resolve.ts), and when they edited it
// equally often taken from the better-scoring parent with probability BETTER_SIDE, else from
// the other (drawn from the proposal's seeded generator). The verifier judges the result. The
// description counts each file's hunks taken each way, so the lessons say what was dropped.
import type { FileSet, Goal } from '../../core/types.js';
import type { Store } from '../../store/store.js';
import { NothingNew, type Operator, type ParentView, type ProposalResult } from '../operator.js';
import { Lineage } from '../../population/lineage.js';
import { byHistory, type EditHistories } from './resolve.js';
import { mergeLines } from './three-way.js';

/** How often a conflicting hunk both sides edited equally often is taken from the better-scoring parent. */
export const BETTER_SIDE = 2 / 3;

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
      const edits = { mine: lineage.edits(a.id, common), theirs: lineage.edits(b.id, common) };
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
  edits?: EditHistories,
): Promise<Record<string, MergedFile>> {
  const out: Record<string, MergedFile> = {};
  for (const p of [...new Set([...Object.keys(a), ...Object.keys(origin), ...Object.keys(b)])].sort()) {
    const [x, o, y] = await Promise.all([fileOf(a, p, readBase), fileOf(origin, p, readBase), fileOf(b, p, readBase)]);
    if (x === y || y === o) out[p] = { content: x, conflicts: 0, byHistory: 0, fromBetter: 0 };
    else if (x === o) out[p] = { content: y, conflicts: 0, byHistory: 0, fromBetter: 0 };
    else {
      let fromBetter = 0;
      const tally = { conflicts: 0, byHistory: 0 };
      const tie = (mine: string[], theirs: string[]) => {
        const takeBetter = random() < BETTER_SIDE;
        if (takeBetter) fromBetter++;
        return takeBetter === (better === 'mine') ? mine : theirs;
      };
      const os = lines(o);
      const merged = mergeLines(lines(x), os, lines(y), byHistory(p, os, edits, tie, tally));
      out[p] = { content: merged.lines!.join('\n'), ...tally, fromBetter };
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
