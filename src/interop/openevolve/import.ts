// `evoloop import openevolve DIR --out DIR`: an OpenEvolve problem (initial_program.*,
// evaluator.py, config.yaml) becomes an evoloop problem. The evaluator and its files go to a
// protected verifier/ folder beside a shim shipped with evoloop (shims/openevolve/) that runs
// `evaluate` or the `evaluate_stage1/2/3` cascade as stages; config.yaml is translated, and
// every key that could not be is listed at the top of the written evoloop.yaml.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, stringify } from 'yaml';
import { UsageError } from '../../core/errors.js';
import { ENV_REFERENCE, mapOpenEvolveConfig, type EvaluatorShape } from './config-map.js';

const SHIM_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shims/openevolve');
/** Files of an OpenEvolve example that are results or docs, not part of its verifier. */
const NOT_VERIFIER = /^(best_program.*|.*\.png|README\.md|requirements\.txt|openevolve_output|__pycache__|\.git|\.evoloop)$/;

export interface ImportOptions {
  /** The OpenEvolve config file, when it is not DIR/config.yaml. */
  config?: string;
  /** Write `operators: {tune: 1}` and the translated models as a comment only. */
  offline?: boolean;
}

export interface ImportResult {
  outDir: string;
  program: string;
  configFile?: string;
  stages: string[];
  untranslated: string[];
  noEffect: string[];
  /** Whether evoloop made a git repository for the problem and committed it. */
  committed: boolean;
  models: number;
}

