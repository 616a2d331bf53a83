import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { takeBackup } from './backup.js';
import { doctor, type Check } from './doctor.js';
import { Store, storePath } from './store.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-doctor-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A git repository whose top level is a problem folder with a store holding one finished run. */
async function problemWithRun(opts: { backup?: boolean } = {}): Promise<{ dir: string; store: Store }> {
  const dir = path.join(tmp, `p${n++}`);
  mkdirSync(dir);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@l', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@l' },
    }).trim();
  git('init', '-q');
  writeFileSync(path.join(dir, 'a.txt'), 'a\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  const base = git('rev-parse', 'HEAD');
  git('update-ref', 'refs/evoloop/r1/base', base);
  const store = new Store(storePath(dir));
  store.createRun({
    id: 'r1',
    problemDir: dir,
    repoRoot: realRoot(dir),
    baseCommit: base,
    configJson: '{}',
    configHash: 'h',
    status: 'finished',
    ownerPid: null,
  });
  for (let i = 0; i < 300; i++) store.addEvent('r1', 'notice', null, { message: `event ${i} ${'x'.repeat(400)}` });
  if (opts.backup ?? true) await takeBackup(store);
  return { dir, store };
}

const realRoot = (dir: string) => execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8' }).trim();
const byName = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.check, c]));

describe('doctor', () => {
  it('a healthy store: every check ok', async () => {
    const { dir, store } = await problemWithRun();
    store.close();
    const checks = await doctor(dir);
    expect(checks.map((c) => [c.check, c.status])).toEqual([
      ['store', 'ok'],
      ['backups', 'ok'],
      ['runs', 'ok'],
      ['refs', 'ok'],
      ['worktrees', 'ok'],
    ]);
  });

  it('damage inside the file, past a sound header, is found by integrity_check and repaired from the backup', async () => {
    const { dir, store } = await problemWithRun();
    store.close();
    const file = storePath(dir);
    // Overwrite a page near the end (events rows) with garbage; the header and size stay right.
    const pageSize = 4096;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, statSync(file).size - 3 * pageSize);
    closeSync(fd);
    const found = byName(await doctor(dir));
    expect(found.store).toMatchObject({
      status: 'problem',
      detail: expect.stringMatching(/evoloop\.db is damaged \(SQLite: /),
      fix: expect.stringMatching(/restores the newest good backup/),
    });
    const repaired = byName(await doctor(dir, { repair: true }));
    expect(repaired.store).toMatchObject({ status: 'fixed', detail: expect.stringMatching(/restored the newest good backup/) });
    const after = new Store(file);
    expect(after.events('r1', 0, 1000)).toHaveLength(300);
    after.close();
    expect(byName(await doctor(dir)).store.status).toBe('ok');
  });

  it('no backup: a damaged store stays a problem, saying there is none', async () => {
    const { dir, store } = await problemWithRun({ backup: false });
    store.close();
    writeFileSync(storePath(dir), '');
    const checks = byName(await doctor(dir, { repair: true }));
    expect(checks.store).toMatchObject({ status: 'problem', fix: expect.stringMatching(/there is no good automatic backup to restore/) });
    expect(checks.backups.status).toBe('problem');
  });

  it('pool folders must be numbered 0..N; a live run keeps its pool, a dead one does not', async () => {
    const { dir, store } = await problemWithRun();
    const pool = path.join(dir, '.evoloop', 'worktrees');
    for (const slot of ['0', '2']) mkdirSync(path.join(pool, slot), { recursive: true });
    writeFileSync(path.join(pool, '.git'), 'gitdir: /nowhere\n'); // the pool's barrier is not a stray
    store.updateRun('r1', { status: 'running', ownerPid: process.pid, heartbeatAt: Date.now() }); // alive: this process
    const live = byName(await doctor(dir, { repair: true }));
    expect(live.worktrees).toMatchObject({
      status: 'problem',
      detail: expect.stringMatching(/not numbered 0\.\.N \(0, 2\)/),
      fix: expect.stringMatching(/run r1 is running .*stop it/),
    });
    expect(live.worktrees.detail).not.toMatch(/not pool folders/);
    expect(readdirSync(pool).sort()).toEqual(['.git', '0', '2']);
    store.updateRun('r1', { status: 'finished', ownerPid: null });
    store.close();
    expect(byName(await doctor(dir, { repair: true })).worktrees.status).toBe('fixed');
    expect(() => readdirSync(pool)).toThrow(/ENOENT/);
  });

  it('a store with no run needs no backup yet', async () => {
    const dir = path.join(tmp, `p${n++}`);
    mkdirSync(dir);
    new Store(storePath(dir)).close();
    expect(byName(await doctor(dir)).backups).toMatchObject({ status: 'ok', detail: expect.stringMatching(/none yet/) });
  });

  it('a folder without a store is a usage error', async () => {
    await expect(doctor(path.join(tmp, 'nothing-here'))).rejects.toThrow(/no evoloop store in .*Fix:/);
  });
});
