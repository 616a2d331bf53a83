// Exclusive wall time per phase of the loop, for a run with one candidate in flight: each
// wrapped step pushes its label while it runs, and the time between two pushes or pops goes
// to the label on top. Nested steps (a store write inside admission) are taken out of the
// step around them, so the phases add up to the time between two decisions. With more than
// one candidate in flight steps interleave and only the per-call totals (`calls`) mean anything.
export class PhaseClock {
  private readonly stack: string[] = [];
  private last = performance.now();
  readonly exclusive = new Map<string, number>();
  readonly calls = new Map<string, number[]>();

  /** Replaces `target[name]` by a version that counts its time under `label`. */
  wrap<T extends object>(target: T, name: keyof T & string, label: string): void {
    const original = target[name] as unknown as (...a: unknown[]) => unknown;
    (target as Record<string, unknown>)[name] = this.wrapFn(original, label);
  }

  wrapFn<F extends (...a: never[]) => unknown>(original: F, label: string): F {
    const clock = this;
    return function (this: unknown, ...a: unknown[]) {
      const t0 = performance.now();
      clock.push(label);
      const done = () => {
        clock.pop(label);
        (clock.calls.get(label) ?? clock.calls.set(label, []).get(label)!).push(performance.now() - t0);
      };
      let out: unknown;
      try {
        out = (original as (...x: unknown[]) => unknown).apply(this, a);
      } catch (err) {
        done();
        throw err;
      }
      if (out instanceof Promise) return out.finally(done);
      done();
      return out;
    } as unknown as F;
  }

  reset(): void {
    this.exclusive.clear();
    this.calls.clear();
    this.stack.length = 0;
    this.last = performance.now();
  }

  private tick(): void {
    const now = performance.now();
    const top = this.stack.at(-1) ?? 'engine loop, events, other';
    this.exclusive.set(top, (this.exclusive.get(top) ?? 0) + now - this.last);
    this.last = now;
  }

  private push(label: string): void {
    this.tick();
    this.stack.push(label);
  }

  private pop(label: string): void {
    this.tick();
    const at = this.stack.lastIndexOf(label);
    if (at >= 0) this.stack.splice(at, 1);
  }
}
