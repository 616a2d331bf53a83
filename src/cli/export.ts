// `evoloop export --format jsonl|csv|tsv`: a run's records for analysis elsewhere (tsv: autoresearch's results.tsv).
import { createWriteStream, existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { resultsTsv } from '../interop/autoresearch-tsv.js';
import { EXPORT_TABLES as TABLES } from '../store/queries.js';
import { openRun } from './context.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description("export a run's candidates (or measurements, events, llm_calls) as JSON lines or CSV")
    .argument('[problem]', 'problem folder', '.')
    .option('--run <id>', 'a run id (default: the latest)')
    .option(
      '--format <format>',
      "jsonl, csv, or tsv (autoresearch's results.tsv: commit, metric, memory_gb, status, description)",
      choice(['jsonl', 'csv', 'tsv']),
      'jsonl',
    )
    .option('--table <table>', TABLES.join(', '), choice([...TABLES]), 'candidates')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (problem: string, opts: { run?: string; format: 'jsonl' | 'csv' | 'tsv'; table: (typeof TABLES)[number]; out?: string }) => {
      if (opts.out && !existsSync(path.dirname(path.resolve(opts.out)))) {
        throw new UsageError(
          `cannot write ${opts.out}: the folder ${path.dirname(path.resolve(opts.out))} does not exist. Fix: create it, or choose another --out.`,
        );
      }
      if (opts.format === 'tsv' && opts.table !== 'candidates') {
        throw new UsageError(
          `--format tsv writes autoresearch's results.tsv, one row per candidate; it has no --table ${opts.table}. Fix: drop --table, or use jsonl/csv.`,
        );
      }
      const ctx = openRun(problem, opts.run);
      const out = opts.out ? createWriteStream(opts.out) : process.stdout;
      try {
        if (opts.format === 'tsv') {
          const metric = (JSON.parse(ctx.run.configJson) as { objective: { metric?: string } }).objective.metric ?? 'objective';
          out.write(resultsTsv(ctx.store.listCandidates(ctx.run.id), { metric, baseCommit: ctx.run.baseCommit }));
          return;
        }
        const rows = ctx.store.queries.exportRows(ctx.run.id, opts.table);
        let header: string[] | undefined;
        for (const row of rows) {
          if (opts.format === 'jsonl') {
            out.write(`${JSON.stringify(row)}\n`);
            continue;
          }
          if (!header) {
            header = Object.keys(row);
            out.write(`${header.join(',')}\n`);
          }
          out.write(`${header.map((k) => csvCell(row[k])).join(',')}\n`);
        }
      } finally {
        ctx.store.close();
        if (opts.out) await new Promise<void>((r) => (out as NodeJS.WritableStream).end(() => r()));
      }
    });
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function choice(values: string[]) {
  return (v: string) => {
    if (!values.includes(v)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return v;
  };
}
