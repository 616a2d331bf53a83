// Stage settings the config's schema and the stage runner share: kept in core/ so that
// config/ depends on no evaluate/ module.

/** Where a stage reports its metrics (see evaluate/parse-metrics.ts). */
export const METRICS_CHANNELS = ['auto', 'file', 'json', 'lines'] as const;
export type MetricsChannel = (typeof METRICS_CHANNELS)[number];

/**
 * - memory_mb 4096: stops a runaway allocation before a 8–16 GB machine starts to swap, and
 *   leaves room for builds, test suites and headless browsers.
 * - max_procs 1024: tasks, threads included (a JVM or a test runner with one worker per
 *   core has hundreds on a big machine); a fork bomb still reaches it in well under a second.
 * - disk_mb 1024: far above what a verifier writes (reports, small builds); far below what
 *   fills a disk.
 * - tmp_mb 512: /tmp in the sandbox is RAM; enough for compilers' and tools' temporary files.
 */
export const DEFAULT_LIMITS = { memoryMb: 4096, maxProcs: 1024, diskMb: 1024, tmpMb: 512 } as const;
