// Errors that carry their own exit code: the CLI maps them, the library rethrows them.

/** Bad input from the user (config, arguments, repository state): exit code 2, nothing changed. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The run could not go on (e.g. the baseline fails its own gate): exit code 1. */
export class RunError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Thrown by an operator when no proposal should be made at all — not a bad proposal but a
 * reason to stop the run: the usd budget would be passed, the model refuses the API key, or
 * the run was stopped while waiting for a model that is down. No candidate is recorded.
 */
export class StopProposing extends Error {
  constructor(
    readonly reason: string,
    readonly status: 'finished' | 'interrupted' = 'finished',
    /** The run could not go on (a refused key, a model down past model.max_outage): the CLI exits 1. */
    readonly error = false,
  ) {
    super(reason);
    this.name = 'StopProposing';
  }
}
