// The `search:` section: which strategy picks parents and keeps survivors, and the islands
// strategy's settings (population/islands). Island keys are refused under another strategy,
// so a config never looks like it does something it does not.
import { z } from 'zod';
import { ISLAND_DEFAULTS } from '../population/islands/settings.js';

export const STRATEGIES = ['greedy', 'islands', 'best-of-n'] as const;

/** Features every candidate has without the verifier reporting them (population/islands/features.ts). */
export const BUILTIN_FEATURES = ['code_size', 'diff_size'] as const;

const featureSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'use letters, digits, _ . - only' }),
    metric: z.string().min(1).optional(),
    builtin: z.enum(BUILTIN_FEATURES).optional(),
    range: z.tuple([z.number(), z.number()], { error: 'expected [lo, hi], two numbers' }),
    bins: z.int().min(1).max(1000),
  })
  .refine((f) => (f.metric === undefined) !== (f.builtin === undefined), {
    error: 'set exactly one of `metric` (a metric the verifier reports) or `builtin` (code_size or diff_size)',
  })
  .refine((f) => f.range[0] < f.range[1], { error: 'range must be [lo, hi] with lo < hi; bin edges are fixed from it', path: ['range'] });

/** Weights of the three ways an island picks a parent; they need not sum to 1. */
const selectionSchema = z
  .strictObject({
    exploit: z.number().min(0).default(0.5),
    explore: z.number().min(0).default(0.3),
    best: z.number().min(0).default(0.2),
  })
  .refine((s) => s.exploit + s.explore + s.best > 0, { error: 'at least one of exploit, explore, best must be above 0' });

export const searchSchema = z
  .strictObject({
    strategy: z.enum(STRATEGIES).default('greedy'),
    parallel: z.int().min(1).max(64).default(1),
    seed: z.int().optional(),
    // The islands strategy (defaults: population/islands/settings.ts).
    islands: z.int().min(1).max(64).optional(),
    migration: z.strictObject({ interval: z.int().min(1).default(ISLAND_DEFAULTS.interval), rate: z.int().min(1).default(ISLAND_DEFAULTS.rate) }).optional(),
    features: z.array(featureSchema).max(3, { error: 'at most 3 features: a grid of more dimensions is too sparse to fill' }).optional(),
    elites: z.int().min(1).max(1000).optional(),
    restart: z.strictObject({ patience: z.int().min(1) }).optional(),
    selection: selectionSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.strategy !== 'islands') {
      for (const key of ['islands', 'migration', 'features', 'elites', 'restart', 'selection'] as const) {
        if (s[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `search.${key} applies to the islands strategy only, but search.strategy is ${s.strategy}. Fix: set search.strategy: islands, or remove search.${key}`,
          });
        }
      }
    }
    const names = new Set<string>();
    (s.features ?? []).forEach((f, i) => {
      if (names.has(f.name))
        ctx.addIssue({ code: 'custom', path: ['features', i, 'name'], message: `"${f.name}" names an earlier feature; give each its own name` });
      names.add(f.name);
    });
    if (s.features?.length && s.elites !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['elites'],
        message:
          'search.elites is the archive size when there are no features; with features each cell keeps one elite. Fix: remove search.elites or search.features',
      });
    }
    const cells = (s.features ?? []).reduce((n, f) => n * f.bins, 1);
    if (cells > 10_000) {
      ctx.addIssue({ code: 'custom', path: ['features'], message: `the features make ${cells} cells per island; at most 10000 (use fewer bins)` });
    }
  });

export type SearchConfig = z.output<typeof searchSchema>;
export type FeatureConfig = z.output<typeof featureSchema>;
