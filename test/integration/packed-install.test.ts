// evoloop installed from its own `npm pack` tarball into a fresh project, the way a user adds
// it to a repository of theirs: `npx evoloop init`, `npx evoloop run` and the dashboard's page
// work from what package.json's `files` ships. Offline: the project's node_modules holds the
// tarball's contents and, for each of the packed package.json's `dependencies` only, a link to
// this checkout's installed copy (so a runtime import missing from `dependencies` fails here).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROJECT_ROOT, waitFor } from '../support/problem.js';

let tmp: string;
let app: string;
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/(API_KEY|_TOKEN|_SECRET)$/i.test(name))),
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@localhost',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@localhost',
};
const npx = (...args: string[]) =>
  execFileSync('npx', ['--offline', 'evoloop', ...args], { cwd: app, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-pack-'));
  // dist/ is built before the tests run; --ignore-scripts keeps `prepare` from building it again
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: PROJECT_ROOT, encoding: 'utf8' }));
  app = path.join(tmp, 'my-project');
  const modules = path.join(app, 'node_modules');
  mkdirSync(path.join(modules, '.bin'), { recursive: true });
  execFileSync('tar', ['-xzf', path.join(tmp, packed.filename), '-C', modules]);
  renameSync(path.join(modules, 'package'), path.join(modules, 'evoloop'));
  const manifest = JSON.parse(readFileSync(path.join(modules, 'evoloop', 'package.json'), 'utf8'));
  for (const dep of Object.keys(manifest.dependencies)) {
    mkdirSync(path.dirname(path.join(modules, dep)), { recursive: true });
    symlinkSync(path.join(PROJECT_ROOT, 'node_modules', dep), path.join(modules, dep));
  }
  symlinkSync('../evoloop/bin/evoloop.js', path.join(modules, '.bin', 'evoloop'));
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'my-project', private: true, devDependencies: { evoloop: manifest.version } }));
  writeFileSync(path.join(app, '.gitignore'), 'node_modules/\n');
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: app });
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('ships no tests or sources, and what the CLI needs: bin, dist, the dashboard page, examples', () => {
  const shipped = readdirSync(path.join(app, 'node_modules', 'evoloop'));
  expect(shipped).toEqual(expect.arrayContaining(['bin', 'dist', 'examples', 'README.md', 'package.json']));
  expect(shipped).not.toContain('src');
  expect(shipped).not.toContain('test');
  expect(readdirSync(path.join(app, 'node_modules', 'evoloop', 'dist', 'web'))).toContain('index.html');
});

it('npx evoloop init, then npx evoloop run, in a project of its own', () => {
  expect(npx('init', '.', '--edit', 'solver.py')).toMatch(/wrote evoloop\.yaml, verifier\/score\.py/);
  writeFileSync(path.join(app, 'solver.py'), 'rate = 0.5  # evoloop: 0.05..0.95\nprint(rate)\n');
  const config = path.join(app, 'evoloop.yaml');
  writeFileSync(config, readFileSync(config, 'utf8').replace('rule: pooled', 'rule: better').replace('baseline_repeats: 5', 'baseline_repeats: 1'));
  execFileSync('git', ['add', '-A'], { cwd: app, env });
  execFileSync('git', ['commit', '-q', '-m', 'my problem'], { cwd: app, env });
  const out = npx('run', '.', '--max-candidates', '2');
  expect(out).toMatch(/No model configured: using an offline optimizer of the numeric literals/);
  expect(out).toMatch(/run \S+ finished: budget: candidates/);
  expect(npx('status', '.')).toMatch(/baseline/);
}, 180_000);

it('npx evoloop dashboard serves the page and its assets from the installed package', async () => {
  const child = spawn('npx', ['--offline', 'evoloop', 'dashboard', '.', '--port', '0'], { cwd: app, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const url = await waitFor(() => /dashboard: (http:\/\/\S+)/.exec(output)?.[1], 60_000, `the dashboard URL in: ${output}`);
    const page = await (await fetch(url)).text();
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(page)?.[1];
    expect(asset, page).toBeDefined();
    const script = await fetch(new URL(asset!, url));
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(1000);
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
  }
}, 120_000);
