// `evoloop run [problem]`: start or resume the loop, with live progress.
import type { Command } from 'commander';
import { RunError, UsageError } from '../core/errors.js';
import { runEvolution } from '../engine/run.js';
import { auditCommand } from './audit.js';
import { checkRedisUrl } from '../distributed/connection.js';
import { fmtScore, parseCount, parsePositiveInt } from './context.js';
import { liveDashboard, parsePort } from './dashboard.js';
import { progressPrinter } from './progress.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run (or resume) the evolution loop in a problem folder')
    .argument('[problem]', 'folder holding evoloop.yaml', '.')
    .option('-n, --max-candidates <n>', 'stop after this many candidates in the run (overrides budget.candidates)', parsePositiveInt)
    .option('--allow-dirty', 'run from a snapshot of uncommitted changes instead of refusing them')
    .option('--new', 'start a new run even if the latest one could be resumed')
    .option('--json', 'print events as JSON lines')
    .option('--model <provider:name>', 'the model to propose with, e.g. openai:gpt-5-mini or anthropic:claude-sonnet-4-5 (overrides model/models)')
    .option('--base-url <url>', 'the model server, e.g. http://127.0.0.1:11434/v1 for Ollama (OpenAI-compatible: up to /v1)')
    .option('--ui', 'also serve the live dashboard while the run goes (as `evoloop dashboard`; stays open after the run until Ctrl-C)')
    .option('--port <port>', 'dashboard port with --ui (0 = any free port)', parsePort, 4177)
    .option('--host <host>', 'dashboard address with --ui; anything but loopback requires the printed token', '127.0.0.1')
    .option('--audit [probes]', 'audit the verifier first (evoloop audit; default the fast probes) and refuse to start if it lets a probe through')
    .option('--force', 'with --audit: start even when the audit lets a probe through')
    .option(
      '--redis <url>',
      'measure candidates on workers (evoloop worker --redis URL) through this Redis, e.g. redis://host:6379 or rediss://:password@host:6380',
    )
    .option('--local-slots <n>', 'with --redis: also measure up to this many candidates here at a time (default 0)', parseCount)
    .action(
      async (
        problem: string,
        opts: {
          maxCandidates?: number;
          allowDirty?: boolean;
          new?: boolean;
          json?: boolean;
          model?: string;
          baseUrl?: string;
          ui?: boolean;
          port: number;
          host: string;
          audit?: boolean | string;
          force?: boolean;
          redis?: string;
          localSlots?: number;
        },
      ) => {
        if (opts.localSlots !== undefined && !opts.redis)
          throw new UsageError('--local-slots only applies with --redis URL (without it every candidate is measured here).');
        if (opts.audit) {
          const letThrough = await auditCommand(problem, opts.audit === true ? 'fast' : opts.audit, !!opts.json);
          if (letThrough > 0 && !opts.force) {
            throw new RunError(
              `the audit let ${letThrough} probe(s) through, so the run did not start. Fix: fix the verifier as the lines above say, or pass --force to run anyway.`,
            );
          }
          if (letThrough > 0) process.stderr.write(`!! starting anyway (--force) with ${letThrough} probe(s) let through\n`);
        }
        const ui = opts.ui ? liveDashboard(problem, { port: opts.port, host: opts.host }) : undefined;
        const printer = progressPrinter({ json: !!opts.json, tty: !!process.stdout.isTTY && !opts.json });
        const handle = runEvolution({
          problemDir: problem,
          model: opts.model,
          baseUrl: opts.baseUrl,
          maxCandidates: opts.maxCandidates,
          allowDirty: opts.allowDirty,
          newRun: opts.new,
          scrubEnvironment: true,
          redis: opts.redis ? { url: checkRedisUrl(opts.redis), localSlots: opts.localSlots } : undefined,
          onEvent: ui ? (e) => (printer(e), ui.onEvent(e)) : printer,
        });
        let interrupts = 0;
        const onSignal = (sig: string) => {
          interrupts++;
          if (interrupts === 1) {
            process.stderr.write(`\n${sig}: finishing the candidates in flight, then stopping (again to abandon them; they resume next run)\n`);
            handle.stop();
          } else {
            process.stderr.write(`\n${sig}: abandoning the candidates in flight\n`);
            handle.stop({ abandon: true });
          }
        };
        process.on('SIGINT', () => onSignal('SIGINT'));
        process.on('SIGTERM', () => onSignal('SIGTERM'));
        const summary = await handle.done.catch(async (err) => {
          await ui?.close();
          throw err;
        });
        if (!opts.json) {
          process.stdout.write(
            `best ${fmtScore(summary.best)} (candidate ${summary.bestCandidate}) from baseline ${fmtScore(summary.baseline)}; ${summary.candidates} candidates, ${summary.accepted} accepted.\n` +
              `Next: evoloop show best ${problem} · evoloop diff best ${problem} · evoloop apply best ${problem} --branch <name>\n`,
          );
        }
        await ui?.keepOpen();
      },
    );
}
