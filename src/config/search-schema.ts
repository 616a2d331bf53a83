// The `search:` section: which strategy picks parents and keeps survivors.
import { z } from 'zod';

export const STRATEGIES = ['greedy', 'best-of-n'] as const;

export const searchSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).default('greedy'),
  parallel: z.int().min(1).max(64).default(1),
  seed: z.int().optional(),
});

export type SearchConfig = z.output<typeof searchSchema>;
