// `evoloop schema`: the JSON Schema of evoloop.yaml, for editors.
import type { Command } from 'commander';
import { jsonSchema } from '../config/load.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of evoloop.yaml (for editor completion and validation)')
    .action(() => {
      const schema = { ...(jsonSchema() as object), title: 'evoloop.yaml' };
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    });
}
