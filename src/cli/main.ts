// The evoloop command line: argument parsing and exit codes; the work is in the library.
import { Command, CommanderError } from 'commander';
import { describeSqliteError } from '../store/damage.js';
import { EXIT_CODES } from './exit-codes.js';

const program = new Command('evoloop')
  .description('Improve a program by verifier-driven evolution.')
  .version('0.1.0')
  .exitOverride()
  .showSuggestionAfterError()
  .addHelpText('after', `\n${EXIT_CODES}`);
// Each command's module is loaded only when it is the one run (the run loop pulls in the model
// SDKs and the tokenizer: seconds of start-up that `status` should not pay). Help, a typo's
// "did you mean" and an unknown command need them all.
type Registrar = () => Promise<(program: Command) => void>;
const COMMANDS: Record<string, Registrar> = {
  init: async () => (await import('./init.js')).registerInit,
  run: async () => (await import('./run.js')).registerRun,
  status: async () => (await import('./status.js')).registerStatus,
  show: async () => (await import('./show.js')).registerShow,
  ls: async () => (await import('./status.js')).registerStatus,
  diff: async () => (await import('./show.js')).registerShow,
  apply: async () => (await import('./apply.js')).registerApply,
  export: async () => (await import('./export.js')).registerExport,
  schema: async () => (await import('./schema.js')).registerSchema,
  reverify: async () => (await import('./reverify.js')).registerReverify,
  dashboard: async () => (await import('./dashboard.js')).registerDashboard,
  report: async () => (await import('./report.js')).registerReport,
  doctor: async () => (await import('./doctor.js')).registerDoctor,
  literals: async () => (await import('./literals.js')).registerLiterals,
  audit: async () => (await import('./audit.js')).registerAudit,
  worker: async () => (await import('./worker.js')).registerWorker,
  import: async () => (await import('./import.js')).registerImport,
  artifacts: async () => (await import('./artifacts.js')).registerArtifacts,
  runs: async () => (await import('./runs.js')).registerRuns,
  gc: async () => (await import('./gc.js')).registerGc,
};
const wanted = COMMANDS[process.argv[2] ?? ''];
const registrars = wanted ? [wanted] : Object.values(COMMANDS);
const registered = new Set<(program: Command) => void>();
for (const load of registrars) {
  const register = await load();
  if (!registered.has(register)) register(program);
  registered.add(register);
}

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
