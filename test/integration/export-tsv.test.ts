// `evoloop export --format tsv` writes autoresearch's results.tsv; read back here the way its
// analysis notebook reads it (tab-separated, numeric columns, statuses upper-cased).
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createProblem, type Problem } from '../support/problem.js';

let p: Problem;
afterEach(() => p?.cleanup());

// The notebook's first cells, with the csv module instead of pandas (not installed here).
const NOTEBOOK = `
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\\t"))
for r in rows:
    float(r["score"]); float(r["memory_gb"])
counts = {}
for r in rows:
    s = r["status"].strip().upper(); counts[s] = counts.get(s, 0) + 1
kept = [float(r["score"]) for r in rows if r["status"].strip().upper() == "KEEP"]
print(len(rows), counts.get("KEEP", 0), counts.get("DISCARD", 0) + counts.get("CRASH", 0), max(kept))
`;

describe('export --format tsv', () => {
  it("writes a run as autoresearch's results.tsv that its analysis reads", async () => {
    p = createProblem();
    expect((await p.cli('run', '{dir}', '-n', '8')).code).toBe(0);
    const out = `${p.tmp}/results.tsv`;
    const r = await p.cli('export', '{dir}', '--format', 'tsv', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const lines = (await import('node:fs')).readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('commit\tscore\tmemory_gb\tstatus\tdescription');
    expect(lines).toHaveLength(1 + 9);
    expect(lines[1]).toMatch(/^[0-9a-f]{7}\t-?\d+\.\d{6}\t0\.0\tkeep\tbaseline$/);
    for (const line of lines.slice(2)) expect(line).toMatch(/^[0-9a-f]{7}\t-?\d+\.\d{6}\t\d+\.\d\t(keep|discard|crash)\t\S.*$/);
    const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    const [rows, keep, other, best] = execFileSync('python3', ['-c', NOTEBOOK, out], { encoding: 'utf8' }).trim().split(' ').map(Number);
    expect(rows).toBe(9);
    expect(keep).toBe(status.accepted + 1);
    expect(other).toBe(8 - status.accepted);
    expect(best).toBeCloseTo(status.best, 5);
  });

  it('refuses --table with tsv, naming the fix', async () => {
    p = createProblem();
    const r = await p.cli('export', '{dir}', '--format', 'tsv', '--table', 'events');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Fix: drop --table');
  });
});
