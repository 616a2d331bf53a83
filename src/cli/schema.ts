// `evoloop schema`: the JSON Schema of evoloop.yaml, for editors, each key described by the
// text of `evoloop init`'s template (config/describe.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describeSchema } from '../config/describe.js';
import { jsonSchema } from '../config/load.js';
import { configTemplate } from './init.js';

/** Where `evoloop init` puts the schema, and the modeline of the evoloop.yaml it writes points. */
export const SCHEMA_FILE = '.evoloop/evoloop.schema.json';

export function describedSchema(): object {
  return { ...describeSchema(jsonSchema() as object, configTemplate('program.*')), title: 'evoloop.yaml' };
}

export function writeSchemaFile(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(describedSchema(), null, 2)}\n`);
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of evoloop.yaml (for editor completion, validation and hover text)')
    .option('--out <file>', `write it to this file instead, e.g. ${SCHEMA_FILE} (where the modeline of \`evoloop init\`'s evoloop.yaml points)`)
    .action((opts: { out?: string }) => {
      if (opts.out) writeSchemaFile(opts.out);
      else process.stdout.write(`${JSON.stringify(describedSchema(), null, 2)}\n`);
    });
}
