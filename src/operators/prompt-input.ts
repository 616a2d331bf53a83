// Gathers what a prompt shows from the run: the parent's files and measurements, the best
// candidates and the lessons from the store, the instructions from the config or evoloop.md.
// Everything here that a candidate's code wrote (stage output, feedback, failure reasons,
// metric names) is capped and redacted on the way in; prompt.ts fences it as untrusted.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { modelKeyNames, type Config } from '../config/schema.js';
import { fmtBytes } from '../core/artifact-types.js';
import type { Metrics } from '../core/types.js';
import { holdoutFiles, shownFiles } from '../propose/context-files.js';
import { editRulesFor, type EditRules } from '../propose/edit-rules.js';
import { readLessons } from '../propose/lessons.js';
import type { PromptFile, PromptInput, UntrustedOutput } from '../propose/prompt.js';
import {
  ARTIFACT_LIMITS,
  envSecrets,
  FEEDBACK_LIMITS,
  holdoutSecrets,
  redact,
  STDERR_LIMITS,
  untrustedOutput,
  type OutputLimits,
  type Secret,
} from '../propose/untrusted-output.js';
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

/** At most this many inspirations, each file capped: they are ideas, not the program. */
const MAX_INSPIRATIONS = 3;
const INSPIRATION_LIMITS: OutputLimits = { lines: 120, chars: 4000, lineChars: 300, keep: 'head' };
/** Frozen files longer than this are not shown at all (data, generated code). */
const MAX_FROZEN_BYTES = 200_000;
/** Holdout files read for their lines (redacted from outputs) up to this size each. */
const MAX_HOLDOUT_BYTES = 512_000;
/**
 * evoloop's environment as it started: a run takes secrets out of process.env once the model
 * clients hold them, and their values must still be redacted from what candidates print.
 */
const STARTUP_ENV: NodeJS.ProcessEnv = { ...process.env };

/** `second`: show the second parent too (a crossover). */
export async function gatherPromptInput(p: ProblemInfo, ctx: OperatorContext, opts: { second?: boolean } = {}): Promise<PromptInput> {
  const parent = ctx.parents[0];
  const editable: PromptFile[] = [];
  for (const file of ctx.editableFiles) {
    const content = await ctx.readFile(file);
    if (content !== undefined) editable.push({ path: file, content });
  }
  const files = p.baseFiles();
  const rules = editRules(p);
  const envSecret = envSecrets([STARTUP_ENV, process.env], modelKeyNames(p.config));
  const holdout = await holdoutFiles(files, p.config, rules, ctx.readFile);
  const frozen: PromptFile[] = [];
  for (const file of shownFiles(files, p.config, rules, ctx.editableFiles, holdout)) {
    const content = await ctx.readFile(file);
    if (content === undefined || content.length > MAX_FROZEN_BYTES || content.includes('\0')) continue;
    frozen.push({ path: file, content: redact(content, envSecret) });
  }
  const secrets = [...envSecret, ...(await holdoutLines([...holdout.keys()], ctx, [...editable, ...frozen]))];
  const goal = p.config.objective.goal;
  // On islands the prompt shows the child's own island only: other islands reach it as inspirations.
  const best = p.store.queries
    .bestKept(p.runId, goal, ctx.island, 3)
    .map((c) => ({ id: c.id, score: c.score, description: c.operator === 'baseline' ? 'the base program' : redact(c.description, secrets) }));
  const artifacts = parentArtifacts(p.store, parent.id, secrets, p.config.artifacts.prompt_kb * 1024);
  return {
    instructions: instructions(p),
    objective: { text: p.config.objective.metric ?? p.config.objective.expr ?? '', goal },
    editable,
    frozen,
    parent: {
      id: parent.id,
      score: parent.score,
      metrics: metricsShown(parent.metrics, secrets),
      output: [...parentOutput(p.store, parent.id, secrets), ...artifacts.text],
      images: artifacts.images,
    },
    best,
    inspirations: ctx.inspirations.slice(0, MAX_INSPIRATIONS).map((i) => ({
      id: i.id,
      score: i.score,
      island: i.island,
      description: redact(i.description, secrets),
      files: Object.entries(i.files)
        .filter(([path]) => ctx.editableFiles.includes(path))
        .map(([path, content]) => ({ path, content: untrustedOutput(content, secrets, INSPIRATION_LIMITS) })),
    })),
    lessons: readLessons(p.store, p.runId, goal, { secrets, island: ctx.island }),
    second: opts.second && ctx.parents[1] ? await secondParent(p, ctx, secrets) : undefined,
  };
}

