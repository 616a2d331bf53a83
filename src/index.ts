// The library: `import { defineConfig, runEvolution } from 'evoloop'`.
export { defineConfig, loadConfigFile, validateConfig, ConfigError } from './config/load.js';
export type { Config, ConfigInput, StageFunction } from './config/schema.js';
export { runEvolution, type RunHandle, type RunOptions } from './engine/run.js';
export type { EvolutionEvent } from './engine/events.js';
export type { RunSummary } from './store/summary.js';
export { UsageError, RunError } from './core/errors.js';
export type { CandidateStatus, FailureKind, Metrics, StageResult } from './core/types.js';
