// The merge operator on real candidate commits: a throwaway git repository, a real store,
// admission writing each candidate as a commit, and the merged child committed too.
import { afterEach, describe, expect, it } from 'vitest';
import { createProblem, type Problem } from '../../../test/support/problem.js';
import { TEST_RUN } from '../../../test/support/test-run.js';
import { validateConfig } from '../../config/load.js';
import { UsageError } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import type { FileSet } from '../../core/types.js';
import { admission, changeTaken } from '../../propose/admission.js';
import { changeHash } from '../../propose/patch-hash.js';
import { openStore, type CandidateRecord } from '../../store/store.js';
import { Workspace } from '../../workspace/workspace.js';
import { NothingNew, type OperatorContext, type ParentView } from '../operator.js';
import { planOperators } from '../select.js';
import { BETTER_SIDE, mergeFiles, mergeOperator } from './merge.js';

const PROGRAM = [
  'export function params() {',
  '  const a = 1;',
  '  const b = 2;',
  '  const c = 3;',
  '  const d = 4;',
  '  return { a, b, c, d };',
  '}',
  '',
].join('\n');
const EXTRA = 'export const scale = 1;\n';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const p: Problem = createProblem({ files: { 'program.mjs': PROGRAM, 'extra.mjs': EXTRA }, config: { edit: ['program.mjs', 'extra.mjs'] } });
  cleanups.push(() => p.cleanup());
  const baseCommit = p.git('rev-parse', 'HEAD');
  const store = openStore(p.dir);
  cleanups.push(() => store.close());
  const run = store.createRun({ ...TEST_RUN, problemDir: p.dir, repoRoot: p.repo, baseCommit });
  const workspace = await Workspace.open({ problemDir: p.dir, baseCommit, poolSize: 1 });
  const rules = { edit: ['program.mjs', 'extra.mjs'], protect: ['verifier/**'], alwaysProtected: [] };
  const admit = admission({ store, run, workspace, rules, protectedPaths: [] });
  const baseline = store.insertCandidate({
    runId: run.id,
    parentId: null,
    status: 'baseline',
    operator: 'baseline',
    description: '',
    files: {},
    changeHash: changeHash({}),
    patch: '',
  });
  store.updateCandidate(baseline.id, { commitSha: baseCommit, score: 0 });
  const view = (c: CandidateRecord) => {
    const row = store.getCandidate(c.id)!;
    return { id: row.id, score: row.score, metrics: null, files: store.candidateFiles(row), commitSha: row.commitSha! };
  };
  /** A child of `parent` with `edit` applied to program.mjs (and `extra` as extra.mjs), recorded as accepted with `score`. */
  const child = async (parent: CandidateRecord, score: number, edit: (s: string) => string, extra?: string) => {
    const pv = view(parent);
    const program = edit(pv.files['program.mjs'] ?? PROGRAM);
    const changes: FileSet = { 'program.mjs': program, ...(extra ? { 'extra.mjs': extra } : {}) };
    const c = await admit({ parents: [pv], island: null }, 'llm-diff', { operator: 'llm-diff', description: `child of #${parent.id}`, changes });
    expect(c.status).toBe('pending');
    store.updateCandidate(c.id, { status: 'accepted', score });
    return store.getCandidate(c.id)!;
  };
  const ctx = (ps: (ParentView & { commitSha: string })[]): OperatorContext => {
    const never = new AbortController().signal;
    return {
      runId: run.id,
      parents: ps,
      inspirations: [],
      island: null,
      readFile: async (f) => ps[0].files[f] ?? (await workspace.readBase(f)),
      readBase: (f) => workspace.readBase(f),
      taken: (changes) => changeTaken({ store, run, workspace }, ps[0], changes),
      editableFiles: ['extra.mjs', 'program.mjs'],
      history: [],
      random: seededRandom(1),
      signal: never,
      stopping: never,
    };
  };
  const merge = mergeOperator({ store, goal: 'maximize' });
  /** Proposes the merge of x and y and admits it: the child's commit is a real git commit. */
  const mergeAndCommit = async (x: CandidateRecord, y: CandidateRecord) => {
    const ps = [view(x), view(y)];
    const proposal = await merge.propose(ctx(ps));
    const row = await admit({ parents: ps, island: null }, 'merge', proposal);
    const show = (f: string) => p.git('show', `${row.commitSha}:problem/${f}`);
    return { proposal, row, show };
  };
  return { p, store, baseline, child, merge, ctx, view, mergeAndCommit };
}

