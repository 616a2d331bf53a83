// The report shows what the programs produced: the baseline's and the champion's main images
// side by side (copies beside report.md, data: URLs in report.html) and the champions' strip.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedStore } from '../../bench/dashboard/seed.js';
import { Store, storePath } from '../store/store.js';
import { writeReport } from './report.js';

const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-report-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const svg = (label: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><text y="15">${label}</text></svg>`;

describe('report images', () => {
  it("holds the baseline's and the champion's main images side by side, and every champion's in the strip", async () => {
    const { runId, acceptedIds } = seedStore(dir, { n: 40, acceptEvery: 10 });
    const store = new Store(storePath(dir));
    const run = store.getRun(runId)!;
    const add = (id: number, files: Record<string, string>) =>
      store.artifacts.add(
        id,
        0,
        { stage: 'score', kind: 'score', repeat: 0 },
        { kept: Object.entries(files).map(([name, text]) => ({ name, bytes: Buffer.from(text) })), dropped: [] },
        Infinity,
      );
    // The main image is the first image: the log and the later plot are not it.
    add(run.baselineId!, { 'a.log': 'text', 'b/packing.svg': svg('BASELINE-PICTURE'), 'c.svg': svg('NOT-MAIN') });
    for (const id of acceptedIds) add(id, { 'packing.svg': svg(`CHAMPION-${id}`) });
    const written = await writeReport(store, runId, path.join(dir, 'out'));
    store.close();
    const champion = run.championId!;
    expect(champion).toBe(acceptedIds.at(-1));

    const md = readFileSync(written.markdown, 'utf8');
    const section = md.slice(md.indexOf('## What the programs produced'), md.indexOf('## Champion diff'));
    expect(section).toMatch(new RegExp(`\\| baseline #${run.baselineId} \\([\\d.]+\\) \\| champion #${champion} \\([\\d.]+\\) \\|`));
    expect(section).toContain(`](artifacts/${run.baselineId}-packing.svg) | ![candidate ${champion}: packing.svg](artifacts/${champion}-packing.svg) |`);
    expect(readFileSync(path.join(written.dir, 'artifacts', `${run.baselineId}-packing.svg`), 'utf8')).toContain('BASELINE-PICTURE');
    expect(readFileSync(path.join(written.dir, 'artifacts', `${champion}-packing.svg`), 'utf8')).toContain(`CHAMPION-${champion}`);
    expect(existsSync(path.join(written.dir, 'artifacts', `${run.baselineId}-c.svg`))).toBe(false);
    const strip = section.slice(section.indexOf('Champions in the order they won'));
    expect([...strip.matchAll(/!\[candidate (\d+):/g)].map((m) => Number(m[1]))).toEqual([run.baselineId, ...acceptedIds]);

    const html = readFileSync(written.html, 'utf8');
    const pictures = [...html.matchAll(/<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1], 'base64').toString());
    expect(pictures[0]).toContain('BASELINE-PICTURE');
    expect(pictures[1]).toContain(`CHAMPION-${champion}`);
    expect(pictures.slice(2)).toHaveLength(acceptedIds.length + 1);
    expect(html).not.toContain('NOT-MAIN');
  });
});
