// One line per evaluation backend: a new backend is its own file here plus one line below.
// The run and reverify build theirs through this table (`redis` when the run is given --redis).
import type { BackendDeps, EvaluationBackend } from '../backend.js';
import { LocalBackend } from './local.js';
import { RedisBackend } from './redis.js';

export const backends = {
  local: (deps) => new LocalBackend(deps),
  redis: (deps) => new RedisBackend(deps),
} satisfies Record<string, (deps: BackendDeps) => EvaluationBackend>;
