// `evoloop report`: a self-contained account of a run, as Markdown (with the chart as an
// SVG file beside it) and as one HTML file (chart inline): the headline, score over time,
// the champion's diff, the accepted changes, why candidates failed, and integrity notes.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hodgesLehmann, welchInterval } from '../evaluate/statistics.js';
import { progress, runView } from '../dashboard/queries.js';
import { sampleScoring } from '../store/samples.js';
import type { ReportedGain } from '../store/reported-gain.js';
import type { RunRecord, Store } from '../store/store.js';
import { summarize, type RunSummary } from '../store/summary.js';
import { diffAgainstBase } from '../workspace/diff.js';
import { auditNotes } from '../audit/stored.js';
import { imagesHtml, imagesMarkdown, reportImages, type ReportImages } from './artifact-images.js';
import { comparison, type Comparison } from './comparison.js';
import { curvesChartSvg, escapeXml, scoreChartSvg } from './svg-chart.js';

export interface ReportData {
  summary: RunSummary;
  run: RunRecord;
  goal: 'maximize' | 'minimize';
  objective: string;
  /**
   * Baseline → champion, positive = better, as `status` and the dashboard report it: from the
   * champion's re-measurements (difference of means, 95% Welch interval) or its selection gain
   * shrunk (no interval), so the samples that selected it do not overstate it (the winner's curse);
   * where neither applies (a deterministic verifier, the naive rule), the Hodges–Lehmann shift of all samples.
   */
  gain: { estimate: number; ci: [number, number] | null; relative: number | null; from: ReportedGain['from']; n: number } | null;
  acceptanceRate: number | null;
  evaluated: number;
  championDiff: string | null;
  accepted: { id: number; score: number | null; gain: number | null; pValue: number | null; operator: string; description: string }[];
  failures: { reason: string; count: number; example: number }[];
  integrity: string[];
  /** The last `evoloop audit` of the verifier, and what it let through. */
  audit: string[];
  svg: string;
  /** The main images (artifacts) of the baseline, the champion and every champion. */
  images: ReportImages;
  /** A best-of-n run and a population run of the same problem and objective, side by side (with their curves' SVG). */
  comparison: (Comparison & { svg: string }) | null;
}

export async function reportData(store: Store, runId: string): Promise<ReportData> {
  const run = store.getRun(runId);
  if (!run) throw new Error(`no run ${runId} in ${store.file}`);
  const summary = summarize(store, runId);
  const view = runView(run);
  const baseline = run.baselineId !== null ? store.getCandidate(run.baselineId) : undefined;
  const champion = run.championId !== null ? store.getCandidate(run.championId) : undefined;
  const scoring = sampleScoring(JSON.parse(run.configJson));
  let gain: ReportData['gain'] = null;
  if (baseline?.score != null && champion?.score != null && champion.id !== baseline.id) {
    const [b, c] = [store.objectiveSamples(baseline.id, scoring), store.objectiveSamples(champion.id, scoring)];
    const reported = summary.champions.find((x) => x.id === champion.id)?.reported;
    const shift = (how: typeof hodgesLehmann, x: number[]) => (view.goal === 'maximize' ? how(x, b, 0.025) : how(b, x, 0.025));
    let estimate: number;
    let interval: [number, number] | null = null;
    if (reported && reported.from !== 'selection') {
      estimate = reported.gain;
      const later = c.slice(c.length - reported.n);
      if (reported.from === 'remeasured' && later.length >= 2 && b.length >= 2) interval = shift(welchInterval, later).ci;
    } else {
      const hl = b.length && c.length ? shift(hodgesLehmann, c) : null;
      estimate = hl?.estimate ?? (view.goal === 'maximize' ? champion.score - baseline.score : baseline.score - champion.score);
      interval = hl?.ci ?? null;
    }
    const ci = interval && Number.isFinite(interval[0]) && Number.isFinite(interval[1]) ? interval : null;
    const [from, n] = reported && reported.from !== 'selection' ? [reported.from, reported.n] : (['selection', 0] as const);
    gain = { estimate, ci, relative: baseline.score !== 0 ? estimate / Math.abs(baseline.score) : null, from, n };
  }
  const evaluated = ['accepted', 'rejected', 'failed', 'tampered'].reduce((s, k) => s + (summary.byStatus[k] ?? 0), 0);
  const diff = champion && champion.id !== baseline?.id ? await diffAgainstBase(run, store.candidateFiles(champion)) : null;
  const accepted = store.listCandidates(runId, { status: ['accepted'] }).map((c) => ({
    id: c.id,
    score: c.score,
    gain: c.verdict?.kind === 'decided' ? c.verdict.gain : null,
    pValue: (c.verdict?.kind === 'decided' ? c.verdict.pValue : undefined) ?? null,
    operator: c.operator,
    description: c.description.split('\n')[0],
  }));
  const failures = new Map<string, { count: number; example: number }>();
  for (const [id, status, reason] of store.queries.unscored(runId)) {
    const key = `${status}: ${reasonClass(reason)}`;
    const entry = failures.get(key) ?? { count: 0, example: id };
    entry.count++;
    failures.set(key, entry);
  }
  return {
    summary,
    run,
    goal: view.goal,
    objective: view.objective,
    gain,
    acceptanceRate: evaluated > 0 ? summary.accepted / evaluated : null,
    evaluated,
    championDiff: diff ? ('patch' in diff ? diff.patch : `(${diff.error})`) : null,
    accepted,
    failures: [...failures].map(([reason, v]) => ({ reason, ...v })).sort((a, b) => b.count - a.count),
    integrity: integrityNotes(summary),
    audit: await auditNotes(store, run),
    svg: scoreChartSvg(progress(store, run), { title: `${view.objective} (${view.goal}) over time` }),
    images: reportImages(store, run),
    comparison: sideBySide(store, run),
  };
}

