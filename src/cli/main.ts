// The evoloop command line: argument parsing and exit codes; the work is in the library.
import { Command, CommanderError } from 'commander';
import { registerApply } from './apply.js';
import { registerDashboard } from './dashboard.js';
import { registerDoctor } from './doctor.js';
import { registerExport } from './export.js';
import { registerInit } from './init.js';
import { registerLiterals } from './literals.js';
import { registerReport } from './report.js';
import { registerReverify } from './reverify.js';
import { registerRun } from './run.js';
import { registerSchema } from './schema.js';
import { registerShow } from './show.js';
import { registerStatus } from './status.js';
import { describeSqliteError } from '../store/damage.js';

const program = new Command('evoloop')
  .description('Improve a program by verifier-driven evolution.')
  .version('0.1.0')
  .exitOverride()
  .showSuggestionAfterError();
for (const register of [
  registerInit,
  registerRun,
  registerStatus,
  registerShow,
  registerApply,
  registerExport,
  registerSchema,
  registerReverify,
  registerDashboard,
  registerReport,
  registerDoctor,
  registerLiterals,
])
  register(program);

// `evoloop export | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; every usage mistake exits 2.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    // A damaged or read-only store that SQLite itself reports is told in words, without a stack.
    const sqlite = describeSqliteError(err);
    const code = (err as { exitCode?: number }).exitCode ?? (sqlite ? 1 : undefined);
    process.stderr.write(`evoloop: ${sqlite ?? (err as Error).message}\n`);
    if (code === undefined) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    process.exitCode = code ?? 1;
  }
}
