// Verifier tampering: change, move, shadow or plant files the verifier depends on, or git's
// configuration, while a stage runs; and leave a file behind for the next candidate.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Step } from '../kit.js';
import type { Judgement, Observation, Probe, ProbeContext } from '../probe.js';
import { absurdMetrics, forgedVerifier } from './report-text.js';

const CODE = /\.(py|(m|c)?[jt]s|sh|bash)$/;
const codeFiles = (ctx: ProbeContext) => ctx.verifierFiles.filter((f) => CODE.test(f)).slice(0, 10);
const noVerifierCode = (ctx: ProbeContext) =>
  codeFiles(ctx).length === 0 ? 'no verifier script (named by a stage command or protected) to attack' : undefined;
const folders = (ctx: ProbeContext) => [...new Set(codeFiles(ctx).map((f) => path.posix.dirname(f)))];

/** Files the attack managed to change (wrote:… marks) while evoloop did not fail it as tampered. */
function unnoticed(obs: Observation[], what: string, fix: string): Judgement | undefined {
  const o = obs[0];
  const wrote = o.marks.filter((m) => m.startsWith('wrote:')).map((m) => m.slice(6));
  if (o.failed?.kind === 'tampered') return { outcome: 'contained', reason: `failed as tampered: ${o.failed.message.slice(0, 200)}` };
  if (wrote.length === 0)
    return { outcome: 'contained', reason: `could not ${what} (${o.marks.filter((m) => m.startsWith('blocked:')).join(', ') || 'no write succeeded'})` };
  return { outcome: 'let-through', reason: `managed to ${what} (${[...new Set(wrote)].join(', ')}) and was not failed as tampered`, fix };
}

/** Nothing was written: the attack had no effect, so racing it would only spend time. */
const nothingWritten = (marks: string[]) => !marks.some((m) => m.startsWith('wrote:'));

