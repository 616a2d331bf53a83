// The dashboard on a run driven by the scripted model server (loopback, OpenAI protocol):
// a candidate's page shows the prompt and the model's reply, tokens and cost; the spend
// view counts the calls. The live, filter and stop paths are in dashboard.test.ts.
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDashboard, type DashboardServer } from '../../src/dashboard/server.js';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { createProblem, PROJECT_ROOT, type Problem } from '../support/problem.js';
import { launchChromium } from '../support/chromium.js';

const SHOTS = path.join(PROJECT_ROOT, 'test-output', 'dashboard');
const edit = (from: string, to: string) =>
  `Idea: move ${from.split('=')[0].trim()} toward its optimum\n\nprogram.mjs\n<<<<<<< SEARCH\n  ${from}\n=======\n  ${to}\n>>>>>>> REPLACE\n`;
const USAGE = { input: 1200, output: 150 };

let problem: Problem;
let llm: FakeLlmServer;
let dashboard: DashboardServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  problem = createProblem({
    config: {
      model: { provider: 'openai', name: 'scripted', price: { input_per_mtok: 2, output_per_mtok: 8 } },
      operators: { 'llm-diff': 1 }, // the scripted replies are SEARCH/REPLACE edits
    },
  });
  llm = await startFakeLlmServer([
    { reply: edit('const a = 1.5; // evoloop: -10..10', 'const a = 4.0; // evoloop: -10..10'), usage: USAGE },
    { reply: 'I would rather not change anything today.', usage: USAGE },
    { reply: edit('const b = -2.0; // evoloop: -10..10', 'const b = 1.0; // evoloop: -10..10'), usage: USAGE },
  ]);
  const r = await problem.cli('run', '{dir}', '--model', 'openai:scripted', '--base-url', llm.openaiBaseUrl, '--max-candidates', '3');
  expect(r.code, r.stderr).toBe(0);
  dashboard = await startDashboard({ problemDir: problem.dir, port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await llm?.close();
  problem?.cleanup();
});

it('shows the prompt, the reply, tokens and cost of a model-made candidate, and the spend', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${dashboard.url}#/candidate/2`);
  await page.waitForSelector('[data-testid=candidate-page][data-id="2"]');
  expect(await page.textContent('[data-testid=candidate-status]')).toBe('accepted');
  const call = (await page.textContent('[data-testid=llm-call]'))!;
  expect(call).toContain('const a = 4.0'); // the reply
  expect(call).toContain('EVOLVE-BLOCK-START'); // the prompt shows the program
  expect(call).toMatch(/1,?200/); // input tokens
  expect(await page.textContent('[data-testid=candidate-page]')).toMatch(/\$0\.0036/); // 1200×$2 + 150×$8 per Mtok
  await page.screenshot({ path: path.join(SHOTS, 'candidate-model.png'), fullPage: true });

  // The reply that did not parse is an invalid candidate whose reason and reply are shown.
  await page.goto(`${dashboard.url}#/candidate/3`);
  await page.waitForSelector('[data-testid=candidate-page][data-id="3"]');
  expect(await page.textContent('[data-testid=candidate-status]')).toBe('invalid');
  expect(await page.textContent('[data-testid=candidate-page]')).toContain('no SEARCH/REPLACE blocks found');
  expect(await page.textContent('[data-testid=llm-call]')).toContain('rather not change anything');

  await page.goto(`${dashboard.url}#/spend`);
  await page.waitForSelector('[data-testid=spend]');
  const spend = (await page.textContent('[data-testid=spend]'))!;
  expect(spend).toContain('openai:scripted');
  expect(spend).toMatch(/Spend: \$0\.0108/); // three calls of $0.0036
  await page.screenshot({ path: path.join(SHOTS, 'spend-model.png'), fullPage: true });
  await page.close();
});
