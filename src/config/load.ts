// Reading evoloop.yaml: YAML syntax errors and schema errors both become a
// ConfigError whose message names the file, the key, the problem and a fix.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { configSchema, type Config, type ConfigInput } from './schema.js';

export const CONFIG_FILES = ['evoloop.yaml', 'evoloop.yml'];

export class ConfigError extends UsageError {}

/** Finds the config file in a problem folder. */
export function findConfigFile(problemDir: string): string {
  if (!existsSync(problemDir))
    throw new ConfigError(`${problemDir} does not exist. Fix: pass the folder that holds evoloop.yaml (or create it with \`evoloop init ${problemDir}\`).`);
  for (const name of CONFIG_FILES) {
    const file = path.join(problemDir, name);
    if (existsSync(file)) return file;
  }
  throw new ConfigError(`no evoloop.yaml in ${problemDir}. Fix: run \`evoloop init ${problemDir}\` to scaffold one, or pass the folder that holds it.`);
}

export function loadConfigFile(file: string): Config {
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new ConfigError(`${file}: YAML syntax error: ${first.message.trimEnd()}\nFix the YAML at that line.`);
  }
  return validateConfig(resolveExposed(doc.toJS() ?? {}, path.dirname(file)), file);
}

/** `sandbox_expose` entries in a file may be relative to its folder (e.g. a repository's node_modules); the schema sees them absolute. */
function resolveExposed(input: unknown, folder: string): unknown {
  if (input === null || typeof input !== 'object' || !('sandbox_expose' in input) || !Array.isArray(input.sandbox_expose)) return input;
  const resolved = input.sandbox_expose.map((p: unknown) => (typeof p === 'string' && p !== '' && !path.isAbsolute(p) ? path.resolve(folder, p) : p));
  return { ...input, sandbox_expose: resolved };
}

/** Validates a config object (from YAML or from `defineConfig`). */
export function validateConfig(input: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${describeIssue(issue, input)}`);
  throw new ConfigError(`${source} is invalid:\n${lines.join('\n')}`);
}

type Issue = z.core.$ZodIssue;

function describeIssue(issue: Issue, input: unknown): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    return issue.keys
      .map((key) => {
        const near = closest(key, known);
        const fix = near ? `did you mean \`${near}\`?` : `remove it (known keys: ${known.join(', ')})`;
        return `${where ? `${where}.` : ''}${key}: unknown key. Fix: ${fix}`;
      })
      .join('\n  - ');
  }
  const got = valueAt(input, issue.path);
  const shown = got === undefined ? 'it is missing' : `got ${JSON.stringify(got)}`;
  return `${where || '(top level)'}: ${issue.message} (${shown}). Fix: see \`evoloop schema\` or the comments in \`evoloop init\`'s template.`;
}

function formatPath(p: PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i > 0 ? '.' : ''}${String(k)}`)).join('');
}

function valueAt(input: unknown, p: PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** The keys the schema allows at a path, for "did you mean" hints. */
function knownKeysAt(p: PropertyKey[]): string[] {
  // Walk the schema's JSON Schema rather than zod internals: it is stable and public.
  let node = jsonSchema() as { properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[]; propertyNames?: { enum?: string[] } };
  for (const k of p) {
    if (typeof k === 'number') node = (node.items ?? {}) as typeof node;
    else node = (node.properties?.[k as string] ?? {}) as typeof node;
  }
  // A record keyed by names (operators: {tune: 1}) lists its names, not properties.
  return node.propertyNames?.enum ?? Object.keys(node.properties ?? {});
}

let cachedJsonSchema: unknown;
/** The JSON Schema of what users write, for editors (`evoloop schema`). */
export function jsonSchema(): unknown {
  cachedJsonSchema ??= z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
  return cachedJsonSchema;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  return bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Typed helper for library users: `defineConfig({...})` validates nothing yet, it only types. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}
