import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { MetricsFile, removeAbandonedFolders } from './metrics-file.js';

describe('MetricsFile', () => {
  it('is an empty file with a random 128-bit name in an unlistable folder under the temp folder, removed afterwards', () => {
    const a = MetricsFile.create();
    const b = MetricsFile.create();
    try {
      expect(dirname(a.dir)).toBe(tmpdir());
      expect(basename(a.path)).toMatch(/^[0-9a-f]{32}\.json$/);
      expect(a.path).not.toBe(b.path);
      expect(statSync(a.dir).mode & 0o777).toBe(0o111);
      expect(statSync(a.path).mode & 0o777).toBe(0o600);
      if (process.getuid?.() === 0) expect(statSync(a.dir).uid).toBe(65534); // a root stage without capabilities cannot chmod it
      expect(a.read()).toEqual({ text: '' });
    } finally {
      a.remove();
    }
    // The folder is this process's for all its stages (made once: a folder's removal costs a journal write); it stays unlistable.
    expect(existsSync(a.path)).toBe(false);
    expect(existsSync(b.path)).toBe(true);
    expect(statSync(a.dir).mode & 0o777).toBe(0o111);
    b.remove();
    expect(existsSync(b.path)).toBe(false);
  });

  it("an evoloop killed with -9 leaves its folder; the next one removes it once untouched for 10 minutes, never a live process's", async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./src/evaluate/metrics-file.ts').then((m) => { console.log(m.MetricsFile.create().dir); setInterval(() => {}, 1000); })`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const killed = line.toString().trim();
    expect(basename(killed)).toMatch(new RegExp(`^evoloop-m-${child.pid}-`));
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(existsSync(killed)).toBe(true);
    // A live process's folder (this one's), and a dead process's touched a minute ago, stay.
    const mine = MetricsFile.create();
    const recent = join(tmpdir(), `evoloop-m-${spawnSync('true').pid}-recent`);
    try {
      removeAbandonedFolders(Date.now() + 60_000);
      expect(existsSync(killed)).toBe(true);
      removeAbandonedFolders(Date.now() + 11 * 60_000);
      expect(existsSync(killed)).toBe(false);
      expect(existsSync(mine.dir)).toBe(true);
      mkdirSync(recent);
      removeAbandonedFolders(statSync(recent).mtimeMs + 60_000);
      expect(existsSync(recent)).toBe(true);
    } finally {
      mine.remove();
      rmSync(recent, { recursive: true, force: true });
    }
  });

  it('reports what the file held when the top process exited', () => {
    const f = MetricsFile.create();
    try {
      writeFileSync(f.path, '{"score": 1}');
      f.markExit();
      expect(f.read()).toEqual({ text: '{"score": 1}' });
    } finally {
      f.remove();
    }
  });

  it('is untrusted when anything wrote it after the exit, even the same size within one clock tick', () => {
    for (const late of ['{"score": 1000}', '{"score": 2}', '']) {
      const f = MetricsFile.create();
      try {
        writeFileSync(f.path, '{"score": 1}');
        f.markExit();
        writeFileSync(f.path, late);
        const report = f.read();
        expect(report, late).toHaveProperty('untrusted');
        expect('untrusted' in report && report.untrusted).toMatch(/changed after the stage's top process had exited.*Fix: have the verifier wait/);
      } finally {
        f.remove();
      }
    }
  });

  // An unsandboxed stage of the same user can chmod the folder back (root needs not): do that here.
  const writable = (f: MetricsFile) => chmodSync(f.dir, 0o700);

  it('is untrusted when replaced after the exit, and no report at all when deleted before it', () => {
    const replaced = MetricsFile.create();
    const deleted = MetricsFile.create();
    [replaced, deleted].forEach(writable);
    try {
      replaced.markExit();
      rmSync(replaced.path);
      writeFileSync(replaced.path, '');
      expect(replaced.read()).toHaveProperty('untrusted'); // new inode, same (empty) content
      rmSync(deleted.path);
      deleted.markExit();
      expect(deleted.read()).toEqual({ text: undefined });
    } finally {
      replaced.remove();
      deleted.remove();
    }
  });

  it('does not follow a symlink planted in its place', () => {
    const f = MetricsFile.create();
    writable(f);
    try {
      rmSync(f.path);
      symlinkSync('/etc/hostname', f.path);
      expect(f.read()).toEqual({ text: '(not a readable regular file: ELOOP)' });
      expect(readdirSync(f.dir)).toHaveLength(1);
    } finally {
      f.remove();
    }
  });
});
