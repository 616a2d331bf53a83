import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedStore } from '../../bench/dashboard/seed.js';
import { headline } from '../dashboard/queries.js';
import { Store, storePath } from '../store/store.js';
import { summarize } from '../store/summary.js';
import { writeReport } from './report.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'evoloop-report-'));
  dirs.push(d);
  return d;
};

/** Strict enough XML well-formedness: balanced tags, quoted attributes, escaped text. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)>|<\?[^>]*\?>/g;
  let at = 0;
  for (const m of xml.matchAll(re)) {
    const text = xml.slice(at, m.index);
    expect(text, `text before offset ${m.index}`).not.toMatch(/<|&(?!(amp|lt|gt|quot|apos|#\d+);)/);
    at = m.index! + m[0].length;
    if (!m[2]) continue;
    if (m[1]) expect(stack.pop(), `closing </${m[2]}>`).toBe(m[2]);
    else if (!m[4]) stack.push(m[2]);
  }
  expect(xml.slice(at).trim()).toBe('');
  expect(stack).toEqual([]);
}

describe('report', () => {
  it('writes Markdown, HTML and an SVG chart holding every evaluated candidate', async () => {
    const dir = tempDir();
    const { runId, acceptedIds } = seedStore(dir, { n: 60, acceptEvery: 10 });
    const store = new Store(storePath(dir));
    // A tampered candidate, to be called out in the integrity notes.
    store.updateCandidate(5, { status: 'tampered', reason: 'tampered in stage score: verifier/score.mjs changed', score: null });
    // Model-written text with markup must not become live HTML in the Markdown either.
    store.updateCandidate(acceptedIds[0], { description: '<img src=x onerror=alert(1)> | pipes' });
    const out = path.join(dir, 'out');
    const written = await writeReport(store, runId, out);
    const evaluated = store.listCandidates(runId, { status: ['baseline', 'accepted', 'rejected', 'failed', 'tampered'] }).map((c) => c.id);
    const failedCount = store.countByStatus(runId).failed ?? 0;
    store.close();

    const svg = readFileSync(written.svg, 'utf8');
    assertWellFormed(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const ids = [...svg.matchAll(/data-id="(\d+)"/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    expect(ids).toEqual(evaluated.sort((a, b) => a - b));
    const acceptedGroup = /<g class="accepted"[^>]*>([\s\S]*?)<\/g>/.exec(svg)![1];
    expect([...acceptedGroup.matchAll(/<circle data-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([1, ...acceptedIds]);
    expect(svg).toContain('class="best-so-far"');
    expect(svg).toContain('class="noise-band"');
    expect(svg).toContain('class="baseline"');
    expect(svg).toContain('class="target"');

    const md = readFileSync(written.markdown, 'utf8');
    expect(md).toContain(`# evoloop report: run ${runId}`);
    expect(md).toMatch(/Baseline 100 → best [\d.]+ \(candidate #\d+\)/);
    expect(md).toMatch(/Gain [\d.]+ \([\d.]+%\), 95% CI \[[\d.]+, [\d.]+\]/);
    expect(md).toContain('![score over time](score-over-time.svg)');
    expect(md).toMatch(new RegExp(`\\| ${failedCount} \\| failed: timeout in stage score \\| #\\d+ \\|`));
    expect(md).toContain('| duplicate: same change as candidate N |');
    for (const id of acceptedIds) expect(md).toMatch(new RegExp(`^\\| ${id} \\| [\\d.]+ \\|`, 'm'));
    expect(md).toContain('1 candidate(s) changed protected files while running and were discarded: #5.');
    expect(md).toContain('Cost: $');
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt; \\| pipes');
    expect(md).not.toContain('<img');
    // One run alone: no best-of-n run to set beside it (test/integration/population-report.test.ts has two).
    expect(md).not.toContain('Beside the best-of-n baseline');
    expect(written.comparison).toBeUndefined();

    const html = readFileSync(written.html, 'utf8');
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).not.toMatch(/<script|src="http/); // self-contained, nothing to load
  });

  it('reports the champion by its re-measurements, as status and the dashboard do, not by the samples that selected it', async () => {
    const dir = tempDir();
    const { runId, acceptedIds } = seedStore(dir, { n: 60, acceptEvery: 10 });
    const store = new Store(storePath(dir));
    const champion = acceptedIds.at(-1)!;
    // Selected on its three samples (about 106 against a baseline of mean 100), then re-measured twice at 102 and 102.4.
    const c = store.getCandidate(champion)!;
    store.updateCandidate(champion, { verdict: { ...(c.verdict as Extract<typeof c.verdict, { kind: 'decided' }>), samples: 3 } });
    for (const [repeat, score] of [102, 102.4].entries())
      store.addMeasurement(champion, 0, {
        stage: 'score',
        kind: 'score',
        repeat: 3 + repeat,
        seed: 4 + repeat,
        ok: true,
        metrics: { score },
        exitCode: 0,
        signal: null,
        durationMs: 300,
        stdoutTail: '',
        stderrTail: '',
      });
    const written = await writeReport(store, runId, path.join(dir, 'out'));
    const status = summarize(store, runId).champions.find((x) => x.id === champion)!.reported;
    const dashboard = headline(store, store.getRun(runId)!).reportedGain;
    store.close();
    expect(status).toEqual({ gain: expect.closeTo(2.2, 10), from: 'remeasured', n: 2 });
    expect(dashboard).toEqual(status);
    const md = readFileSync(written.markdown, 'utf8');
    expect(md).toMatch(/Gain 2\.2 \(2\.2%\), 95% CI \[[\d.-]+, [\d.]+\], from 2 re-measurement\(s\) of the champion taken after it was selected/);
  });

  it('keeps the chart small for a very large run', async () => {
    const dir = tempDir();
    const { runId } = seedStore(dir, { n: 30_000, acceptEvery: 1000 });
    const store = new Store(storePath(dir));
    const written = await writeReport(store, runId, path.join(dir, 'out'));
    store.close();
    const svg = readFileSync(written.svg, 'utf8');
    assertWellFormed(svg);
    expect(svg.length).toBeLessThan(2_000_000);
    const acceptedGroup = /<g class="accepted"[^>]*>([\s\S]*?)<\/g>/.exec(svg)![1];
    expect(acceptedGroup.match(/<circle /g)!.length).toBe(31); // baseline + 30 champions, never thinned
  });
});
