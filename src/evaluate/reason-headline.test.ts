import { describe, expect, it } from 'vitest';
import { reasonHeadline } from './reason-headline.js';

describe('reasonHeadline', () => {
  it('shows the Python exception, not the traceback header', () => {
    const reason = `crash in stage score: score exited with code 1. Last lines of stderr:
Traceback (most recent call last):
  File "/w/solver.py", line 3, in <module>
    print(1 / 0)
          ~~^~~
ZeroDivisionError: division by zero`;
    expect(reasonHeadline(reason)).toBe('crash in stage score: score exited with code 1: ZeroDivisionError: division by zero');
  });

  it("shows node's error line, not the location, the echoed code or the frames", () => {
    const reason = `crash in stage score: score exited with code 1. Last lines of stderr:
file:///w/program.mjs:4
  const a = b.c;
              ^

TypeError: Cannot read properties of undefined (reading 'c')
    at file:///w/program.mjs:4:15
    at ModuleJob.run (node:internal/modules/esm/module_job:234:25)

Node.js v20.11.0`;
    expect(reasonHeadline(reason)).toBe("crash in stage score: score exited with code 1: TypeError: Cannot read properties of undefined (reading 'c')");
  });

  it('shows the first plain line when none names an error', () => {
    expect(reasonHeadline('crash in stage gate: gate exited with code 2. Last lines of stderr:\n\nsomething odd happened\nand more')).toBe(
      'crash in stage gate: gate exited with code 2: something odd happened',
    );
  });

  it('leaves a reason without a stderr tail as its first line', () => {
    expect(reasonHeadline('timeout in stage score: score ran over 30s.\nmore')).toBe('timeout in stage score: score ran over 30s.');
    expect(reasonHeadline('same change as candidate 3')).toBe('same change as candidate 3');
  });
});
