// The artifacts contract through the real CLI: a score stage (repeat 2) writes a log that
// differs per repeat, a file that does not, an SVG in a subfolder, a file over the stage cap
// and a symlink to a host file. Each repeat's files are recorded, identical content is kept
// once, the oversize file and the link are dropped with notes while the candidate is still
// measured, and `show --json` / `evoloop artifacts` list and copy them out.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createProblem, scoreScript, type Problem } from '../support/problem.js';

const HOST_SECRET = 'HOST-FILE-THE-STAGE-LINKED-TO';

describe('artifacts a stage writes to $EVOLOOP_ARTIFACTS', () => {
  let p: Problem;

  beforeAll(async () => {
    p = createProblem({
      config: {
        verifier: { stages: [{ name: 'score', kind: 'score', run: 'sh verifier/artifacts.sh && sh verifier/score.sh', timeout: '30s', repeat: 2 }] },
        budget: { candidates: 1 },
        artifacts: { stage_mb: 2000 / (1024 * 1024) }, // about 2 KB per stage run
      },
      files: {
        'verifier/artifacts.sh': `#!/bin/sh
set -e
cd "$EVOLOOP_ARTIFACTS"
echo "repeat $EVOLOOP_REPEAT seed $EVOLOOP_SEED" > run.log
echo "the same in every repeat" > same.txt
mkdir -p plots
printf '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><circle cx="10" cy="10" r="8"/></svg>' > plots/fit.svg
head -c 4000 /dev/zero > zeros.bin
ln -s '{tmp}/host.txt' linked.txt
`,
      },
    });
    writeFileSync(path.join(p.tmp, 'host.txt'), `${HOST_SECRET}\n`);
    p.write('verifier/score.sh', scoreScript(p.logFile));
    const r = await p.cli('run', '{dir}', '--max-candidates', '1');
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => p?.cleanup());

  it('records each repeat, keeps identical content once, drops the oversize file and the link with notes, and still measures the candidate', () => {
    const store = openStore(p.dir);
    try {
      const baseline = store.getCandidate(store.latestRun()!.baselineId!)!;
      expect(baseline.status).toBe('baseline');
      expect(baseline.score).toBeTypeOf('number');
      const all = store.artifacts.list(baseline.id);
      const at = (repeat: number, name: string) => all.find((a) => a.repeat === repeat && a.name === name)!;
      for (const repeat of [0, 1]) {
        expect(all.filter((a) => a.repeat === repeat).map((a) => a.name)).toEqual(['linked.txt', 'plots/fit.svg', 'run.log', 'same.txt', 'zeros.bin']);
        expect(at(repeat, 'run.log')).toMatchObject({ stage: 'score', kind: 'score', type: 'text', note: null });
        expect(at(repeat, 'plots/fit.svg')).toMatchObject({ type: 'image', mediaType: 'image/svg+xml' });
        expect(at(repeat, 'zeros.bin')).toMatchObject({ hash: null, size: 4000 });
        expect(at(repeat, 'zeros.bin').note).toMatch(/artifacts\.stage_mb/);
        expect(at(repeat, 'linked.txt')).toMatchObject({ hash: null });
        expect(at(repeat, 'linked.txt').note).toMatch(/not a regular file \(a symbolic link\)/);
        expect(store.artifacts.read(at(repeat, 'run.log'))!.toString()).toMatch(new RegExp(`^repeat ${repeat} seed \\d+`));
      }
      expect(at(0, 'same.txt').hash).toBe(at(1, 'same.txt').hash);
      expect(at(0, 'run.log').hash).not.toBe(at(1, 'run.log').hash);
      // Objects on disk: one per distinct content (same.txt once, run.log twice, the SVG once).
      const objects = readdirSync(store.artifacts.dir).flatMap((d) => readdirSync(path.join(store.artifacts.dir, d)));
      expect(objects.sort()).toEqual([...new Set(all.filter((a) => a.hash).map((a) => a.hash!))].sort());
      expect(objects).toHaveLength(4);
    } finally {
      store.close();
    }
  });

  it('`show --json` lists them with stage, repeat, name, type, size and path; `evoloop artifacts` copies them out', async () => {
    const shown = await p.cli('show', 'baseline', '{dir}', '--json');
    expect(shown.code, shown.stderr).toBe(0);
    const list = JSON.parse(shown.stdout).artifacts as Record<string, unknown>[];
    const svg = list.find((a) => a.name === 'plots/fit.svg' && a.repeat === 0)!;
    expect(svg).toMatchObject({ stage: 'score', repeat: 0, type: 'image', size: 100 });
    expect(readFileSync(svg.path as string, 'utf8')).toContain('<circle');
    expect(list.find((a) => a.name === 'zeros.bin')).toMatchObject({ path: null, note: expect.stringMatching(/stage_mb/) });

    const out = path.join(p.tmp, 'copied');
    const copied = await p.cli('artifacts', 'baseline', '{dir}', '--out', out);
    expect(copied.code, copied.stderr).toBe(0);
    expect(readFileSync(path.join(out, 'score-1', 'run.log'), 'utf8')).toMatch(/^repeat 1 /);
    expect(readFileSync(path.join(out, 'score-0', 'plots', 'fit.svg'), 'utf8')).toContain('<svg');
    expect(existsSync(path.join(out, 'score-0', 'zeros.bin'))).toBe(false);
    expect(copied.stdout).toMatch(/not copied: score#0 zeros\.bin: not kept/);
    for (const f of readdirSync(out, { recursive: true, encoding: 'utf8' })) {
      const full = path.join(out, f);
      if (f.includes('.')) expect(readFileSync(full, 'utf8')).not.toContain(HOST_SECRET);
    }
  });
});
