// One line per evaluation backend: a new backend is its own file here plus one line below.
// The run and reverify build theirs through this table (today always `local`).
import type { BackendDeps, EvaluationBackend } from '../backend.js';
import { LocalBackend } from './local.js';

export const backends = {
  local: (deps) => new LocalBackend(deps),
} satisfies Record<string, (deps: BackendDeps) => EvaluationBackend>;
