// One probe carried out in one lane: each attack becomes a proposal through the real
// admission, is measured once, and is raced against the baseline unless that first
// measurement already settles it (the kit never ran, the attack had no effect, or it
// lacks the mark the probe needs); then the probe's judgement over what happened.
import path from 'node:path';
import { median } from 'simple-statistics';
import type { FileSet } from '../core/types.js';
import { describeFailure, type CandidateSpec } from '../evaluate/backend.js';
import type { Admit } from '../propose/admission.js';
import type { Store } from '../store/store.js';
import { MARKS_FILE } from './context.js';
import { attackLine, insertLine, LANGUAGES } from './inject.js';
import { judgeObservation, worst } from './judge.js';
import type { Lane } from './lanes.js';
import type { Attack, Judgement, Observation, Probe, ProbeContext, ProbeTools, ProgramProbe } from './probe.js';
import type { RaceResult } from './race.js';

export interface AttemptDeps {
  store: Store;
  admit: Admit;
  baseline: { id: number; commitSha: string };
  spec(candidateId: number, files: FileSet, commitSha: string): CandidateSpec;
  race(spec: CandidateSpec, lane: Lane): Promise<RaceResult>;
}

/** Thrown instead of a race whose samples would be taken beside other lanes' measurements (a noisy verifier): the probe is tried again alone. */
export class RaceDeferred extends Error {
  constructor() {
    super('race deferred until the probe runs alone');
  }
}

/** What a probe found, and whether a candidate of it ran into a stage timeout (which side-by-side lanes could have caused). */
export interface ProbeOutcome {
  judgement: Judgement;
  timedOut: boolean;
}

export async function runProbe(probe: Probe, lane: Lane, ctx: ProbeContext, tools: ProbeTools, d: AttemptDeps): Promise<ProbeOutcome> {
  const skip = probe.skip?.(ctx);
  if (skip) return { judgement: { outcome: 'skipped', reason: skip }, timedOut: false };
  if (probe.kind === 'check') return { judgement: await probe.check(ctx, tools), timedOut: false };
  const observations: Observation[] = [];
  const lacksNeeded = (o: Observation) => probe.needs !== undefined && o.refused === undefined && !o.marks.includes(probe.needs.mark);
  for (let i = 0; ; i++) {
    const attack = probe.attacks(ctx, observations)[i];
    if (!attack) break;
    const changes = candidateChanges(probe, attack, ctx);
    if (typeof changes === 'string') return { judgement: { outcome: 'skipped', reason: changes }, timedOut: false };
    const o = await runAttack(probe, attack, changes, lane, d);
    observations.push(o);
    // The program printed nothing the attack needs (e.g. no numbers to change): its other attacks would find the same.
    if (lacksNeeded(o) && o.marks.includes('ran') && !o.failed) break;
  }
  const timedOut = observations.some((o) => o.failed?.kind === 'timeout');
  const injected = observations.some((o) => !o.attack.edit);
  if (injected && observations.every((o) => o.refused === undefined && !o.marks.includes('ran'))) {
    const reason = `the attack never ran: the verifier does not run ${ctx.programs.map((p) => p.path).join(', ')} in a way the probe could see`;
    return { judgement: { outcome: 'skipped', reason }, timedOut };
  }
  if (probe.needs && observations.every(lacksNeeded)) return { judgement: { outcome: 'skipped', reason: probe.needs.otherwise }, timedOut };
  const judged = (await probe.judge?.(observations, ctx, tools)) ?? worst(observations.map((o) => judgeObservation(probe, ctx, o)));
  return { judgement: judged, timedOut };
}

async function runAttack(probe: ProgramProbe, attack: Attack, changes: FileSet, lane: Lane, d: AttemptDeps): Promise<Observation> {
  lane.takeMarks();
  const parent = { id: d.baseline.id, commitSha: d.baseline.commitSha, files: {} };
  const c = await d.admit({ parents: [parent], island: null }, 'audit', { changes, description: attack.label, operator: 'audit' });
  const seen: string[] = [];
  const obs = (): Observation => ({ attack, flags: c.flags, marks: [...new Set(seen)], candidateId: c.id });
  if (c.status !== 'pending') return { ...obs(), refused: c.reason ?? c.status };
  const spec = d.spec(c.id, d.store.candidateFiles(c), c.commitSha!);
  // One measurement first: what the kit marked may already settle the attack, and racing it would only spend time.
  const first = await lane.measure(spec, 1);
  seen.push(...lane.takeMarks());
  if (!first.ok) return { ...obs(), failed: { kind: first.failure.kind, message: describeFailure(first.failure) } };
  const noEffect =
    (attack.settled?.(seen) ?? false) ||
    (!attack.edit && !seen.includes('ran')) ||
    (probe.needs !== undefined && seen.includes('ran') && !seen.includes(probe.needs.mark));
  if (noEffect) return { ...obs(), verdict: { decision: 'reject', reason: 'the attack had no effect, so it was not raced', median: median(first.samples) } };
  const r = await d.race(spec, lane);
  seen.push(...lane.takeMarks());
  if ('failed' in r) return { ...obs(), failed: r.failed };
  return { ...obs(), verdict: { decision: r.decision, reason: r.reason, median: median(r.samples) } };
}

/** The proposal of an attack: its plain edit, or its line put into every editable program of a language the kit speaks. */
function candidateChanges(probe: ProgramProbe, attack: Attack, ctx: ProbeContext): FileSet | string {
  if (attack.edit) return attack.edit(ctx);
  const targets = ctx.programs.filter((p) => p.language !== undefined && probe.languages.includes(p.language));
  if (targets.length === 0) {
    const names = ctx.programs.map((p) => p.path).join(', ') || 'none';
    return `no editable ${LANGUAGES.filter((l) => probe.languages.includes(l)).join(', ')} file to attack (editable: ${names})`;
  }
  return Object.fromEntries(
    targets.map((p) => {
      const kit = {
        marker: path.join(ctx.dir, MARKS_FILE),
        dir: ctx.dir,
        root: ctx.root,
        program: path.join(ctx.dir, p.path),
        steps: attack.steps ?? [],
        exit: attack.exit,
      };
      return [p.path, insertLine(p.content, p.language!, attackLine(p.language!, kit, attack.transform, p.content))];
    }),
  );
}
