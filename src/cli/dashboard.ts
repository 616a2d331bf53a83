// `evoloop dashboard [problem]`: the live web view of a run (works on finished runs too).
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { startDashboard, type DashboardServer } from '../dashboard/server.js';
import { openRun } from './context.js';

export interface UiOptions {
  port?: number;
  host?: string;
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('open a live web view of a run: progress, candidates, lineage, spend (127.0.0.1 by default)')
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'a run id (default: the latest)')
    .option('-p, --port <port>', 'port to listen on (0 = any free port)', parsePort, 4177)
    .option('--host <host>', 'address to bind; anything but loopback requires the access token printed at start', '127.0.0.1')
    .action(async (problem: string, opts: { run?: string; port: number; host: string }) => {
      const ctx = openRun(problem, opts.run); // validates the folder and the run before binding anything
      ctx.store.close();
      const server = await startDashboard({ problemDir: ctx.problemDir, runId: opts.run, port: opts.port, host: opts.host });
      announce(server);
      process.stdout.write('Ctrl-C to stop the dashboard (the run is not affected).\n');
      await new Promise<void>((resolve) => {
        const quit = () => void server.close().then(resolve);
        process.once('SIGINT', quit);
        process.once('SIGTERM', quit);
      });
    });
}

export function announce(server: DashboardServer): void {
  announceTo(process.stdout, server);
}

function announceTo(out: NodeJS.WritableStream, server: DashboardServer): void {
  out.write(`dashboard: ${server.url}\n`);
  if (server.token) {
    out.write(
      `  bound to ${server.host}: every request needs the access token (in the URL above; or header x-evoloop-token: ${server.token}). Anyone with it can read this run and stop it.\n`,
    );
  }
}

export function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

/**
 * `evoloop run --ui`: serves the dashboard beside the run, from the moment the run starts
 * (the store and the run id exist then). A dashboard that cannot start never stops the run.
 */
export function liveDashboard(problemDir: string, opts: UiOptions) {
  let server: Promise<DashboardServer | undefined> | undefined;
  return {
    onEvent(e: { type: string; runId?: string }): void {
      if (e.type !== 'run-start' || server) return;
      server = startDashboard({ problemDir, runId: e.runId, port: opts.port, host: opts.host }).then(
        (s) => (announceTo(process.stderr, s), s),
        (err: Error) => void process.stderr.write(`dashboard could not start (the run goes on): ${err.message}\n`),
      );
    },
    async close(): Promise<void> {
      await (await server)?.close();
    },
    /** After the run: keep serving the finished run until Ctrl-C. */
    async keepOpen(): Promise<void> {
      const s = await server;
      if (!s) return;
      process.stderr.write(`run over; the dashboard stays open at ${s.url} — Ctrl-C to close it.\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await s.close();
    },
  };
}
