// A library-only stage: an async function instead of a command. Same result shape,
// same failure kinds, same timeout (the function gets an AbortSignal to honour it).
import type { StageConfig } from '../config/schema.js';
import type { Metrics, StageResult } from '../core/types.js';

export async function runFunctionStage(
  stage: StageConfig,
  ctx: { worktree: string; cwd: string; seed: number; repeat: number; candidate: string; signal: AbortSignal },
): Promise<StageResult> {
  const started = performance.now();
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const base = { stage: stage.name, kind: stage.kind, repeat: ctx.repeat, seed: ctx.seed, exitCode: null, signal: null, stdoutTail: '', stderrTail: '' };
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new TimeoutError());
      }, stage.timeout);
    });
    const out = await Promise.race([
      stage.fn!({ worktree: ctx.worktree, cwd: ctx.cwd, seed: ctx.seed, candidate: ctx.candidate, signal: controller.signal }),
      timeout,
    ]);
    const { metrics, feedback } =
      'metrics' in out && typeof out.metrics === 'object' ? (out as { metrics: Metrics; feedback?: string }) : { metrics: out as Metrics, feedback: undefined };
    const bad = Object.entries(metrics).find(([, v]) => typeof v !== 'number' || !Number.isFinite(v));
    const durationMs = performance.now() - started;
    if (bad) {
      return {
        ...base,
        ok: false,
        metrics: {},
        durationMs,
        failure: { kind: 'bad-metrics', message: `metric ${bad[0]} is ${String(bad[1])}, not a finite number` },
      };
    }
    if (stage.kind !== 'gate' && Object.keys(metrics).length === 0) {
      return { ...base, ok: false, metrics: {}, durationMs, failure: { kind: 'no-metrics', message: 'the stage function returned no metrics' } };
    }
    return { ...base, ok: true, exitCode: 0, metrics, feedback, durationMs };
  } catch (err) {
    const durationMs = performance.now() - started;
    if (err instanceof TimeoutError) {
      return {
        ...base,
        ok: false,
        metrics: {},
        durationMs,
        failure: {
          kind: 'timeout',
          message: `stage ${stage.name} exceeded its timeout of ${stage.timeout / 1000}s. Fix: raise verifier.stages[].timeout or make it faster.`,
        },
      };
    }
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    return {
      ...base,
      ok: false,
      metrics: {},
      durationMs,
      stderrTail: message.slice(-4000),
      failure: { kind: 'crash', message: `stage function threw: ${message.split('\n')[0]}` },
    };
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

class TimeoutError extends Error {}
