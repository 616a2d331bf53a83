// The schema's promise (config/schema.ts): every key is documented in init's template.
import { describe, expect, it } from 'vitest';
import { jsonSchema } from '../config/load.js';
import { OPERATOR_NAMES } from '../config/schema.js';
import { configTemplate } from './init.js';

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; allOf?: JsonSchema[]; oneOf?: JsonSchema[] };

/** Every key path of the schema, e.g. `verifier.stages.timeout`. */
function keyPaths(s: JsonSchema, prefix = ''): string[] {
  const own = Object.entries(s.properties ?? {}).flatMap(([k, v]) => [prefix + k, ...keyPaths(v, `${prefix}${k}.`)]);
  const nested = [s.items, ...(s.anyOf ?? []), ...(s.allOf ?? []), ...(s.oneOf ?? [])].flatMap((sub) => (sub ? keyPaths(sub, prefix) : []));
  return [...new Set([...own, ...nested])];
}

describe('evoloop init template', () => {
  const template = configTemplate('program.py');

  it('documents every key of the schema, and every operator', () => {
    const paths = keyPaths(jsonSchema() as JsonSchema);
    expect(paths).toContain('model.timeout');
    const undocumented = paths.filter((p) => !new RegExp(`(^|[\\s{#-])${p.split('.').at(-1)}:`, 'm').test(template));
    expect(undocumented).toEqual([]);
    for (const name of OPERATOR_NAMES) expect(template).toContain(`${name}:`);
  });
});
