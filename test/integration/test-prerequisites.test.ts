// `npm test` starts with scripts/test-prerequisites.mjs: on a machine without the suite's
// system packages it installs them (root + apt-get) or stops at once with one line naming
// them and the install command. Run here against a PATH of our making, so nothing real is
// installed: a fake apt-get "installs" a package by putting its command on that PATH.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/problem.js';

const COMMANDS: Record<string, string> = {
  bubblewrap: 'bwrap',
  chromium: 'chromium',
  'util-linux': 'unshare',
  e2fsprogs: 'chattr',
  'redis-server': 'redis-server',
};
const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

let tmp: string;
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** A folder to run the script from, and a bin/ with only sh, git and python3 (which has numpy). */
function machine(aptGet?: string) {
  tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-prereq-'));
  chmodSync(tmp, 0o755);
  const bin = path.join(tmp, 'bin');
  mkdirSync(bin);
  for (const [name, target] of [
    ['sh', '/bin/sh'],
    ['git', spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim()],
    ['python3', python],
  ])
    symlinkSync(target, path.join(bin, name));
  if (aptGet) writeFileSync(path.join(bin, 'apt-get'), aptGet, { mode: 0o755 });
  const script = path.join(tmp, 'test-prerequisites.mjs');
  copyFileSync(path.join(PROJECT_ROOT, 'scripts', 'test-prerequisites.mjs'), script);
  const run = (prefix: string[] = []) => {
    const [cmd, ...args] = [...prefix, process.execPath, script];
    return spawnSync(cmd, args, { encoding: 'utf8', env: { PATH: bin, HOME: tmp } });
  };
  return { bin, run };
}

/** Records its calls; `install` puts each package's command on PATH (or fails when told to). PATH has only sh, git and python3, so it names /bin/ln in full. */
const fakeAptGet = (calls: string, fail = false) => `#!/bin/sh
echo "$*" >> ${calls}
[ "$1" = update ] && exit 0
${fail ? 'echo "E: Unable to locate package" >&2; exit 100' : ''}
for p in "$@"; do
  case "$p" in
${Object.entries(COMMANDS)
  .map(([pkg, cmd]) => `    ${pkg}) /bin/ln -s /bin/true "\${0%/apt-get}/${cmd}" ;;`)
  .join('\n')}
  esac
done
`;

it('without apt-get: exit 1 with one line naming every missing package and the command to install them', () => {
  const r = machine().run();
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  const missing = Object.keys(COMMANDS).join(' ');
  expect(r.stderr).toBe(
    `npm test needs system packages that are missing: ${missing}. Install them (Debian/Ubuntu: sudo apt-get install -y ${missing}) and run npm test again.\n`,
  );
});

it('as root with apt-get: installs what is missing, says so in one line, and goes on (exit 0)', () => {
  const calls = path.join(tmpdir(), `evoloop-apt-${process.pid}.log`);
  rmSync(calls, { force: true });
  const { bin, run } = machine(fakeAptGet(calls));
  const r = run();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(`test prerequisites: installing ${Object.keys(COMMANDS).join(' ')} (apt-get)\n`);
  expect(Object.values(COMMANDS).every((cmd) => existsSync(path.join(bin, cmd)))).toBe(true);
  // and once everything is there it is silent and installs nothing
  rmSync(calls);
  expect(run()).toMatchObject({ status: 0, stdout: '', stderr: '' });
  expect(existsSync(calls)).toBe(false);
});

it('as root when apt-get fails: its error, then the one line, exit 1', () => {
  const calls = path.join(tmpdir(), `evoloop-apt-fail-${process.pid}.log`);
  const r = machine(fakeAptGet(calls, true)).run();
  rmSync(calls, { force: true });
  expect(r.status).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toEqual([
    'E: Unable to locate package',
    expect.stringMatching(/^npm test needs system packages that are missing: bubblewrap .*sudo apt-get install -y bubblewrap/),
  ]);
});

it('as an unprivileged user: never runs apt-get, one line, exit 1', () => {
  const calls = path.join(tmpdir(), `evoloop-apt-nobody-${process.pid}`);
  mkdirSync(calls, { mode: 0o777 });
  chmodSync(calls, 0o777);
  try {
    const setpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).stdout.trim();
    const r = machine(fakeAptGet(path.join(calls, 'calls.log'))).run([setpriv, '--reuid=65534', '--regid=65534', '--clear-groups']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^npm test needs system packages that are missing: bubblewrap chromium util-linux e2fsprogs redis-server/);
    expect(existsSync(path.join(calls, 'calls.log'))).toBe(false);
  } finally {
    rmSync(calls, { recursive: true, force: true });
  }
});
