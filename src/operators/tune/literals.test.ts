import { describe, expect, it } from 'vitest';
import { findLiterals, formatLiteral } from './literals.js';
import { ParseError } from './site.js';

/** What moves, as `name = text` (or the text alone), in file order. */
async function moved(path: string, src: string): Promise<string[]> {
  const found = await findLiterals(path, src);
  return found.movable.map((l) => (l.name ? `${l.name} = ${l.text}` : l.text));
}

describe('which literals move: exactly the constants, per language', () => {
  it('Python', async () => {
    const src = `import re
from math import log2

PATTERN = re.compile(r"v(\\d+)\\.(\\d{2})")  # 3 in a comment
VERSION = "2.1.0"
LEARNING_RATE = 0.05
MAX_ITERS = 1000
COOLING = 0.995
PORT = 8080

def search(xs, restarts=4, bounds=(-5.0, 5.0)):
    """Runs 10 passes."""
    best = xs[0]
    rng = random.Random(42)
    count = 0
    for i in range(1, len(xs) - 1):
        if xs[i - 1] < xs[i + 1]:
            count += 1
    tail = xs[2:]
    step = (bounds[1] - bounds[0]) * 0.1
    score = sum(x ** 2 for x in xs) / 2.5
    print(f"{best:.3f} after {count + 7} steps", 12)
    if count % 2 == 0 and score > 1e-6:
        return best
    return min(xs, key=abs) * 1
`;
    expect(await moved('search.py', src)).toEqual([
      'LEARNING_RATE = 0.05',
      'MAX_ITERS = 1000',
      'COOLING = 0.995',
      'restarts = 4',
      'bounds = -5.0',
      'bounds = 5.0',
      '0.1',
      '2.5',
      '1e-6',
    ]);
  });

  it('JavaScript and TypeScript', async () => {
    const src = `import { readFileSync } from 'node:fs';
const PATTERN = /v(\\d+)\\.(\\d{2})/g; // 3 in a comment
const label = \`run \${count + 2} of 9\`;
const version = "1.2.3";
export const RATE = 0.25;
type Pair = [1, 2];
enum Mode { Fast = 4 }
export function work(items: number[], limit = 100, port = 3000): number {
  let total = 0;
  for (let i = 0; i < items.length - 1; i += 2) total += items[i + 1] * 1.5;
  const mid = (items.length - 1) >>> 1;
  switch (mid) { case 7: break; }
  console.log(total.toFixed(3), 42);
  const opts = { width: 12, retries: 3 };
  return Math.pow(total, 2) * limit + items.slice(2).length + opts.width / 0.5;
}
`;
    expect(await moved('work.ts', src)).toEqual(['RATE = 0.25', 'limit = 100', '1.5', 'width = 12', 'retries = 3', '0.5']);
  });

  it('shell', async () => {
    const src = `#!/bin/sh
# 5 in a comment
THREADS=4
VERSION="2.1"
sleep 0.5
./solver --iters 200 --lr=0.01 --port 8080 data_3.txt > out.log 2>&1
echo "done in 3 s" 10
for i in $(seq 1 3); do x=\${arr[2]}; done
if [ "$n" -gt 7 ]; then exit 2; fi
case "$x" in 4) ;; esac
grep -E '^v[0-9]{2}$' f
chmod 755 run.sh
`;
    expect(await moved('run.sh', src)).toEqual(['THREADS = 4', '0.5', 'iters = 200', 'lr = 0.01', '3', '7']);
  });

  it('C', async () => {
    const src = `#include <stdio.h>
#define N 100
#define MASK 0xff
static const char *VERSION = "v2.1";
static const double RATE = 0.25;
int buf[64];
enum { A = 3 };
int main(void) {
  double eps = 1e-3;
  float gain = 2.5f;
  for (int i = 0; i < N - 1; i += 2) buf[i + 1] = i * 3 + (i & 7);
  switch (buf[0]) { case 4: break; }
  printf("%5.2f %d\\n", eps, 12);
  return 0;
}
`;
    expect(await moved('main.c', src)).toEqual(['N = 100', 'RATE = 0.25', 'eps = 1e-3', 'gain = 2.5f', '3']);
  });

  it('says why each literal stays', async () => {
    const found = await findLiterals('a.py', 'x = a[0] + 1\ny = 0\nport = 8080\nz = b ** 2\n');
    expect(found.skipped.map((s) => [s.line, s.text, s.reason])).toEqual([
      [1, '0', 'an index, slice bound or loop stride'],
      [1, '1', '±1: an offset, identity or flag'],
      [2, '0', 'zero: no scale to infer a range from (give it a hint)'],
      [3, '8080', 'named "port": a port, not a tuning'],
      [4, '2', 'an integer power (x ** 2)'],
    ]);
    expect(found).toMatchObject({ language: 'Python', parser: 'tree-sitter' });
  });

  it('takes arithmetic on a name that holds a length for index arithmetic', async () => {
    expect(await moved('a.py', 'n = len(xs)\nlast = xs[0] if k == n - 2 else 0.5\nm = n * 3\n')).toEqual(['0.5', '3']);
    expect(await moved('a.js', 'const n = xs.length;\nconst k = (n - 2) * 0.5;\n')).toEqual(['0.5']);
    expect(await moved('a.c', 'int f(char *s) { size_t n = strlen(s); return (n - 2) * 7; }\n')).toEqual(['7']);
  });

  it('scans files in other languages as text, moving every number as before, and says so', async () => {
    const found = await findLiterals('solver.rb', 'x = a[0] + 1 # 2\ns = "3"\n');
    expect(found.language).toBeUndefined();
    expect(found.parser).toBe('text scan');
    expect(found.movable.map((l) => [l.text, l.domain.kind])).toEqual([
      ['0', 'relative'],
      ['1', 'relative'],
    ]);
  });

  it('reads the language from a #! line when the file has no extension', async () => {
    expect((await findLiterals('run', '#!/usr/bin/env python3\nrate = 0.3\nx = a[1]\n')).movable.map((l) => l.text)).toEqual(['0.3']);
  });

  it('only looks inside EVOLVE-BLOCK regions when the file has them', async () => {
    const src = 'const fixed = 100;\n// EVOLVE-BLOCK-START\nconst tuned = 0.5;\n// EVOLVE-BLOCK-END\nconst also = 200;\n';
    expect(await moved('k.js', src)).toEqual(['tuned = 0.5']);
  });

  it('gives offsets that cover the literal text exactly, sign included', async () => {
    const src = 'rate = -0.125\nn = 40\n';
    const found = await findLiterals('k.py', src);
    expect(found.movable.map((l) => src.slice(l.start, l.end))).toEqual(['-0.125', '40']);
    expect(found.movable.map((l) => l.value)).toEqual([-0.125, 40]);
  });

  it('takes decisions and inferred ranges from the base, so they never drift with moved values', async () => {
    const base = 'rate = 0.4\nn = 2\n';
    const parent = 'rate = 0.7\nn = 1\n';
    const found = await findLiterals('k.py', parent, base);
    expect(found.movable.map((l) => [l.value, l.domain])).toEqual([
      [0.7, { kind: 'range', source: 'inferred', min: 0.2, max: 0.8, log: false, integer: false }],
      [1, { kind: 'range', source: 'inferred', min: 1, max: 4, log: false, integer: true }],
    ]);
    // A parent whose structure differs is read on its own.
    expect((await findLiterals('k.py', 'rate = 0.7\n', base)).movable.map((l) => l.value)).toEqual([0.7]);
  });

  it('hints win over inferred ranges and over the unhinted rules, never over structure', async () => {
    const src = 'a = 0  # evoloop: 0..10 int\nb = 0.3  # evoloop: 1e-3..1 log\nc = x[2]  # evoloop: 0..5\nd = 0.5  # evoloop: 1..1\n';
    const found = await findLiterals('h.py', src);
    expect(found.movable.map((l) => [l.text, l.domain])).toEqual([
      ['0', { kind: 'range', source: 'hint', min: 0, max: 10, log: false, integer: true }],
      ['0.3', { kind: 'range', source: 'hint', min: 0.001, max: 1, log: true, integer: false }],
    ]);
    expect(found.skipped.map((s) => s.reason)).toEqual([
      'an index, slice bound or loop stride',
      'hint not used: the range 1..1 is a single value; nothing to tune',
    ]);
  });

  it('reads a hint after the comma of a list element, in every language', async () => {
    const js = await findLiterals('a.mjs', 'const ROW_Y = [\n  0.15, // evoloop: 0..1\n  0.85, // evoloop: 0.5..1\n];\n');
    expect(js.movable.map((l) => l.domain)).toMatchObject([
      { source: 'hint', min: 0, max: 1 },
      { source: 'hint', min: 0.5, max: 1 },
    ]);
    const py = await findLiterals('a.py', 'ROW_Y = [\n    0.15,  # evoloop: 0..1\n]\n');
    expect(py.movable[0].domain).toMatchObject({ source: 'hint', min: 0, max: 1 });
    const c = await findLiterals('a.c', 'double y[] = {\n  0.15, // evoloop: 0..1\n};\n#define N 100 // evoloop: 10..1000 log\n');
    expect(c.movable.map((l) => l.domain)).toMatchObject([
      { source: 'hint', max: 1 },
      { source: 'hint', log: true },
    ]);
  });

  it('takes a hint only from a comment, never from a string on the line', async () => {
    const found = await findLiterals('h.py', 'a = 0.3; s = "evoloop: 0..100"\n');
    expect(found.movable[0].domain).toMatchObject({ source: 'inferred' });
  });

  it('refuses a file that does not parse, naming the file, the line and the fix', async () => {
    const attempt = findLiterals('broken.py', 'rate = 0.3\ndef f(:\n    return 1\n');
    await expect(attempt).rejects.toBeInstanceOf(ParseError);
    await expect(attempt).rejects.toThrow(/^broken\.py:2 does not parse as Python .*Fix: make the file valid Python/);
    await expect(findLiterals('bad.ts', 'const x = ;\n')).rejects.toThrow(/^bad\.ts:1 does not parse as TypeScript/);
    await expect(findLiterals('bad.c', 'int main( { return 0; }\n')).rejects.toThrow(/^bad\.c:1 does not parse as C/);
  });
});

describe('formatLiteral', () => {
  it('keeps integers integral, floats recognisably floats, and type suffixes', () => {
    expect(formatLiteral({ integer: true, suffix: '' }, 7.6)).toBe('8');
    expect(formatLiteral({ integer: true, suffix: '' }, -2.2)).toBe('-2');
    expect(formatLiteral({ integer: false, suffix: '' }, 2)).toBe('2.0');
    expect(formatLiteral({ integer: false, suffix: '' }, 0.123456789)).toBe('0.123457');
    expect(formatLiteral({ integer: false, suffix: '' }, 1e-9)).toBe('1e-9');
    expect(formatLiteral({ integer: false, suffix: 'f' }, 1)).toBe('1.0f');
    expect(formatLiteral({ integer: true, suffix: 'UL' }, 12)).toBe('12UL');
  });
});
