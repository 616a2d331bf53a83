// What a user changes per run on the command line (--more, --parallel, --seed, --time, --usd,
// --patience), and a model server that does not stream, through the real CLI.
import { afterEach, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { startFakeLlmServer, type FakeLlmServer, type FakeScript } from '../support/fake-llm-server.js';
import { createProblem, type Problem } from '../support/problem.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function problem(config: Record<string, unknown> = {}, sleep?: number): Problem {
  const p = createProblem({ config, sleep });
  cleanups.push(() => p.cleanup());
  return p;
}

async function server(script: FakeScript): Promise<FakeLlmServer> {
  const s = await startFakeLlmServer(script);
  cleanups.push(() => s.close());
  return s;
}

function storedRun(p: Problem) {
  const store = openStore(p.dir);
  try {
    const run = store.latestRun()!;
    return { run, config: JSON.parse(run.configJson), counts: store.countByStatus(run.id) };
  } finally {
    store.close();
  }
}

/** a = 1.5 → 3.5: closer to the best (a = 4), so accepted. */
const BETTER_A = `Idea: raise a
program.mjs
<<<<<<< SEARCH
  const a = 1.5; // evoloop: -10..10
=======
  const a = 3.5; // evoloop: -10..10
>>>>>>> REPLACE
`;

it('--max-candidates is the run total; --more N adds N and the start line says how many are done; --parallel and --seed apply', async () => {
  const p = problem({ budget: { candidates: 2 } }, 0.3);
  expect((await p.cli('run', '{dir}')).code).toBe(0);
  const more = await p.cli('run', '{dir}', '--more', '3', '--parallel', '2', '--seed', '7');
  expect(more.code, more.stderr).toBe(0);
  const { run, config, counts } = storedRun(p);
  expect(more.stdout).toContain(`Continuing run ${run.id}: 2 of 5 candidates done`);
  expect(Object.values(counts).reduce((a, b) => a + b, 0) - 1).toBe(5);
  expect(config.search).toMatchObject({ parallel: 2, seed: 7 });
  // two stages overlapped: --parallel 2 really ran two at once
  const log = p.log();
  const overlap = log.some(([event], i) => event === 'start' && log[i + 1]?.[0] === 'start');
  expect(overlap).toBe(true);
  // the total, not "this many more": nothing left to do at 5
  const again = await p.cli('run', '{dir}', '--max-candidates', '5');
  expect(again.stdout).toMatch(/has used its budget of 5 candidates\. Raise it to go on \(--more N adds N/);
}, 120_000); // three runs of the CLI

it('--time stops the run as budget.time would', async () => {
  const slow = problem({ budget: { candidates: 50 } }, 0.5);
  const timed = await slow.cli('run', '{dir}', '--time', '2s');
  expect(timed.code, timed.stderr).toBe(0);
  expect(storedRun(slow).run.stopReason).toBe('budget: time');
});

const PRICED = (baseUrl: string) => ({
  model: { provider: 'openai', name: 'scripted', base_url: baseUrl, max_tokens: 1000, price: { input_per_mtok: 0, output_per_mtok: 1000 } },
  operators: { 'llm-diff': 1 },
  budget: { candidates: 50 },
});

it('--usd stops before the call that could pass it; --patience after that many candidates without improvement', async () => {
  const s = await server({ steps: [], whenExhausted: { reply: 'Idea: nothing useful, and no edit block' } });
  const paid = problem(PRICED(s.openaiBaseUrl));
  const usd = await paid.cli('run', '{dir}', '--usd', '0.5'); // each call could cost $1
  expect(usd.code, usd.stderr).toBe(0);
  expect(storedRun(paid).run.stopReason).toMatch(
    /^budget: usd — spent \$0\.0000; the next call could cost up to \$1\.0000, which would pass budget\.usd \$0\.5/,
  );
  expect(s.requests).toHaveLength(0);

  const r = await paid.cli('run', '{dir}', '--new', '--patience', '2');
  expect(r.code, r.stderr).toBe(0);
  expect(storedRun(paid).run.stopReason).toBe('patience: 2 candidates without improvement');
  expect(s.requests).toHaveLength(2);
});

it('a server that answers application/json to a stream request is read as a completion, with its usage', async () => {
  const s = await server([{ reply: BETTER_A, usage: { input: 321, output: 45 }, ignoreStream: true }]);
  const p = problem({ model: { provider: 'openai', name: 'scripted', base_url: s.openaiBaseUrl }, operators: { 'llm-diff': 1 } });
  const r = await p.cli('run', '{dir}', '--max-candidates', '1');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/#2 accepted/);
  const shown = JSON.parse((await p.cli('show', 'best', '{dir}', '--json')).stdout);
  expect(shown).toMatchObject({ status: 'accepted', tokens: { input: 321, output: 45 } });
});
