// Gathers what a prompt shows from the run: the parent's files and measurements, the best
// candidates and the lessons from the store, the instructions from the config or evoloop.md.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { readLessons } from '../propose/lessons.js';
import type { PromptFile, PromptInput } from '../propose/prompt.js';
import type { Store } from '../store/store.js';
import type { OperatorContext } from './operator.js';

/** What every prompting operator knows about its run. */
export interface ProblemInfo {
  store: Store;
  runId: string;
  config: Config;
  problemDir: string;
  /** The config file, when there is one (evoloop.md is looked for beside it). */
  configFile?: string;
  /** Every file of the base commit in the problem folder. */
  baseFiles: () => string[];
}

/** Frozen files longer than this are not shown at all (data, generated code). */
const MAX_FROZEN_BYTES = 200_000;
const STDERR_LINES = 15;

export async function gatherPromptInput(p: ProblemInfo, ctx: OperatorContext): Promise<PromptInput> {
  const editable: PromptFile[] = [];
  for (const file of ctx.editableFiles) {
    const content = await ctx.readFile(file);
    if (content !== undefined) editable.push({ path: file, content });
  }
  const hidden = hiddenFiles(p);
  const frozen: PromptFile[] = [];
  for (const file of p.baseFiles()) {
    if (ctx.editableFiles.includes(file) || hidden.has(file) || file.split('/').some((s) => s.startsWith('.'))) continue;
    const content = await ctx.readFile(file);
    if (content === undefined || content.length > MAX_FROZEN_BYTES || content.includes('\0')) continue;
    frozen.push({ path: file, content });
  }
  const goal = p.config.objective.goal;
  const best = p.store
    .listCandidates(p.runId, { status: ['baseline', 'accepted'] })
    .filter((c) => c.score !== null)
    .sort((a, b) => (goal === 'maximize' ? b.score! - a.score! : a.score! - b.score!))
    .slice(0, 3)
    .map((c) => ({ id: c.id, score: c.score!, description: c.operator === 'baseline' ? 'the base program' : c.description }));
  return {
    instructions: instructions(p),
    objective: { text: p.config.objective.metric ?? p.config.objective.expr ?? '', goal },
    editable,
    frozen,
    parent: { id: ctx.parent.id, score: ctx.parent.score, metrics: ctx.parent.metrics, feedback: feedback(p.store, ctx.parent.id) },
    best,
    lessons: readLessons(p.store, p.runId, goal),
  };
}

function instructions(p: ProblemInfo): string | undefined {
  if (p.config.instructions) return p.config.instructions;
  const file = path.join(p.configFile ? path.dirname(p.configFile) : p.problemDir, 'evoloop.md');
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** Never shown: the config, the instructions file, and anything a holdout stage names (it must stay unseen). */
function hiddenFiles(p: ProblemInfo): Set<string> {
  const hidden = new Set(['evoloop.yaml', 'evoloop.yml', 'evoloop.md']);
  if (p.configFile) hidden.add(path.relative(p.problemDir, p.configFile).split(path.sep).join('/'));
  for (const s of p.config.verifier.stages) {
    if (s.kind !== 'holdout' || !s.run) continue;
    for (const word of s.run.split(/\s+/)) hidden.add(word.replace(/^\.\//, ''));
  }
  return hidden;
}

/** The parent's verifier feedback and stderr tails, from its last repeat of each non-holdout stage. */
function feedback(store: Store, candidateId: number): string[] {
  const last = new Map<string, ReturnType<Store['measurements']>[number]>();
  for (const m of store.measurements(candidateId)) if (m.kind !== 'holdout') last.set(m.stage, m);
  const out: string[] = [];
  for (const m of last.values()) {
    if (m.feedback?.trim()) out.push(`${m.stage}: ${m.feedback.trim()}`);
    const tail = m.stderrTail.trim().split('\n').slice(-STDERR_LINES).join('\n');
    if (tail) out.push(`${m.stage} stderr (last lines):\n${tail}`);
  }
  return out;
}
