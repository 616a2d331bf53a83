// A real redis-server for tests: its own folder, a free loopback port, no persistence
// (--save '' --appendonly no), killed after. stop()/start() take it away and bring it back
// on the same port (empty: nothing was saved), as a Redis outage would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RedisServer {
  port: number;
  /** redis://127.0.0.1:PORT (with the password when one is set). */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startRedisServer(opts: { password?: string } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ];
    if (opts.password) args.push('--requirepass', opts.password);
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await answers(port))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}127.0.0.1:${port}`,
    stop,
    start,
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something on the port answers a Redis PING (any reply, even NOAUTH). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    sock.once('error', () => resolve(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', () => {
      sock.destroy();
      resolve(true);
    });
  });
}