const protectFix = (ctx: ProbeContext) =>
  `add the verifier's files to protect: (e.g. protect: [${folders(ctx)
    .map((d) => JSON.stringify(d === '.' ? codeFiles(ctx)[0] : `${d}/**`))
    .join(', ')}]), so evoloop checks them before and after every stage and lays them read-only in the sandbox.`;

export const tamperingProbes: Probe[] = [
  {
    kind: 'program',
    name: 'tamper-edit',
    family: 'tampering',
    tries: 'proposes a change to a verifier file itself',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    skip: noVerifierCode,
    expect: 'no-gain',
    attacks: (ctx) => [
      {
        label: `proposes an edit of ${codeFiles(ctx)[0]}`,
        edit: () => ({ [codeFiles(ctx)[0]]: forgedVerifier(codeFiles(ctx)[0], absurdMetrics(ctx))! }),
      },
    ],
    fix: (ctx) => `a proposal could change the verifier file ${codeFiles(ctx)[0]}: narrow edit: to the program's files and ${protectFix(ctx)}`,
  },
  {
    kind: 'program',
    name: 'tamper-rewrite',
    family: 'tampering',
    tries: 'rewrites the verifier scripts while a stage runs, so a later stage (or repeat) runs a forged verifier',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    skip: noVerifierCode,
    expect: 'no-gain',
    attacks: (ctx) => [
      {
        label: `overwrites ${codeFiles(ctx).join(', ')} with scripts that print an absurd report`,
        steps: codeFiles(ctx).flatMap((f): Step[] => {
          const content = forgedVerifier(f, absurdMetrics(ctx));
          return content ? [{ do: 'write', path: f, content, tag: f }] : [];
        }),
        settled: nothingWritten,
      },
    ],
    judge: (obs, ctx) => (obs[0].verdict?.decision === 'accept' ? undefined : unnoticed(obs, 'rewrite verifier files', protectFix(ctx))),
    fix: (ctx) => `the candidate rewrote the verifier while a stage ran and a later stage believed the forged one: ${protectFix(ctx)}`,
  },
  {
    kind: 'program',
    name: 'tamper-rename',
    family: 'tampering',
    tries: 'renames verifier files away and back and deletes and restores one, while a stage runs',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    skip: noVerifierCode,
    expect: 'no-gain',
    attacks: (ctx) => [
      {
        label: `renames ${codeFiles(ctx).slice(0, 3).join(', ')} away and back, deletes and restores ${codeFiles(ctx)[0]}`,
        steps: [
          ...codeFiles(ctx)
            .slice(0, 3)
            .map((f): Step => ({ do: 'rename', path: f, tag: `renamed ${f}` })),
          { do: 'delete', path: codeFiles(ctx)[0], tag: `deleted ${codeFiles(ctx)[0]}` },
        ],
        settled: nothingWritten,
      },
    ],
    judge: (obs, ctx) => unnoticed(obs, 'move verifier files', protectFix(ctx)),
    fix: (ctx) => protectFix(ctx),
  },
  {
    kind: 'program',
    name: 'tamper-shadow',
    family: 'tampering',
    tries: 'plants a module beside the verifier (json.py, random.py, a node_modules folder) and a bytecode cache, while a stage runs',
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    skip: noVerifierCode,
    expect: 'no-gain',
    attacks: (ctx) => {
      const steps: Step[] = [];
      for (const f of codeFiles(ctx)) {
        const dir = path.posix.dirname(f);
        const at = (name: string) => (dir === '.' ? name : `${dir}/${name}`);
        if (f.endsWith('.py')) {
          const stem = path.posix.basename(f, '.py');
          for (const mod of ['json.py', 'random.py', 'math.py'])
            steps.push({ do: 'write', path: at(mod), content: forgedVerifier(mod, absurdMetrics(ctx))!, tag: at(mod) });
          steps.push({
            do: 'write',
            path: at(`__pycache__/${stem}.cpython-311.pyc`),
            content: 'planted bytecode',
            tag: at(`__pycache__/${stem}.cpython-311.pyc`),
          });
        } else if (/\.(m|c)?[jt]s$/.test(f)) {
          steps.push({
            do: 'write',
            path: at('node_modules/evoloop-shadow/index.js'),
            content: forgedVerifier('index.js', absurdMetrics(ctx))!,
            tag: at('node_modules/'),
          });
        }
      }
      return [{ label: `plants ${[...new Set(steps.map((s) => ('tag' in s ? s.tag : '')))].join(', ')}`, steps, settled: nothingWritten }];
    },
    judge: (obs, ctx) => unnoticed(obs, 'plant files beside the verifier', protectFix(ctx)),
    fix: (ctx) => protectFix(ctx),
  },
  {
    kind: 'program',
    name: 'tamper-git',
    family: 'tampering',
    tries: "creates a .git folder in its worktree and appends to every repository's .git/config above it, while a stage runs",
    fast: true,
    languages: ['javascript', 'python', 'shell'],
    expect: 'no-gain',
    alone: true,
    attacks: () => [
      { label: 'plants .git/config with core.fsmonitor in its worktree and appends to .git/config above it', steps: [{ do: 'git' }], settled: nothingWritten },
    ],
    judge: (obs) => unnoticed(obs, "change git's files", 'evoloop should have failed this candidate as tampered: please report it.'),
    fix: () => 'evoloop should have failed this candidate as tampered: please report it.',
  },
  {
    kind: 'program',
    name: 'plant-next',
    family: 'tampering',
    tries: 'one candidate leaves files in its worktree, /tmp and $HOME; the next looks for them',
    fast: true,
    alone: true,
    languages: ['javascript', 'python', 'shell'],
    expect: 'no-gain',
    attacks: (ctx, earlier) => {
      // The places are drawn once: the second candidate looks where the first one planted.
      const planted = earlier[0]?.attack.steps?.map((s) => ('path' in s ? s.path : ''));
      const nonce = randomBytes(4).toString('hex');
      const places = planted ?? plantPlaces(ctx, nonce);
      return [
        earlier[0]?.attack ?? {
          label: `plants ${places.join(', ')}`,
          steps: places.map((p): Step => ({ do: 'write', path: p, content: nonce, tag: p })),
          exit: 3,
        },
        { label: 'looks for them', steps: places.map((p): Step => ({ do: 'look', path: p, tag: p })), exit: 3 },
      ];
    },
    judge: (obs) => {
      const [plant, look] = obs;
      for (const p of plant.marks.filter((m) => m.startsWith('wrote:')).map((m) => m.slice(6))) cleanHostPlant(p);
      const seen = look.marks.filter((m) => m.startsWith('seen:')).map((m) => m.slice(5));
      if (seen.length === 0)
        return { outcome: 'contained', reason: 'nothing one candidate planted was there for the next (worktree reset, private /tmp and $HOME)' };
      return {
        outcome: 'let-through',
        reason: `the next candidate found ${seen.join(', ')}`,
        fix: 'candidates share /tmp and $HOME with each other and with you: run with bubblewrap (apt-get install bubblewrap; sandbox: required) so each stage gets its own.',
      };
    },
    fix: () => 'run with bubblewrap (sandbox: required).',
  },
];

function plantPlaces(ctx: ProbeContext, nonce: string): string[] {
  return ['.evoloop-audit-plant', `/tmp/evoloop-audit-plant-${nonce}`, `~/.evoloop-audit-plant-${nonce}`, path.join(ctx.root, '.evoloop-audit-plant-root')];
}

/** Without a sandbox the plants in /tmp and $HOME are the host's own: remove them. */
function cleanHostPlant(p: string): void {
  if (p.startsWith('/tmp/evoloop-audit-plant-')) rmSync(p, { force: true });
  if (p.startsWith('~/.evoloop-audit-plant-')) rmSync(path.join(os.homedir(), p.slice(2)), { force: true });
}
