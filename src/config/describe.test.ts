// Editors show the schema's descriptions on hover; they are init's template text (one source).
import { describe, expect, it } from 'vitest';
import { configTemplate } from '../cli/init.js';
import { describedSchema } from '../cli/schema.js';
import { templateDescriptions } from './describe.js';

type Node = { description?: string; properties?: Record<string, Node>; items?: Node; anyOf?: Node[] };

function described(node: Node, prefix = ''): [string, string | undefined][] {
  const own = Object.entries(node.properties ?? {}).flatMap(([k, v]): [string, string | undefined][] => [
    [prefix + k, v.description],
    ...described(v, `${prefix}${k}.`),
  ]);
  return [...own, ...[node.items, ...(node.anyOf ?? [])].flatMap((sub) => (sub ? described(sub, prefix) : []))];
}

describe('the JSON Schema of evoloop.yaml', () => {
  const schema = describedSchema() as Node;

  it('describes every key', () => {
    const keys = described(schema);
    expect(keys.length).toBeGreaterThan(50);
    expect(keys.filter(([, d]) => !d?.trim()).map(([k]) => k)).toEqual([]);
  });

  it('takes each description from the comment on and above the key in init’s template', () => {
    const byPath = new Map(described(schema));
    expect(byPath.get('budget.usd')).toBe('stop before spending more on model calls');
    expect(byPath.get('verifier.stages.timeout')).toBe('the whole process group is killed at the timeout');
    expect(byPath.get('model.max_outage')).toMatch(/^a model that does not answer for this long stops the run .* each wait at most 5m/);
    expect(byPath.get('edit')).toMatch(/^Files the proposer may change .* EVOLVE-BLOCK-START/);
    expect(byPath.get('models.name')).toBe(byPath.get('model.name'));
    // a comment that documents a value (`kind: gate  must exit 0`) is prose, not a key
    expect(byPath.get('verifier.stages')).toMatch(/^Stages run in order .* kind: gate must exit 0/);
  });

  it('follows the template when it changes', () => {
    const docs = templateDescriptions('# What to tune.\nbudget:\n  candidates: 3   # how many\n  # time: 1h      # how long\n  #               # in all\n');
    expect([...docs]).toEqual([
      ['budget', 'What to tune.'],
      ['budget.candidates', 'how many'],
      ['budget.time', 'how long in all'],
    ]);
  });

  it('the generated evoloop.yaml names the schema for editors on its first line', () => {
    expect(configTemplate('solver.py').split('\n')[0]).toBe('# yaml-language-server: $schema=.evoloop/evoloop.schema.json');
  });
});
