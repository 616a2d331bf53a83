// Run by `npm test` before anything else: the suite drives real programs (a sandbox, a browser,
// Redis, Python with numpy and PyYAML). What is missing is installed when this machine can (root and
// apt-get); otherwise the test command stops here with one line naming the packages and the
// command that installs them, instead of a wall of stack traces later.
import { spawnSync } from 'node:child_process';

const needs = [
  { pkg: 'git', ok: () => has('git') },
  { pkg: 'bubblewrap', ok: () => has('bwrap'), why: 'the sandbox' },
  { pkg: 'chromium', ok: () => has('chromium'), why: 'the dashboard tests' },
  { pkg: 'util-linux', ok: () => has('unshare'), why: 'a read-only mount namespace' },
  { pkg: 'e2fsprogs', ok: () => has('chattr'), why: 'an immutable store' },
  { pkg: 'redis-server', ok: () => has('redis-server'), why: 'distributed evaluation' },
  { pkg: 'python3-numpy', ok: () => python('import numpy'), why: 'Python verifiers' },
  { pkg: 'python3-yaml', ok: () => python('import yaml'), why: 'OpenEvolve configs only PyYAML reads' },
];

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}
function python(code) {
  return spawnSync('python3', ['-c', code], { stdio: 'ignore' }).status === 0;
}

const missing = () => needs.filter((n) => !n.ok()).map((n) => n.pkg);
let todo = missing();
if (todo.length === 0) process.exit(0);

const canInstall = process.getuid?.() === 0 && has('apt-get');
if (canInstall) {
  console.log(`test prerequisites: installing ${todo.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = update.status === 0 && spawnSync('apt-get', ['install', '-y', '-qq', ...todo], { stdio: ['ignore', 'ignore', 'inherit'], env });
  todo = missing();
  if (install && install.status === 0 && todo.length === 0) process.exit(0);
}
// Debian's numpy serves /usr/bin/python3; a python3 of its own first on PATH (pyenv, a venv) needs its own.
const otherPython = todo.includes('python3-numpy') && spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const hint = otherPython ? ' (python3-numpy is installed, but the python3 on PATH is another interpreter: pip install numpy for it)' : '';
console.error(
  `npm test needs system packages that are missing: ${todo.join(' ')}${hint}. Install them (Debian/Ubuntu: sudo apt-get install -y ${todo.join(' ')}) and run npm test again.`,
);
process.exit(1);
