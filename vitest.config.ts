import { defineConfig } from 'vitest/config';

// Files whose assertions bound elapsed time or race a kill against a running stage. They run
// last, one file at a time, so the rest can share the cores without making them flaky.
const TIMING = [
  'src/evaluate/containment.test.ts',
  'src/evaluate/exclusive-lock.test.ts',
  'src/evaluate/process-tree.test.ts',
  'src/evaluate/run-stage.test.ts',
  'src/evaluate/sandbox.test.ts',
  'src/evaluate/stage-processes.test.ts',
  'src/dashboard/server.test.ts',
  'src/llm/gateway.test.ts',
  'src/llm/index.test.ts',
  'src/llm/retry.test.ts',
  'test/support/fake-llm-server.test.ts',
  'test/e2e/dashboard.test.ts',
  'test/integration/containment-agent.test.ts',
  'test/integration/containment-limits.test.ts',
  'test/integration/distributed-faults.test.ts',
  'test/integration/distributed-recovery.test.ts',
  'test/integration/exit-codes.test.ts',
  'test/integration/hostile.test.ts',
  'test/integration/llm-run.test.ts',
  'test/integration/resume.test.ts',
  'test/integration/run-guards.test.ts',
  'test/integration/store-damage.test.ts',
  'test/integration/verifier-failures.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/support/count-reporter.ts'],
    projects: [
      {
        extends: true,
        // Most tests wait on child processes (git, the CLI, verifiers), so two files at once fill two cores.
        test: { name: 'shared', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: TIMING, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'timing', include: TIMING, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