describe('merge', () => {
  it('merges two candidates cleanly against their common ancestor and commits the result', async () => {
    const { baseline, child, mergeAndCommit } = await setup();
    const origin = await child(baseline, 1, (s) => s.replace('a = 1', 'a = 10'));
    const left = await child(origin, 2, (s) => s.replace('b = 2', 'b = 20'));
    const right = await child(origin, 3, (s) => s.replace('d = 4', 'd = 40'), 'export const scale = 2;\n');
    const { proposal, row, show } = await mergeAndCommit(left, right);
    expect(proposal).toMatchObject({
      operator: 'merge',
      description: `merge of #${left.id} and #${right.id} over their common ancestor #${origin.id}: 2 file(s) merged cleanly`,
    });
    expect(row.status).toBe('pending');
    expect(row.parentId).toBe(left.id);
    expect(row.parents).toEqual([left.id, right.id]);
    expect(show('program.mjs')).toBe(PROGRAM.replace('a = 1', 'a = 10').replace('b = 2', 'b = 20').replace('d = 4', 'd = 40').trimEnd());
    expect(show('extra.mjs')).toBe('export const scale = 2;');
  });

  it("resolves a conflicting hunk by taking one side, says which, and keeps both sides' clean hunks", async () => {
    const { baseline, child, mergeAndCommit } = await setup();
    const origin = await child(baseline, 1, (s) => s.replace('a = 1', 'a = 10'));
    const left = await child(origin, 2, (s) => s.replace('c = 3', 'c = 30'), 'export const scale = 5;\n');
    const right = await child(origin, 3, (s) => s.replace('c = 3', 'c = 31').replace('d = 4', 'd = 41'));
    const { proposal, show } = await mergeAndCommit(left, right);
    const description = 'description' in proposal ? proposal.description : '';
    const program = show('program.mjs');
    // The proposal's seeded draw took one side of the conflict on line c; the hunk on d only the right changed is clean.
    const fromBetter = program.includes('c = 31');
    expect(description).toBe(
      `merge of #${left.id} and #${right.id} over their common ancestor #${origin.id}: 1 file(s) merged cleanly; ` +
        `program.mjs: 1 conflicting hunk(s), 0 taken from the side that edited them more often, ` +
        `${fromBetter ? 1 : 0} from #${right.id} (the better score), ${fromBetter ? 0 : 1} from #${left.id}`,
    );
    expect(program).toBe(
      PROGRAM.replace('a = 1', 'a = 10')
        .replace('c = 3', fromBetter ? 'c = 31' : 'c = 30')
        .replace('d = 4', 'd = 41')
        .trimEnd(),
    );
    expect(show('extra.mjs')).toBe('export const scale = 5;'); // the clean side of the other file is kept
  });

  it('takes a conflicting hunk from the better-scoring side as often as BETTER_SIDE says', async () => {
    const o = { 'x.txt': 'a\nb\nc' };
    const mine = { 'x.txt': 'a\nB1\nc' };
    const theirs = { 'x.txt': 'a\nB2\nC' };
    const readBase = async () => undefined;
    const merged = (r: number, better: 'mine' | 'theirs') => mergeFiles(mine, o, theirs, readBase, () => r, better).then((m) => m['x.txt']);
    expect(await merged(BETTER_SIDE - 0.01, 'theirs')).toEqual({ content: 'a\nB2\nC', conflicts: 1, byHistory: 0, fromBetter: 1 });
    expect(await merged(BETTER_SIDE + 0.01, 'theirs')).toEqual({ content: 'a\nB1\nC', conflicts: 1, byHistory: 0, fromBetter: 0 });
    expect(await merged(BETTER_SIDE - 0.01, 'mine')).toEqual({ content: 'a\nB1\nC', conflicts: 1, byHistory: 0, fromBetter: 1 });
  });

  it('takes a conflicting hunk from the side whose lineage edited it more often since the common ancestor, whatever the scores', async () => {
    const { baseline, child, mergeAndCommit } = await setup();
    const origin = await child(baseline, 1, (s) => s.replace('a = 1', 'a = 10'));
    const first = await child(origin, 2, (s) => s.replace('c = 3', 'c = 30'));
    const left = await child(first, 2, (s) => s.replace('c = 30', 'c = 33'));
    const right = await child(origin, 3, (s) => s.replace('c = 3', 'c = 31').replace('d = 4', 'd = 41'));
    const { proposal, show } = await mergeAndCommit(left, right);
    // The left lineage edited c twice, the right (the better score) once: c comes from the left; d, only the right changed, is clean.
    expect(show('program.mjs')).toBe(PROGRAM.replace('a = 1', 'a = 10').replace('c = 3', 'c = 33').replace('d = 4', 'd = 41').trimEnd());
    expect('description' in proposal && proposal.description).toBe(
      `merge of #${left.id} and #${right.id} over their common ancestor #${origin.id}: 0 file(s) merged cleanly; ` +
        `program.mjs: 1 conflicting hunk(s), 1 taken from the side that edited them more often, 0 from #${right.id} (the better score), 0 from #${left.id}`,
    );
  });

  it('splits lines both replaced one for one by which lineage edited each line more often, so two lineages that each worked on their own lines combine', async () => {
    const { baseline, child, mergeAndCommit } = await setup();
    const origin = await child(baseline, 1, (s) => s.replace('const', 'let'));
    // The left worked on a and b (twice each) and drifted once on c and d; the right the other way round.
    const set = (s: string, values: Record<string, number>) =>
      Object.entries(values).reduce((t, [k, v]) => t.replace(new RegExp(`${k} = \\d+`), `${k} = ${v}`), s);
    const l1 = await child(origin, 2, (s) => set(s, { a: 10, b: 20, c: 5, d: 6 }));
    const left = await child(l1, 3, (s) => set(s, { a: 11, b: 21 }));
    const r1 = await child(origin, 2, (s) => set(s, { a: 7, b: 8, c: 30, d: 40 }));
    const right = await child(r1, 3, (s) => set(s, { c: 31, d: 41 }));
    const { proposal, show } = await mergeAndCommit(left, right);
    expect(show('program.mjs')).toBe(set(PROGRAM.replace('const', 'let'), { a: 11, b: 21, c: 31, d: 41 }).trimEnd());
    expect('description' in proposal && proposal.description).toContain(
      'program.mjs: 2 conflicting hunk(s), 2 taken from the side that edited them more often',
    );
  });

  it('proposes nothing for an ancestor and its descendant, or a merge already tried', async () => {
    const { baseline, child, merge, ctx, view, mergeAndCommit } = await setup();
    const origin = await child(baseline, 1, (s) => s.replace('a = 1', 'a = 10'));
    const left = await child(origin, 2, (s) => s.replace('b = 2', 'b = 20'));
    const right = await child(origin, 3, (s) => s.replace('d = 4', 'd = 40'));
    await expect(merge.propose(ctx([view(left), view(origin)]))).rejects.toThrow(
      new NothingNew(`#${origin.id} is an ancestor of #${left.id}: nothing to merge`),
    );
    await expect(merge.propose(ctx([view(origin), view(left)]))).rejects.toThrow(`#${origin.id} is an ancestor of #${left.id}`);
    await expect(merge.propose(ctx([view(left)]))).rejects.toThrow(/needs two parents.*search.strategy: islands/);
    await mergeAndCommit(left, right);
    await expect(merge.propose(ctx([view(left), view(right)]))).rejects.toThrow(`the merge of #${left.id} and #${right.id} was already tried`);
  });

  it('proposes nothing when the merge comes out as the second parent itself: a copy, not a combination', async () => {
    const { baseline, child, merge, ctx, view } = await setup();
    const origin = await child(baseline, 1, (s) => s.replace('a = 1', 'a = 10'));
    const left = await child(origin, 2, (s) => s.replace('b = 2', 'b = 20'));
    const right = await child(origin, 3, (s) => s.replace('b = 2', 'b = 20').replace('d = 4', 'd = 40'));
    await expect(merge.propose(ctx([view(left), view(right)]))).rejects.toThrow(
      new NothingNew(`merging #${left.id} into #${right.id} changes nothing: #${right.id} already has its changes (or wins every conflict)`),
    );
  });

  it('is refused with greedy: it needs two parents', () => {
    const config = validateConfig({
      edit: ['a.js'],
      verifier: { stages: [{ name: 's', kind: 'score', run: 'node s.js' }] },
      objective: { metric: 'x', goal: 'maximize' },
      operators: { merge: 1, tune: 1 },
    });
    const plan = () => planOperators(config, { env: {} });
    expect(plan).toThrow(UsageError);
    expect(plan).toThrow(
      'operators.merge combines two parents, but search.strategy greedy gives one. Fix: use search.strategy: islands, or remove merge from operators.',
    );
  });
});