export function importOpenEvolve(sourceDir: string, outDir: string, opts: ImportOptions = {}): ImportResult {
  const src = path.resolve(sourceDir);
  const out = path.resolve(outDir);
  if (!existsSync(src) || !statSync(src).isDirectory()) throw new UsageError(`${sourceDir} is not a folder. Fix: give the folder of an OpenEvolve problem.`);
  const entries = readdirSync(src);
  const programs = entries.filter((f) => /^initial_program\.[A-Za-z0-9]+$/.test(f));
  if (programs.length !== 1) {
    throw new UsageError(
      programs.length === 0
        ? `${sourceDir} has no initial_program.* file, so it is not an OpenEvolve problem (it needs initial_program.<ext> and evaluator.py).`
        : `${sourceDir} has several initial programs (${programs.join(', ')}); keep one and import again.`,
    );
  }
  if (!entries.includes('evaluator.py')) {
    throw new UsageError(`${sourceDir} has no evaluator.py. evoloop imports OpenEvolve's Python evaluators (evaluate(program_path) in evaluator.py).`);
  }
  const configFile = pickConfig(src, entries, opts.config);
  const source = configFile ? readYaml(configFile) : {};
  if (existsSync(out) && readdirSync(out).length > 0) {
    throw new UsageError(`${outDir} exists and is not empty; importing there could overwrite files. Fix: choose a new --out folder.`);
  }

  const program = programs[0];
  const evaluator = readFileSync(path.join(src, 'evaluator.py'), 'utf8');
  const shape: EvaluatorShape = {
    hasEvaluate: /^(async\s+)?def evaluate\s*\(/m.test(evaluator),
    cascade: ['evaluate_stage1', 'evaluate_stage2', 'evaluate_stage3'].filter((fn, i, all) =>
      all.slice(0, i + 1).every((f) => new RegExp(`^(async\\s+)?def ${f}\\s*\\(`, 'm').test(evaluator)),
    ),
  };
  if (!shape.hasEvaluate && shape.cascade.length === 0) {
    throw new UsageError(`${sourceDir}/evaluator.py defines neither evaluate(program_path) nor evaluate_stage1(program_path); there is nothing to run.`);
  }
  const mapped = mapOpenEvolveConfig(source, shape, program, { offline: opts.offline });

  mkdirSync(path.join(out, 'verifier'), { recursive: true });
  cpSync(path.join(src, program), path.join(out, program));
  for (const f of entries) {
    const isConfig = /^config.*\.ya?ml$/.test(f) || (configFile !== undefined && path.join(src, f) === configFile);
    if (f === program || NOT_VERIFIER.test(f)) continue;
    // Some evaluators read their config.yaml (settings of their own); it goes beside them, without literal keys.
    if (isConfig && evaluator.includes(f)) writeFileSync(path.join(out, 'verifier', f), withoutApiKeys(readFileSync(path.join(src, f), 'utf8')));
    else if (!isConfig) cpSync(path.join(src, f), path.join(out, 'verifier', f), { recursive: true });
  }
  cpSync(SHIM_DIR, path.join(out, 'verifier'), { recursive: true });
  writeFileSync(path.join(out, 'evoloop.yaml'), configText(mapped, path.relative(process.cwd(), configFile ?? src) || '.'));
  const committed = commitIfNew(out, src);
  const stages = (mapped.config.verifier as { stages: { name: string }[] }).stages.map((s) => s.name);
  const models = Array.isArray(mapped.config.models) ? mapped.config.models.length : 0;
  return { outDir: out, program, configFile, stages, untranslated: mapped.untranslated, noEffect: mapped.noEffect, committed, models };
}

function pickConfig(src: string, entries: string[], chosen?: string): string | undefined {
  if (chosen) {
    const file = path.resolve(chosen);
    if (!existsSync(file)) throw new UsageError(`--config ${chosen}: no such file.`);
    return file;
  }
  if (entries.includes('config.yaml')) return path.join(src, 'config.yaml');
  const configs = entries.filter((f) => /^config.*\.ya?ml$/.test(f));
  if (configs.length > 1) {
    throw new UsageError(`${src} has several configs (${configs.join(', ')}). Fix: pick one with --config ${path.join(src, configs[0])}.`);
  }
  return configs.length === 1 ? path.join(src, configs[0]) : undefined;
}

function readYaml(file: string): Record<string, unknown> {
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text, { version: '1.1' }); // OpenEvolve reads it with PyYAML (YAML 1.1: yes/no are booleans)
  let data: unknown;
  if (doc.errors.length === 0) data = doc.toJS();
  else {
    // PyYAML accepts files our parser refuses (a quoted string whose lines are not indented
    // past its key, as in OpenEvolve's own attention_optimization): ask PyYAML, as OpenEvolve would.
    const e = doc.errors[0];
    const where = `${file}:${e.linePos?.[0].line ?? '?'}`;
    const py = loadWithPyYaml(text);
    if (!('data' in py)) {
      const why = py.missing ? 'and no python3 with PyYAML was found to read it as OpenEvolve does' : `and PyYAML refuses it too (${py.refused})`;
      const fix = py.missing ? 'Fix the file, or install PyYAML (pip install pyyaml), and import again.' : 'Fix the file and import again.';
      throw new UsageError(`${where}: not valid YAML (${e.message.split('\n')[0]}), ${why}. ${fix}`);
    }
    data = py.data;
  }
  data ??= {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new UsageError(`${file}: expected a mapping of OpenEvolve settings at the top level.`);
  return data as Record<string, unknown>;
}

/** The document as PyYAML's safe_load reads it, or why not: python3 or PyYAML missing, or PyYAML's own error. */
function loadWithPyYaml(text: string): { data: unknown } | { missing: true } | { missing: false; refused: string } {
  const script = [
    'import json, sys',
    'try:\n    import yaml\nexcept ImportError:\n    sys.exit(3)',
    'try:\n    data = yaml.safe_load(sys.stdin)\nexcept yaml.YAMLError as e:\n    print(str(e).splitlines()[0], file=sys.stderr); sys.exit(4)',
    'print(json.dumps(data, default=str))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0) return { data: JSON.parse(r.stdout) };
  if (r.status === 4) return { missing: false, refused: r.stderr.trim() };
  return { missing: true };
}

/** A config without literal API keys (a `${NAME}` reference stays): the problem folder is committed. */
function withoutApiKeys(text: string): string {
  const doc = parseDocument(text);
  // A file only PyYAML reads: every `api_key:` holding a literal value is emptied, line by line.
  if (doc.errors.length > 0) return text.replace(/^([ \t-]*api_key:)(?![ \t]*["']?\$\{?[A-Za-z_]\w*\}?["']?[ \t]*(#.*)?$).*$/gm, '$1');
  const literal = (v: unknown) => typeof v === 'string' && !ENV_REFERENCE.test(v);
  const paths: (string | number)[][] = [['llm', 'api_key']];
  for (const list of ['models', 'evaluator_models']) {
    const items = doc.getIn(['llm', list]);
    const n = items && typeof items === 'object' && 'items' in items ? (items as { items: unknown[] }).items.length : 0;
    for (let i = 0; i < n; i++) paths.push(['llm', list, i, 'api_key']);
  }
  const found = paths.filter((p) => literal(doc.getIn(p)));
  if (found.length === 0) return text;
  for (const p of found) doc.deleteIn(p);
  return doc.toString();
}

function configText(mapped: ReturnType<typeof mapOpenEvolveConfig>, from: string): string {
  const comment = (lines: string[]) => lines.map((l) => `#   ${l}`).join('\n');
  const header = [
    `# Imported from OpenEvolve (${from}) by evoloop import openevolve.`,
    '# The evaluator runs the program inside its own Python process, as in OpenEvolve: such a program',
    '# can forge what the evaluator returns. `evoloop audit` shows which cheats this verifier lets through.',
  ];
  if (mapped.approximate.length > 0) header.push('# Translated with a change of meaning:', comment(mapped.approximate));
  if (mapped.untranslated.length > 0) header.push('# Not translated (no evoloop meaning):', comment(mapped.untranslated));
  if (mapped.noEffect.length > 0) header.push('# Not translated: these keys have no effect in OpenEvolve itself:', comment(mapped.noEffect));
  if (mapped.offlineModels) {
    header.push('# Offline import: proposals come from tune. To propose with the models, replace `operators:` with:');
    header.push(
      comment(
        stringify({ models: mapped.offlineModels, operators: { 'llm-diff': 1 } })
          .trimEnd()
          .split('\n'),
      ),
    );
  }
  return `${header.join('\n')}\n\n${stringify(mapped.config, { lineWidth: 100 })}`;
}

/** A problem outside any git repository gets one, with the import as its first commit: evoloop runs from commits. */
function commitIfNew(out: string, src: string): boolean {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: out, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  try {
    git('rev-parse', '--show-toplevel');
    return false;
  } catch {
    git('init', '-q');
    git('add', '-A');
    const identity = ['-c', 'user.name=evoloop import', '-c', 'user.email=evoloop@localhost'];
    const hasIdentity = (() => {
      try {
        return git('config', 'user.email').trim() !== '';
      } catch {
        return false;
      }
    })();
    git(...(hasIdentity ? [] : identity), 'commit', '-q', '-m', `Imported from OpenEvolve: ${path.basename(src)}`);
    return true;
  }
}