/** The second parent's measurements and output, and its editable files where they differ from the primary's. */
async function secondParent(p: ProblemInfo, ctx: OperatorContext, secrets: Secret[]): Promise<NonNullable<PromptInput['second']>> {
  const second = ctx.parents[1];
  const differing: PromptFile[] = [];
  for (const file of ctx.editableFiles) {
    const content = second.files[file] ?? (await ctx.readBase(file));
    if (content !== undefined && content !== (await ctx.readFile(file))) differing.push({ path: file, content });
  }
  return { id: second.id, score: second.score, metrics: metricsShown(second.metrics, secrets), output: parentOutput(p.store, second.id, secrets), differing };
}

function instructions(p: ProblemInfo): string | undefined {
  if (p.config.instructions) return p.config.instructions;
  if (p.config.instructions_file) return readFileSync(path.join(p.problemDir, p.config.instructions_file), 'utf8');
  const file = path.join(p.configFile ? path.dirname(p.configFile) : p.problemDir, 'evoloop.md');
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

function editRules(p: ProblemInfo): EditRules {
  return editRulesFor(p.config, p.problemDir, p.configFile);
}

/** The lines of the holdout files, to redact from outputs; lines the prompt shows anyway are left alone. */
async function holdoutLines(holdout: string[], ctx: OperatorContext, shown: PromptFile[]): Promise<Secret[]> {
  const contents: string[] = [];
  for (const file of holdout) {
    const content = await ctx.readFile(file);
    if (content !== undefined && content.length <= MAX_HOLDOUT_BYTES && !content.includes('\0')) contents.push(content);
  }
  const visible = shown.map((f) => f.content).join('\n');
  return holdoutSecrets(contents).filter((s) => !visible.includes(s.value));
}

/** The parent's verifier feedback and stderr tails, from its last repeat of each non-holdout stage. */
function parentOutput(store: Store, candidateId: number, secrets: Secret[]): UntrustedOutput[] {
  const last = new Map<string, ReturnType<Store['measurements']>[number]>();
  for (const m of store.measurements(candidateId)) if (m.kind !== 'holdout') last.set(m.stage, m);
  const out: UntrustedOutput[] = [];
  for (const m of last.values()) {
    const feedback = untrustedOutput(m.feedback ?? '', secrets, FEEDBACK_LIMITS);
    if (feedback) out.push({ stage: m.stage, stream: 'feedback', text: feedback });
    const tail = untrustedOutput(m.stderrTail, secrets, STDERR_LIMITS);
    if (tail) out.push({ stage: m.stage, stream: 'stderr', text: tail });
  }
  return out;
}

/**
 * The parent's text artifacts from its last repeat of each non-holdout stage, redacted and
 * capped to `maxChars` in all, and a line per image (an image is not sent to the model).
 */
function parentArtifacts(store: Store, candidateId: number, secrets: Secret[], maxChars: number): { text: UntrustedOutput[]; images: string[] } {
  if (maxChars <= 0) return { text: [], images: [] };
  const runs = new Map<string, number>();
  const shown = store.artifacts.list(candidateId).filter((a) => a.kind !== 'holdout' && a.epoch === 0 && a.hash !== null);
  for (const a of shown) runs.set(a.stage, Math.max(runs.get(a.stage) ?? 0, a.repeat));
  const last = shown.filter((a) => a.repeat === runs.get(a.stage));
  const text: UntrustedOutput[] = [];
  let left = maxChars;
  for (const a of last.filter((x) => x.type === 'text')) {
    if (left < 80) break;
    const content = store.artifacts.read(a)?.toString('utf8');
    if (!content || content.includes('\0')) continue;
    const shownText = untrustedOutput(content, secrets, { ...ARTIFACT_LIMITS, chars: Math.min(ARTIFACT_LIMITS.chars, left) });
    if (!shownText) continue;
    text.push({ stage: a.stage, stream: 'artifact', name: plainName(a.name, secrets), text: shownText });
    left -= shownText.length;
  }
  const images = last
    .filter((x) => x.type === 'image')
    .slice(0, 10)
    .map((a) => `${plainName(a.name, secrets)} written by stage ${a.stage} (${a.mediaType}, ${fmtBytes(a.size)})`);
  return { text, images };
}

/** Metric names come from the stage's output too, and are shown unfenced: redacted, a plain name of at most 64 characters. */
function metricsShown(metrics: Metrics | null, secrets: Secret[]): Metrics | null {
  if (!metrics) return null;
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [plainName(k, secrets), v]));
}

/** A name a candidate chose (a metric, an artifact file), shown unfenced: redacted, plain characters, at most 64. */
function plainName(name: string, secrets: Secret[]): string {
  return redact(name, secrets)
    .replace(/[^A-Za-z0-9_.\/-]/g, '_')
    .slice(0, 64);
}
