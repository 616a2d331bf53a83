// `evoloop audit [problem]`: attack the verifier with the probe battery and say what it lets through.
import type { Command } from 'commander';
import { audit } from '../audit/runner.js';
import { probeLine, summaryLine } from '../audit/report.js';
import { saveAudit } from '../audit/stored.js';
import { fmtScore, printJson } from './context.js';

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('probe the verifier with cheating candidates (forged metrics, tampering, degenerate outputs, noise) and say which it would let through')
    .argument('[problem]', 'folder holding evoloop.yaml', '.')
    .option('--json', 'print the whole report as JSON')
    .option(
      '--probes <which>',
      'all, fast, a family (forgery, tampering, degenerate, awareness, noise, measures, holdout, prompt) or probe names, comma-separated',
      'all',
    )
    .action(async (problem: string, opts: { json?: boolean; probes: string }) => {
      const letThrough = await auditCommand(problem, opts.probes, !!opts.json);
      process.exitCode = letThrough > 0 ? 1 : 0;
    });
}

/**
 * Runs, prints and saves an audit; returns how many probes were let through (`run --audit` shares it).
 * The probes run candidate code: once the verifier's model clients hold their keys, no secret stays
 * in this process's environment.
 */
export async function auditCommand(problem: string, probes: string, json: boolean): Promise<number> {
  const out = (line: string) => !json && process.stdout.write(`${line}\n`);
  const report = await audit({
    problemDir: problem,
    probes,
    onProgress: (line) => (line.startsWith('measuring') || line.startsWith('notice: ')) && out(line),
    scrubEnvironment: true,
    onResult: (r) => out(probeLine(r)),
  });
  saveAudit(report.problemDir, report);
  if (json) printJson(report);
  else {
    out(`baseline ${fmtScore(report.baseline.score)} over ${report.baseline.samples.length} sample(s); sandbox: ${report.sandbox}`);
    out(summaryLine(report));
  }
  return report.letThrough;
}
