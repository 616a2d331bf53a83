// `evoloop export --format tsv` writes autoresearch's results.tsv; read back here the way its
// analysis.ipynb reads it (karpathy/autoresearch: pd.read_csv(sep="\t"), the val_bpb and
// memory_gb columns as numbers, statuses stripped and upper-cased, crashes left out of the
// plot, the running minimum of the kept rows), with the csv module (pandas is not installed
// here; both split on tabs and treat a field that starts with " as quoted).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createProblem, type Problem } from '../support/problem.js';

let p: Problem;
afterEach(() => p?.cleanup());

const NOTEBOOK = `
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline=""), delimiter="\\t"))
header, df = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
assert all(len(r) == len(header) for r in rows), "a row with another number of fields"
for r in df:
    r["val_bpb"] = float(r["val_bpb"]); r["memory_gb"] = float(r["memory_gb"]); r["status"] = r["status"].strip().upper()
counts = {s: sum(r["status"] == s for r in df) for s in ("KEEP", "DISCARD", "CRASH")}
valid = [r for r in df if r["status"] != "CRASH"]
kept = [r["val_bpb"] for r in valid if r["status"] == "KEEP"]
running_min = [min(kept[: i + 1]) for i in range(len(kept))]
print(json.dumps({"header": header, "rows": len(df), "counts": counts, "baseline": valid[0]["val_bpb"], "best": min(kept),
                  "kept_is_running_min": kept == running_min, "memory": sorted({r["memory_gb"] for r in valid})}))
`;

// autoresearch's shape: lower val_bpb is better, peak_vram_mb reported, a large n runs out of memory.
const TRAIN = `#!/bin/sh
node --input-type=module -e "
import { params } from './program.mjs';
const { a, b, n } = params();
if (n >= 12) { console.error('CUDA out of memory'); process.exit(1); }
console.log(JSON.stringify({ val_bpb: 1 + ((a - 4) ** 2 + (b - 1) ** 2 + (n - 8) ** 2) / 100, peak_vram_mb: 1024 * (30 + n) + 512 }));
"
`;

const SEED = 1;

describe('export --format tsv', () => {
  it("writes a run as autoresearch's results.tsv, which its analysis notebook reads as is", async () => {
    p = createProblem({
      files: { 'verifier/train.sh': TRAIN },
      config: {
        verifier: { stages: [{ name: 'train', kind: 'score', run: 'sh verifier/train.sh', timeout: '30s' }] },
        objective: { metric: 'val_bpb', goal: 'minimize' },
        // Eight tune draws from a random seed sometimes improve nothing; a fixed seed makes the same draws every run.
        search: { strategy: 'greedy', seed: SEED },
      },
    });
    expect((await p.cli('run', '{dir}', '-n', '8')).code).toBe(0);
    const out = `${p.tmp}/results.tsv`;
    const r = await p.cli('export', '{dir}', '--format', 'tsv', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[1]).toMatch(/^[0-9a-f]{7}\t1\.402500\t33\.5\tkeep\tbaseline$/); // program.md: 7-char commit, .6f, GB to .1f
    for (const line of lines.slice(2)) expect(line).toMatch(/^[0-9a-f]{7}\t(\d+\.\d{6}\t\d+\.\d\t(keep|discard)|0\.000000\t0\.0\tcrash)\t\S.*$/);

    const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    const nb = JSON.parse(execFileSync('python3', ['-c', NOTEBOOK, out], { encoding: 'utf8' }));
    expect(nb.header).toEqual(['commit', 'val_bpb', 'memory_gb', 'status', 'description']);
    expect(nb.rows).toBe(9);
    expect(nb.counts.KEEP).toBe(status.accepted + 1);
    expect(nb.counts.DISCARD + nb.counts.CRASH).toBe(8 - status.accepted);
    expect(nb.counts.CRASH).toBe(status.byStatus.failed ?? 0);
    expect(nb.baseline).toBeCloseTo(status.baseline, 6);
    expect(nb.best).toBeCloseTo(status.best, 6);
    expect(nb.best).toBeLessThan(nb.baseline); // the run improved, and the notebook sees it in its direction
    expect(nb.kept_is_running_min).toBe(true); // each kept row beats the one before: the notebook's step line
    for (const gb of nb.memory) expect(Number.isInteger(gb - 0.5)).toBe(true); // (30 + n) GB + 512 MB, from peak_vram_mb
  }, 120_000); // nine runs of a node verifier: slow on a loaded machine

  it('refuses --table with tsv, naming the fix', async () => {
    p = createProblem();
    const r = await p.cli('export', '{dir}', '--format', 'tsv', '--table', 'events');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Fix: drop --table');
  });
});