function sideBySide(store: Store, run: RunRecord): ReportData['comparison'] {
  const c = comparison(store, run);
  if (!c) return null;
  const curves = c.runs.map((r) => ({ label: `${r.strategy} (run ${r.run})`, points: r.curve, end: r.candidates }));
  return { ...c, svg: curvesChartSvg(curves, c.runs[0].baseline, { title: `best ${c.objective} so far (${c.goal}) by candidates proposed` }) };
}

/** The side-by-side table: a row per figure, a column per run. */
function comparisonRows(c: Comparison, thisRun: string): { head: string[]; rows: string[][] } {
  const head = ['', ...c.runs.map((r) => `${r.strategy} (run ${r.run}${r.run === thisRun ? ', this report' : ''})`)];
  const rows = [
    [`best ${c.objective}`, ...c.runs.map((r) => `${fmt(r.best)}${r.bestCandidate !== null ? ` (#${r.bestCandidate})` : ''}`)],
    [`best after ${c.at} candidates`, ...c.bestAt.map((b) => fmt(b))],
    ['baseline', ...c.runs.map((r) => fmt(r.baseline))],
    ['candidates', ...c.runs.map((r) => String(r.candidates))],
    ['evaluated / accepted', ...c.runs.map((r) => `${r.evaluated} / ${r.accepted}`)],
    ['cost', ...c.runs.map((r) => `$${r.usd.toFixed(4)} (${r.calls} model calls)`)],
    ['time', ...c.runs.map((r) => duration(r.elapsedMs))],
  ];
  return { head, rows };
}

/** A reason without its particulars, so equal causes count together ("same change as candidate N"). */
function reasonClass(reason: string | null): string {
  if (!reason) return 'no reason recorded';
  const head = /^[\w-]+ in stage [\w.-]+/.exec(reason)?.[0] ?? reason.split(/[:\n]/)[0];
  return head
    .replace(/\d+(\.\d+)?/g, 'N')
    .slice(0, 100)
    .trim();
}

function integrityNotes(s: RunSummary): string[] {
  const notes: string[] = [];
  if (s.accept.naive) notes.push('Acceptance rule `better` (naive): any better median was kept, without a significance test; gains may be noise.');
  if (s.integrity.tampered.length)
    notes.push(`${s.integrity.tampered.length} candidate(s) changed protected files while running and were discarded: ${ids(s.integrity.tampered)}.`);
  if (s.integrity.holdoutAlarms.length) notes.push(`Holdout alarm on ${ids(s.integrity.holdoutAlarms)}: the search score improved but the holdout did not.`);
  if (s.integrity.suspicious.length) notes.push(`Flagged suspicious: ${ids(s.integrity.suspicious)}.`);
  const holdouts = s.champions.filter((c) => c.holdout !== null);
  if (holdouts.length) notes.push(`Holdout scores of the champions: ${holdouts.map((c) => `#${c.id} ${fmt(c.holdout)}`).join(', ')}.`);
  if (notes.length === 0) notes.push('No tampering, holdout alarm or suspicious candidate recorded.');
  return notes;
}

const ids = (xs: number[]) => xs.map((x) => `#${x}`).join(', ');

export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const a = Math.abs(v);
  return a >= 1e9 || (a < 1e-4 && v !== 0) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The headline lines, shared by both formats (plain text, no markup). */
function headline(d: ReportData): string[] {
  const s = d.summary;
  const g = d.gain;
  return [
    `Run ${s.run} (${s.status}${s.stopReason ? `: ${s.stopReason}` : ''}), base commit ${s.baseCommit.slice(0, 12)}.`,
    `Objective: ${d.objective}, ${d.goal}d.`,
    `Baseline ${fmt(s.baseline)} → best ${fmt(s.best)}${s.bestCandidate !== null ? ` (candidate #${s.bestCandidate})` : ''}.`,
    g ? gainLine(g) : 'No improvement over the baseline.',
    `Candidates: ${s.candidates}; evaluated ${d.evaluated}; accepted ${s.accepted}${d.acceptanceRate !== null ? ` (${(d.acceptanceRate * 100).toFixed(1)}% of evaluated)` : ''}.`,
    `Cost: $${s.spend.usd.toFixed(4)} over ${s.spend.calls} model call(s), ${s.spend.inputTokens + s.spend.outputTokens} tokens.`,
    `Time: ${duration(s.elapsedMs)}.`,
  ];
}

/** The champion's gain in words: what it stands on, and why the samples that selected it are not it. */
function gainLine(g: NonNullable<ReportData['gain']>): string {
  const size = `Gain ${fmt(g.estimate)}${g.relative !== null ? ` (${(g.relative * 100).toFixed(1)}%)` : ''}`;
  const ci = g.ci ? `, 95% CI [${fmt(g.ci[0])}, ${fmt(g.ci[1])}]` : '';
  if (g.from === 'remeasured')
    return `${size}${ci || ', no interval (too few re-measurements)'}, from ${g.n} re-measurement(s) of the champion taken after it was selected (difference of means, positive = better; the samples it won with overstate it).`;
  if (g.from === 'shrunk')
    return `${size}: the gain it was selected with, shrunk by its uncertainty (not re-measured yet; the samples it won with overstate it; positive = better).`;
  return `${size}${ci || ', no interval (too few samples)'} (Hodges–Lehmann shift, positive = better).`;
}

// Model-written text: no table breaks, and no raw HTML (Markdown viewers would render it).
const cell = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ');

export function renderMarkdown(d: ReportData, svgFile: string): string {
  const out = [
    `# evoloop report: run ${d.summary.run}`,
    '',
    ...headline(d).map((l) => `- ${l}`),
    '',
    '## Score over time',
    '',
    `![score over time](${svgFile})`,
    '',
    ...imagesMarkdown(d.images),
  ];
  if (d.comparison) {
    const { head, rows } = comparisonRows(d.comparison, d.run.id);
    out.push('## Beside the best-of-n baseline', '', ...d.comparison.notes.map((n) => `- ${n}`), '');
    out.push(`| ${head.map(cell).join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`), '');
    out.push(`![best so far, both runs](${COMPARISON_SVG})`, '');
  }
  out.push('## Champion diff (against the base)', '');
  out.push(d.championDiff ? ['```diff', d.championDiff.trimEnd(), '```'].join('\n') : '_The baseline is still the champion: no change._', '');
  out.push('## Accepted changes', '');
  if (d.accepted.length === 0) out.push('_None._', '');
  else {
    out.push(`| # | ${d.objective} | gain | p | operator | change |`, '|---|---|---|---|---|---|');
    for (const a of d.accepted) out.push(`| ${a.id} | ${fmt(a.score)} | ${fmt(a.gain)} | ${fmt(a.pValue)} | ${cell(a.operator)} | ${cell(a.description)} |`);
    out.push('');
  }
  out.push('## Failure reasons', '');
  if (d.failures.length === 0) out.push('_No candidate failed._', '');
  else {
    out.push('| count | reason | example |', '|---|---|---|');
    for (const f of d.failures) out.push(`| ${f.count} | ${cell(f.reason)} | #${f.example} |`);
    out.push('');
  }
  out.push('## Integrity', '', ...d.integrity.map((n) => `- ${n}`), '');
  out.push('## Verifier audit', '', ...d.audit.map((n) => `- ${cell(n)}`), '');
  return out.join('\n');
}

export function renderHtml(d: ReportData): string {
  const e = escapeXml;
  const diffHtml = d.championDiff
    ? `<pre class="diff">${d.championDiff
        .trimEnd()
        .split('\n')
        .map(
          (l) =>
            `<span class="${l.startsWith('+++') || l.startsWith('---') ? 'f' : l[0] === '+' ? 'a' : l[0] === '-' ? 'd' : l.startsWith('@@') ? 'h' : ''}">${e(l)}</span>`,
        )
        .join('')}</pre>`
    : '<p><em>The baseline is still the champion: no change.</em></p>';
  const table = (head: string[], rows: string[][]) =>
    `<table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>evoloop report: run ${e(d.summary.run)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:24px auto;padding:0 16px;color:#1d2330}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border-bottom:1px solid #e3e6ec;padding:4px 8px;text-align:left;vertical-align:top}
pre.diff{font:12.5px/1.4 ui-monospace,monospace;background:#f8f9fb;border:1px solid #e3e6ec;padding:8px;overflow:auto}
.diff span{display:block}.diff .a{background:#e6ffec}.diff .d{background:#ffebe9}.diff .h{color:#57606a;background:#eef3fb}.diff .f{font-weight:600}
svg{max-width:100%;height:auto}
.pair{display:flex;gap:16px}.pair figure{flex:1;margin:0}.pair img{max-width:100%}.strip{display:flex;gap:8px;overflow-x:auto}.strip figure{margin:0}.strip img{height:120px}
figcaption{font-size:13px;color:#555}
</style></head><body>
<h1>evoloop report: run ${e(d.summary.run)}</h1>
<ul>${headline(d)
    .map((l) => `<li>${e(l)}</li>`)
    .join('')}</ul>
<h2>Score over time</h2>
${d.svg}
${imagesHtml(d.images)}
${d.comparison ? comparisonHtml(d.comparison, d.run.id, table) : ''}
<h2>Champion diff (against the base)</h2>
${diffHtml}
<h2>Accepted changes</h2>
${
  d.accepted.length
    ? table(
        ['#', d.objective, 'gain', 'p', 'operator', 'change'],
        d.accepted.map((a) => [String(a.id), fmt(a.score), fmt(a.gain), fmt(a.pValue), a.operator, a.description]),
      )
    : '<p><em>None.</em></p>'
}
<h2>Failure reasons</h2>
${
  d.failures.length
    ? table(
        ['count', 'reason', 'example'],
        d.failures.map((f) => [String(f.count), f.reason, `#${f.example}`]),
      )
    : '<p><em>No candidate failed.</em></p>'
}
<h2>Integrity</h2>
<ul>${d.integrity.map((n) => `<li>${e(n)}</li>`).join('')}</ul>
<h2>Verifier audit</h2>
<ul>${d.audit.map((n) => `<li>${e(n)}</li>`).join('')}</ul>
</body></html>
`;
}

function comparisonHtml(c: NonNullable<ReportData['comparison']>, thisRun: string, table: (head: string[], rows: string[][]) => string): string {
  const { head, rows } = comparisonRows(c, thisRun);
  return `<h2>Beside the best-of-n baseline</h2>
<ul>${c.notes.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>
${table(head, rows)}
${c.svg}`;
}

/** The side-by-side curves' file, beside report.md (when there is a run to compare with). */
const COMPARISON_SVG = 'beside-best-of-n.svg';

export interface WrittenReport {
  dir: string;
  markdown: string;
  html: string;
  svg: string;
  /** The side-by-side curves with the best-of-n baseline, when there is one. */
  comparison?: string;
}

/** Writes report.md, report.html and score-over-time.svg into `outDir`. */
export async function writeReport(store: Store, runId: string, outDir: string): Promise<WrittenReport> {
  const d = await reportData(store, runId);
  mkdirSync(outDir, { recursive: true });
  const files = { markdown: path.join(outDir, 'report.md'), html: path.join(outDir, 'report.html'), svg: path.join(outDir, 'score-over-time.svg') };
  writeFileSync(files.svg, `${d.svg}\n`);
  const comparisonSvg = d.comparison ? path.join(outDir, COMPARISON_SVG) : undefined;
  if (comparisonSvg) writeFileSync(comparisonSvg, `${d.comparison!.svg}\n`);
  for (const image of [d.images.baseline, d.images.champion, ...d.images.strip]) {
    if (!image) continue;
    mkdirSync(path.join(outDir, path.dirname(image.file)), { recursive: true });
    writeFileSync(path.join(outDir, image.file), image.bytes);
  }
  writeFileSync(files.markdown, renderMarkdown(d, path.basename(files.svg)));
  writeFileSync(files.html, renderHtml(d));
  return { dir: outDir, ...files, ...(comparisonSvg ? { comparison: comparisonSvg } : {}) };
}
