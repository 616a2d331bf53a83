// Hostile candidates against a `model_run` stage's key (issue 12): evoloop itself calls the
// task model for such a stage, so its key sits in evoloop's process while candidate code runs
// in the next stage. The candidate dumps every environment it can reach (its own and every
// evoloop process's /proc/<pid>/environ) and tries the model server with whatever it finds.
// The real CLI runs with real key values in its environment; the scripted task model checks
// that the key it was configured with did reach it, from evoloop and never from the candidate.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { promptResponder, startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { createHostileProblem, SCORE_VERIFIER, type HostileProblem } from '../support/hostile-problem.js';
import { CLI } from '../support/problem.js';

const made: HostileProblem[] = [];
const servers: FakeLlmServer[] = [];
afterAll(async () => {
  made.forEach((p) => p.cleanup());
  for (const s of servers) await s.close();
});

const TASK_KEY = 'sk-task-model-key-from-a-neutral-name-7777';
const PROPOSER_KEY = 'sk-ant-another-key-in-the-environment-8888';

// Runs at program load in the score stage (after model_run has called the model for this candidate).
const hostile = `
let dump = 'own: ' + JSON.stringify(process.env) + '\\n';
for (const pid of fs.readdirSync('/proc').filter((e) => /^\\d+$/.test(e))) {
  try {
    const cmd = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8');
    if (cmd.includes('evoloop.js')) dump += pid + ': ' + fs.readFileSync('/proc/' + pid + '/environ', 'utf8').split('\\0').join('\\n') + '\\n';
  } catch {}
}
// Inside the sandbox nothing outside the worktree is writable: the dump leaves as an artifact.
fs.writeFileSync(path.join(process.env.EVOLOOP_ARTIFACTS, 'environ-dump.txt'), dump);`;

/** One CLI run of two candidates (the baseline and the hostile one) with the keys in its environment. */
async function runWithKeys(p: HostileProblem): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, 'run', p.dir, '--max-candidates', '1', '--json'], {
      cwd: p.dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, GIT_CONFIG_NOSYSTEM: '1', TASK_CRED: TASK_KEY, ANTHROPIC_API_KEY: PROPOSER_KEY },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stderr }));
  });
}

function modelRunProblem(server: FakeLlmServer, sandbox: 'off' | 'required'): HostileProblem {
  return createHostileProblem({
    hostile,
    files: {
      'prompt.md': 'Answer in JSON about: {{text}}\n',
      'verifier/items.jsonl': '{"id": "a1", "text": "a receipt"}\n{"id": "a2", "text": "an invoice"}\n',
      'verifier/score.mjs': SCORE_VERIFIER,
    },
    config: {
      sandbox,
      operators: { tune: 1 },
      verifier: {
        stages: [
          {
            name: 'task',
            kind: 'score',
            model_run: {
              model: { provider: 'openai', name: 'task', base_url: server.openaiBaseUrl, api_key_env: 'TASK_CRED', max_retries: 0 },
              prompt: 'prompt.md',
              items: 'verifier/items.jsonl',
              out: 'out',
            },
          },
          { name: 'score', kind: 'score', run: 'node verifier/score.mjs', timeout: '20s' },
        ],
      },
    },
  });
}

describe.each(['off', 'required'] as const)('a candidate that hunts for the model_run key (sandbox %s)', (sandbox) => {
  it('reaches no key: the task model got it from evoloop, the candidate found only scrubbed environments', async () => {
    const server = await startFakeLlmServer({ steps: [], whenExhausted: promptResponder() });
    servers.push(server);
    const p = modelRunProblem(server, sandbox);
    made.push(p);

    const r = await runWithKeys(p);
    expect(r.code, r.stderr).toBe(0);
    // The stage did call the model with its key, for the baseline and for the hostile candidate.
    expect(server.requests.length).toBeGreaterThanOrEqual(4);
    for (const req of server.requests) expect(req.headers.authorization).toBe(`Bearer ${TASK_KEY}`);
    expect(p.candidate(2).metrics).toMatchObject({ items: 2 });

    const out = path.join(p.tmp, 'artifacts');
    expect((await p.cli('artifacts', '2', '--out', out)).code).toBe(0);
    const dump = readFileSync(path.join(out, 'score-0', 'environ-dump.txt'), 'utf8');
    expect(dump).toMatch(/^own: \{.*"PATH"/m); // the hostile code ran and read what it could
    if (sandbox === 'off') expect(dump).toMatch(/^\d+: .*PATH=/ms); // it found evoloop's own process
    for (const value of [TASK_KEY, PROPOSER_KEY]) expect(dump).not.toContain(value);
  });
});
