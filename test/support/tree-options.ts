// What the process-tree and launcher tests run a command with: PATH only, a 10 s timeout,
// 64 KiB of output kept, and no output limit that kills.
import type { TreeOptions } from '../../src/evaluate/process-tree.js';

export const treeOptions = (over: Partial<TreeOptions> = {}): TreeOptions => ({
  cwd: '/tmp',
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  timeoutMs: 10_000,
  maxOutputBytes: 64 * 1024,
  killAfterOutputBytes: 1024 * 1024 * 1024,
  ...over,
});

export const sh = (script: string) => ['/bin/sh', '-c', script];
