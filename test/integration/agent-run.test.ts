// The agent operator with a scripted shell agent: each invocation does the next thing in
// its script (a good edit, a protected edit, a failure, a hang, a commit, a symlink).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runEvolution } from '../../src/engine/run.js';
import { openStore } from '../../src/store/store.js';
import { CIRCLE_CONFIG } from '../support/circle-replies.js';
import { createProblem, processAlive, PROJECT_ROOT, type Problem } from '../support/problem.js';

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const AGENT = `#!/bin/sh
n=$(cat '{tmp}/count' 2>/dev/null || echo 0); n=$((n + 1)); echo $n > '{tmp}/count'
cp "$EVOLOOP_PROMPT_FILE" '{tmp}/prompt-'$n'.md'
env > '{tmp}/env-'$n
case $n in
  1) sed -i '/const ROW_Y/{n;s/0\\.15/0.1/}' pack.mjs
     echo 'lowered the bottom row' > "$EVOLOOP_DESCRIPTION_FILE" ;;
  2) echo '// relaxed' >> verifier/score.mjs ;;
  3) echo 'the agent gave up: no idea left' >&2; exit 3 ;;
  4) sleep 30 & echo $! > '{tmp}/sleeper'; wait ;;
  5) sed -i 's/^  0\\.325,/  0.31,/' pack.mjs
     git -c user.name=agent -c user.email=agent@localhost commit -qam 'second row to 0.31'
     echo 'moved the second row (committed)' ;;
  6) ln -s /etc/passwd notes.txt ;;
  7) echo 'and more' >> ../README.md ;;
esac
`;

describe('agent operator', () => {
  it('runs a scripted agent in a worktree: its changes go through the same rules, failures become reasons', async () => {
    const config = CIRCLE_CONFIG({ operators: { agent: 1 }, agent: { run: "sh '{tmp}/agent.sh'", timeout: '2s', env: ['AGENT_MODE'] } });
    delete config.model;
    const p: Problem = createProblem({ from: path.join(PROJECT_ROOT, 'examples', 'circle-packing'), files: { 'evoloop.yaml': stringify(config) } });
    cleanups.push(() => p.cleanup());
    writeFileSync(path.join(p.tmp, 'agent.sh'), AGENT.replaceAll('{tmp}', p.tmp));

    const env = { PATH: process.env.PATH, HOME: process.env.HOME, OPENAI_API_KEY: 'sk-must-not-leak', AGENT_MODE: 'scripted' };
    const summary = await runEvolution({ problemDir: p.dir, maxCandidates: 7, llm: { env } }).done;
    expect(summary.status).toBe('finished');

    const store = openStore(p.dir);
    const candidates = store.listCandidates(store.latestRun()!.id).filter((c) => c.operator !== 'baseline');
    store.close();
    expect(candidates.map((c) => c.status)).toEqual(['accepted', 'invalid', 'invalid', 'invalid', 'accepted', 'invalid', 'invalid']);
    const [good, prot, gaveUp, hung, committed, link, outside] = candidates;
    expect(good).toMatchObject({ operator: 'agent', description: 'lowered the bottom row' });
    expect(good.patch).toMatch(/-  0\.15, \/\/ evoloop: 0\.\.1\n\+  0\.1, \/\/ evoloop: 0\.\.1/);
    expect(prot.reason).toMatch(/^verifier\/score\.mjs is protected/);
    expect(gaveUp.reason).toBe('the agent exited with 3: the agent gave up: no idea left');
    expect(hung.reason).toBe('the agent did not finish within 2s and was killed with its process group');
    expect(processAlive(Number(readFileSync(path.join(p.tmp, 'sleeper'), 'utf8')))).toBe(false);
    expect(committed).toMatchObject({ description: 'moved the second row (committed)', parentId: good.id });
    expect(committed.score!).toBeGreaterThan(good.score!);
    expect(link.reason).toMatch(/^the agent made notes\.txt a symlink/);
    expect(outside.reason).toBe('the agent changed README.md, outside the problem folder; only files inside it may change');

    // the prompt file: the program, and the lessons of the earlier attempts
    const prompt = (n: number) => readFileSync(path.join(p.tmp, `prompt-${n}.md`), 'utf8');
    expect(prompt(1)).toContain('## Objective\nmaximize sum_radii');
    expect(prompt(1)).toContain('// EVOLVE-BLOCK-START');
    expect(prompt(3)).toMatch(/\(agent\) lowered the bottom row → accepted/);
    expect(prompt(3)).toMatch(/→ invalid: verifier\/score\.mjs is protected/);
    // a scrubbed environment: allowed names only, never the API key
    const agentEnv = readFileSync(path.join(p.tmp, 'env-1'), 'utf8');
    expect(agentEnv).toContain('AGENT_MODE=scripted');
    expect(agentEnv).toMatch(/EVOLOOP_PROMPT_FILE=/);
    expect(agentEnv).not.toContain('sk-must-not-leak');
    // the prompt files are scratch, removed after each proposal
    expect(existsSync(agentEnv.match(/EVOLOOP_PROMPT_FILE=(.*)/)![1])).toBe(false);
  });
});
