// `evoloop worker --redis URL`: measure a coordinator's candidates on this machine.
import { InvalidArgumentError, type Command } from 'commander';
import { duration } from '../config/schema.js';
import { redisUrlFrom, REDIS_URL_ENV } from '../distributed/connection.js';
import { UsageError } from '../core/errors.js';
import { startWorker } from '../distributed/worker.js';
import { scrubSecretsFromEnvironment } from '../core/scrub-environment.js';
import { isSecretName } from '../core/secret-names.js';
import { parsePositiveInt } from './context.js';

function labelList(v: string): string[] {
  const labels = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = labels.find((l) => !/^[A-Za-z0-9_.-]+$/.test(l));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not a label; use letters, digits, _ . - (e.g. --labels gpu,fpga)`);
  return labels;
}

function parseDuration(v: string): number {
  const parsed = duration.safeParse(/^\d+(\.\d+)?$/.test(v) ? Number(v) : v);
  if (!parsed.success) throw new InvalidArgumentError('expected a duration such as 30s or 500ms');
  return parsed.data;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description("measure a coordinator's candidates here (run it in a clone of the same repository)")
    .argument('[problem]', 'the problem folder in this clone (holding evoloop.yaml)', '.')
    .option(
      '--redis <url>',
      `the coordinator's Redis, e.g. redis://host:6379 or rediss://:password@host:6380 (or set ${REDIS_URL_ENV}: the process list shows arguments, not the environment)`,
    )
    .option('--concurrency <n>', 'candidates measured here at a time', parsePositiveInt, 1)
    .option('--labels <list>', 'what this machine offers, comma-separated (stages with requires: [label] run only on workers with it)', labelList, [])
    .option('--fetch', "fetch a run's base commit from origin when this clone lacks it")
    .option('--stall-timeout <duration>', 'how long a worker that stopped answering keeps its jobs before they go to another', parseDuration, 30_000)
    .action(async (problem: string, opts: { redis?: string; concurrency: number; labels: string[]; fetch?: boolean; stallTimeout: number }) => {
      const url = redisUrlFrom(opts.redis);
      if (!url) {
        throw new UsageError(
          `no Redis to take jobs from. Fix: pass --redis redis://host:6379, or set ${REDIS_URL_ENV} (use the variable for a URL with a password: the process list shows arguments).`,
        );
      }
      // Candidate code runs under this process: no secret of its environment is left for it to read.
      scrubSecretsFromEnvironment(isSecretName);
      const handle = startWorker({
        problemDir: problem,
        url,
        concurrency: opts.concurrency,
        labels: opts.labels,
        fetch: !!opts.fetch,
        stallMs: opts.stallTimeout,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      let interrupts = 0;
      const onSignal = (sig: string) => {
        interrupts++;
        if (interrupts === 1) {
          process.stderr.write(`\n${sig}: finishing the jobs in flight, then stopping (again to abandon them; they go back to the queue)\n`);
          handle.stop();
        } else {
          process.stderr.write(`\n${sig}: abandoning the jobs in flight; they go back to the queue\n`);
          handle.stop({ abandon: true });
        }
      };
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      await handle.done;
      process.stderr.write('worker stopped\n');
    });
}
