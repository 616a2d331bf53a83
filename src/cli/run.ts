// `evoloop run [problem]`: start or resume the loop, with live progress.
import { InvalidArgumentError, type Command } from 'commander';
import { duration } from '../config/schema.js';
import { RunError, UsageError } from '../core/errors.js';
import { runEvolution } from '../engine/run.js';
import { auditCommand } from './audit.js';
import { redisUrlFrom, REDIS_URL_ENV } from '../distributed/connection.js';
import { fmtScore, parseCount, parsePositiveInt } from './context.js';
import { EXIT_CODES } from './exit-codes.js';
import { liveDashboard, parsePort } from './dashboard.js';
import { progressPrinter } from './progress.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run (or resume) the evolution loop in a problem folder')
    .argument('[problem]', 'folder holding evoloop.yaml', '.')
    .option('-n, --max-candidates <n>', "the run's total number of candidates, earlier sessions included (overrides budget.candidates)", parsePositiveInt)
    .option('--more <n>', 'this many candidates more than the run already has', parsePositiveInt)
    .option('--parallel <n>', 'candidates evaluated at once (overrides search.parallel)', parsePositiveInt)
    .option('--seed <n>', 'seed of the search (overrides search.seed)', parseInteger)
    .option('--time <duration>', "the run's total time, e.g. 30m or 2h, earlier sessions included (overrides budget.time)", parseDuration)
    .option('--usd <dollars>', "the run's total spend on model calls (overrides budget.usd)", parsePositiveNumber)
    .option('--patience <n>', 'stop after this many candidates without improvement (overrides budget.patience)', parsePositiveInt)
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
      `measure candidates on workers (evoloop worker --redis URL) through this Redis, e.g. redis://host:6379 or rediss://:password@host:6380 (or set ${REDIS_URL_ENV}: the process list shows arguments, not the environment)`,
    )
    .option('--local-slots <n>', 'with --redis: also measure up to this many candidates here at a time (default 0)', parseCount)
    .addHelpText('after', `\n${EXIT_CODES}`)
    .action(
      async (
        problem: string,
        opts: {
          maxCandidates?: number;
          more?: number;
          parallel?: number;
          seed?: number;
          time?: number;
          usd?: number;
          patience?: number;
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
        if (opts.more !== undefined && opts.maxCandidates !== undefined) {
          throw new UsageError('--more adds to the candidates the run has; --max-candidates sets its total. Fix: pass one of them.');
        }
        const redisUrl = redisUrlFrom(opts.redis);
        if (opts.localSlots !== undefined && !redisUrl)
          throw new UsageError(`--local-slots only applies with --redis URL or ${REDIS_URL_ENV} (without one every candidate is measured here).`);
        if (opts.audit) {
          // The audit scrubs the secrets while its probes run; the run takes them back for its own model clients, and scrubs again before any candidate runs.
          const environment = { ...process.env };
          const letThrough = await auditCommand(problem, opts.audit === true ? 'fast' : opts.audit, !!opts.json);
          for (const [name, value] of Object.entries(environment)) if (process.env[name] === undefined) process.env[name] = value;
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
          moreCandidates: opts.more,
          overrides: { parallel: opts.parallel, seed: opts.seed, timeMs: opts.time, usd: opts.usd, patience: opts.patience },
          allowDirty: opts.allowDirty,
          newRun: opts.new,
          scrubEnvironment: true,
          redis: redisUrl ? { url: redisUrl, localSlots: opts.localSlots } : undefined,
          onEvent: ui ? (e) => (printer(e), ui.onEvent(e)) : printer,
        });
        let interrupts = 0;
        let signal: 'SIGINT' | 'SIGTERM' | undefined;
        const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
          interrupts++;
          signal ??= sig;
          if (interrupts === 1) {
            process.stderr.write(`\n${sig}: finishing the candidates in flight, then stopping (again to abandon them; they resume next run)\n`);
            handle.stop();
          } else {
            process.stderr.write(`\n${sig}: abandoning the candidates in flight\n`);
            handle.stop({ abandon: true });
          }
        };
        const onInt = () => onSignal('SIGINT');
        const onTerm = () => onSignal('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
        const summary = await handle.done.catch(async (err) => {
          await ui?.close();
          throw err;
        });
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        // The shell's convention for a signal (128 + its number), so scripts can tell a stop from a finish.
        process.exitCode = signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : summary.error ? 1 : 0;
        if (summary.error && !signal) process.stderr.write(`evoloop: the run could not go on: ${summary.error}\n`);
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

function parseInteger(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

function parsePositiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number, e.g. 5 or 0.5');
  return n;
}

function parseDuration(v: string): number {
  const parsed = duration.safeParse(/^\d+(\.\d+)?$/.test(v) ? Number(v) : v);
  if (!parsed.success) throw new InvalidArgumentError('expected a duration such as 30s, 5m or 2h (a bare number means seconds)');
  return parsed.data;
}
