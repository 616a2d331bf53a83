// What the probes know about the problem: its programs and their languages, the verifier's
// files, the holdout files, the measured baseline, and where the audit's worktree is.
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { compileObjective } from '../core/fitness.js';
import type { Metrics } from '../core/types.js';
import { holdoutFiles } from '../propose/context-files.js';
import { isEditable, protectedBy, type EditRules } from '../propose/edit-rules.js';
import type { Workspace } from '../workspace/workspace.js';
import { languageOf } from './inject.js';
import type { ProbeContext } from './probe.js';

/** Most editable files an attack is put into (each runs it). */
const MAX_PROGRAMS = 5;

export async function probeContext(opts: {
  config: Config;
  rules: EditRules;
  workspace: Workspace;
  worktree: { dir: string; root: string };
  baseline: { samples: number[]; score: number; metrics: Metrics };
  sandbox: boolean;
}): Promise<ProbeContext> {
  const { config, rules, workspace } = opts;
  const files = workspace.baseFiles();
  const readBase = (p: string) => workspace.readBase(p);
  const programs: ProbeContext['programs'] = [];
  for (const p of files.filter((f) => isEditable(f, rules) && !f.endsWith('.d.ts')).slice(0, MAX_PROGRAMS)) {
    const content = (await readBase(p)) ?? '';
    programs.push({ path: p, content, language: languageOf(p, content) });
  }
  const protectedFiles = files.filter((f) => protectedBy(f, rules) !== undefined && !rules.alwaysProtected.includes(f));
  const named = files.filter((f) => config.verifier.stages.some((s) => (s.run ?? '').split(/[\s'"=;|&<>()]+/).includes(f)));
  const verifierFiles = [...new Set([...named, ...protectedFiles])].filter((f) => !isEditable(f, rules));
  const holdout = new Set((await holdoutFiles(files, config, rules, readBase)).keys());
  if (config.verifier.stages.some((s) => s.kind === 'holdout')) {
    for (const f of files) if (/holdout/i.test(f) && !isEditable(f, rules)) holdout.add(f);
  }
  return {
    config,
    rules,
    goal: config.objective.goal,
    objectiveMetrics: compileObjective(config.objective).metrics,
    baseline: opts.baseline,
    programs,
    verifierFiles,
    protectedFiles,
    holdoutFiles: [...holdout].sort(),
    sandbox: opts.sandbox,
    dir: opts.worktree.dir,
    root: opts.worktree.root,
    readBase,
  };
}

export const MARKS_FILE = '.evoloop-audit-marks';
export const marksPath = (dir: string) => path.join(dir, MARKS_FILE);
