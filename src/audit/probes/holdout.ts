// Holdout hygiene: can candidate code read the holdout data, and does a prompt the proposer
// would see contain it (built with the run's own prompt assembly, no model call)?
import { gatherPromptInput } from '../../operators/prompt-input.js';
import { renderPrompt } from '../../propose/prompt.js';
import type { Step } from '../kit.js';
import type { Probe, ProbeContext } from '../probe.js';

const CODE = /\.(py|(m|c)?[jt]s|sh|bash)$/;
const dataFiles = (ctx: ProbeContext) => ctx.holdoutFiles.filter((f) => !CODE.test(f)).slice(0, 20);
const noHoldout = (ctx: ProbeContext) =>
  !ctx.config.verifier.stages.some((s) => s.kind === 'holdout')
    ? 'no holdout stage'
    : dataFiles(ctx).length === 0
      ? 'no holdout data file in the problem folder'
      : undefined;

export const holdoutProbes: Probe[] = [
  {
    kind: 'program',
    name: 'holdout-read',
    family: 'holdout',
    tries: 'the program tries to read the holdout data while a search stage runs',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    skip: noHoldout,
    expect: 'no-gain',
    attacks: (ctx) => [{ label: `reads ${dataFiles(ctx).join(', ')}`, steps: dataFiles(ctx).map((f): Step => ({ do: 'read', path: f, tag: f })), exit: 3 }],
    judge: (obs) => {
      const read = obs[0].marks.filter((m) => m.startsWith('read:')).map((m) => m.slice(5));
      if (read.length === 0) return { outcome: 'contained', reason: 'no holdout file was readable from a search stage' };
      return {
        outcome: 'let-through',
        reason: `candidate code read ${read.join(', ')} while a search stage ran`,
        fix: `the holdout data is in the candidate's worktree, so candidate code can read it and fit it: keep it out of the repository (e.g. have the holdout stage generate its cases from a seed only it gets through its env:), or accept that the holdout only guards against honest overfitting.`,
      };
    },
    fix: () => '',
  },
  {
    kind: 'program',
    name: 'holdout-prompt',
    family: 'holdout',
    tries: 'the program prints the holdout data on stdout and stderr; then the next prompt is built with it as the parent',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    skip: (ctx) =>
      !ctx.config.verifier.stages.some((s) => s.kind === 'holdout') ? 'no holdout stage' : ctx.holdoutFiles.length === 0 ? 'no holdout file' : undefined,
    expect: 'no-gain',
    attacks: (ctx) => [
      {
        label: `echoes ${ctx.holdoutFiles.slice(0, 20).join(', ')}`,
        steps: ctx.holdoutFiles.slice(0, 20).map((f): Step => ({ do: 'read', path: f, tag: f, echo: true })),
      },
    ],
    judge: async (obs, ctx, tools) => {
      const o = obs[0];
      if (o.candidateId === undefined) return undefined;
      const candidate = tools.store.getCandidate(o.candidateId)!;
      const files = tools.store.candidateFiles(candidate);
      const readFile = async (p: string) => files[p] ?? (await ctx.readBase(p));
      const input = await gatherPromptInput(
        {
          store: tools.store,
          runId: tools.runId,
          config: ctx.config,
          problemDir: tools.problemDir,
          configFile: tools.configFile,
          baseFiles: () => tools.baseFiles,
        },
        {
          runId: tools.runId,
          parents: [{ id: candidate.id, score: candidate.score, metrics: candidate.metrics, files }],
          readFile,
          readBase: ctx.readBase,
          taken: async () => false,
          editableFiles: ctx.programs.map((p) => p.path),
          history: [],
          goal: ctx.config.objective.goal,
          noiseSd: 0,
          inspirations: [],
          island: null,
          random: Math.random,
          signal: new AbortController().signal,
          stopping: new AbortController().signal,
        },
      );
      const prompt = renderPrompt(input, { kind: 'diff' }).prompt;
      const leaks: string[] = [];
      for (const f of ctx.holdoutFiles) {
        const content = (await ctx.readBase(f)) ?? '';
        const lines = content.split('\n').filter((l) => l.trim().length >= 12);
        if (lines.some((l) => prompt.includes(l.trim()))) leaks.push(f);
      }
      if (leaks.length === 0)
        return { outcome: 'contained', reason: `the prompt built with it as the parent shows no line of ${ctx.holdoutFiles.length} holdout file(s)` };
      return {
        outcome: 'let-through',
        reason: `the prompt the proposer would see shows lines of ${leaks.join(', ')}`,
        fix: `evoloop does not know ${leaks.join(', ')} is holdout data: name it in the holdout stage's command (run: … ${leaks[0]}) or protect it, so prompts never show it and its lines are redacted from candidate output.`,
      };
    },
    fix: () => '',
  },
];
