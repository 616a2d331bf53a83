// The agent operator contained like a verifier stage (issue 8, item 11): under the sandbox it
// reaches the network (its own model API) but not the host's secrets, the store, the
// verifier or anything outside its worktree; its environment holds its own key only; a stall
// (no output, no file change) kills it; and what it changes is admitted by the same rules.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runEvolution } from '../../src/engine/run.js';
import { openStore, type CandidateRecord } from '../../src/store/store.js';
import { CIRCLE_CONFIG } from '../support/circle-replies.js';
import { createProblem, PROJECT_ROOT, type Problem } from '../support/problem.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A problem (circle packing) whose only operator is `agent.sh` in the temp folder. */
function agentProblem(agent: Record<string, unknown>, script: string, sandbox = 'required'): Problem {
  const config = CIRCLE_CONFIG({ sandbox, operators: { agent: 1 }, agent: { run: 'sh agent.sh', ...agent } });
  delete config.model;
  const p = createProblem({ from: path.join(PROJECT_ROOT, 'examples', 'circle-packing'), files: { 'evoloop.yaml': stringify(config), 'agent.sh': script } });
  cleanups.push(() => p.cleanup());
  return p;
}

function candidates(p: Problem): CandidateRecord[] {
  const store = openStore(p.dir);
  try {
    return store.listCandidates(store.latestRun()!.id).filter((c) => c.operator !== 'baseline');
  } finally {
    store.close();
  }
}

describe('the agent operator in the sandbox', () => {
  it.each([
    ['required', 'net=yes shadow=no store=no verifier=no outside=no home=no key=agent-own-key model=none'],
    // Control: the same probes do find all of it unconfined (so the line above can fail).
    ['off', 'net=yes shadow=yes store=yes verifier=yes outside=yes home=yes key=agent-own-key model=none'],
  ])('sandbox %s: what the agent reaches of the network, host secrets, the store, the verifier and the host', async (sandbox, expected) => {
    const server = createServer((_req, res) => res.end('model says hi'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as AddressInfo).port;
    // A secret in the user's home (toolchains under it, like ~/.pyenv, may be shown; the rest must not).
    const secret = path.join(homedir(), `.evoloop-test-secret-${process.pid}`);
    writeFileSync(secret, 'hunter2');
    cleanups.push(() => rmSync(secret, { force: true }));
    // Each probe prints yes/no; the report becomes the proposal's description.
    const script = `#!/bin/sh
probe() { if eval "$2" >/dev/null 2>&1; then echo "$1=yes"; else echo "$1=no"; fi; }
{
probe net "node -e \\"fetch('http://127.0.0.1:${port}/').then(r => r.text()).then(t => process.exit(t === 'model says hi' ? 0 : 1), () => process.exit(1))\\""
probe shadow "grep -q root /etc/shadow"
probe store "test -s {tmp}/repo/problem/.evoloop/evoloop.db"
probe verifier "echo '// relaxed' >> verifier/score.mjs"
probe outside "touch /var/tmp/evoloop-agent-escape"
probe home "cat ${secret}"
echo "key=\${AGENT_KEY:-none} model=\${OPENAI_API_KEY:-none}"
} | tr '\\n' ' ' > "$EVOLOOP_DESCRIPTION_FILE"
sed -i '/const ROW_Y/{n;s/0\\.15/0.1/}' pack.mjs
`;
    const p = agentProblem({ timeout: '60s', env: ['AGENT_KEY'] }, script, sandbox);
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, AGENT_KEY: 'agent-own-key', OPENAI_API_KEY: 'sk-must-not-reach-the-agent' };
    await runEvolution({ problemDir: p.dir, maxCandidates: 1, llm: { env } }).done;
    const [c] = candidates(p);
    expect(c.description.trim()).toBe(expected);
    expect(readFileSync(path.join(p.dir, 'verifier', 'score.mjs'), 'utf8')).not.toContain('relaxed'); // the user's checkout, in both modes
    // Either way its change goes through the normal rules: contained, the honest edit wins; unconfined, the verifier edit is refused.
    expect(c.status).toBe(sandbox === 'required' ? 'accepted' : 'invalid');
    if (sandbox === 'off') expect(c.reason).toMatch(/^verifier\/score\.mjs is protected/);
    rmSync('/var/tmp/evoloop-agent-escape', { force: true });
  });

  it('a stalled agent (no output, no file change) is killed at agent.stall and recorded', async () => {
    const p = agentProblem({ timeout: '60s', stall: '1s' }, '#!/bin/sh\nsleep 50\n');
    const started = Date.now();
    await runEvolution({ problemDir: p.dir, maxCandidates: 1, llm: { env: { PATH: process.env.PATH } } }).done;
    const [c] = candidates(p);
    expect(c.status).toBe('invalid');
    expect(c.reason).toBe('the agent printed nothing and changed no file for 1s (agent.stall) and was killed with its process group');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('an agent that keeps working (writing files) is not taken for stalled', async () => {
    const script =
      "#!/bin/sh\nfor i in 1 2 3 4 5 6; do sleep 0.4; echo $i > progress.txt; done\nrm progress.txt\nsed -i '/const ROW_Y/{n;s/0\\.15/0.1/}' pack.mjs\n";
    const p = agentProblem({ timeout: '60s', stall: '1s' }, script);
    await runEvolution({ problemDir: p.dir, maxCandidates: 1, llm: { env: { PATH: process.env.PATH } } }).done;
    const [c] = candidates(p);
    expect(c.status).toBe('accepted');
  });
});
