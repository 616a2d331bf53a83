// `evoloop import openevolve` on OpenEvolve-format problems this test writes itself (no
// OpenEvolve code): the import, the translated config, an offline run whose score climbs,
// evaluator failures handled as stage failures, and bad input refused without writing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../support/problem.js';

const PROGRAM = `import math

x_offset = 9.0  # outside the block: never changed


# EVOLVE-BLOCK-START
def solve():
    x = 0.5
    y = -4.0
    return x, y
# EVOLVE-BLOCK-END
`;

// Cascade: stage1 checks the program runs (combined_score 1 when it does), stage2 scores it.
const EVALUATOR = `import importlib.util
import os
import re
from openevolve.evaluation_result import EvaluationResult
from helper import target

# Settings of its own, read from the config.yaml beside it (as AlgoTune's evaluators do).
with open(os.path.join(os.path.dirname(__file__), "config.yaml")) as f:
    SCALE = float(re.search(r"scale: ([0-9.]+)", f.read()).group(1))


def load(path):
    spec = importlib.util.spec_from_file_location("program", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def evaluate_stage1(program_path):
    load(program_path).solve()
    return {"runs": 1.0, "combined_score": 1.0}


def evaluate_stage2(program_path):
    x, y = load(program_path).solve()
    tx, ty = target()
    distance = (x - tx) ** 2 + (y - ty) ** 2
    print("METRIC combined_score=999")  # an evaluator's print is never read as a metric
    print('{"combined_score": 999}')
    return EvaluationResult(
        metrics={"combined_score": SCALE * (100.0 - distance), "distance": distance, "note": "a string is not a metric", "error": "partial credit"},
        artifacts={"advice": f"the target is {distance:.3f} away"},
    )


def evaluate(program_path):
    return evaluate_stage2(program_path)
`;

const CONFIG = `max_iterations: 25
random_seed: 7
diff_based_evolution: true
llm:
  primary_model: "some-model"
  primary_model_weight: 0.8
  secondary_model: "other-model"
  secondary_model_weight: 0.2
  api_base: "http://127.0.0.1:9/v1"
  api_key: "sk-literal-never-copied"
  temperature: 0.4
prompt:
  system_message: "Move the point to the target."
database:
  population_size: 50
  num_islands: 2
  migration_interval: 5
  migration_rate: 0.4
evaluator:
  timeout: 20
  cascade_thresholds: [0.5]
  memory_limit_mb: 1024
parallel_evaluations: 4
problem:
  scale: 1.0
`;

let tmp: string;
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function writeSource(files: Record<string, string> = {}): string {
  tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-oe-'));
  const src = path.join(tmp, 'source');
  mkdirSync(src);
  const all = {
    'initial_program.py': PROGRAM,
    'evaluator.py': EVALUATOR,
    'helper.py': 'def target():\n    return 2.0, 1.0\n',
    'config.yaml': CONFIG,
    ...files,
  };
  for (const [name, text] of Object.entries(all)) if (text !== '') writeFileSync(path.join(src, name), text);
  return src;
}

const cli = (...args: string[]) => runCli(args, tmp);

describe('evoloop import openevolve', () => {
  it('writes a problem whose offline run measures the baseline and climbs, keeping the EVOLVE-BLOCK', async () => {
    writeSource();
    const imported = await cli('import', 'openevolve', 'source', '--out', 'problem', '--offline');
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('made problem a git repository and committed the import');
    const dir = path.join(tmp, 'problem');
    expect(readFileSync(path.join(dir, 'initial_program.py'), 'utf8')).toBe(PROGRAM);
    for (const f of ['evaluator.py', 'helper.py', 'openevolve_stage.py', 'openevolve/evaluation_result.py'])
      expect(existsSync(path.join(dir, 'verifier', f))).toBe(true);
    expect(existsSync(path.join(dir, 'config.yaml'))).toBe(false);
    // The evaluator reads its config.yaml: it is beside it, without the literal API key.
    const copied = readFileSync(path.join(dir, 'verifier', 'config.yaml'), 'utf8');
    expect(copied).toContain('scale: 1.0');
    expect(copied).toContain('temperature: 0.4');
    expect(copied).not.toContain('sk-literal');

    const text = readFileSync(path.join(dir, 'evoloop.yaml'), 'utf8');
    const config = parse(text);
    expect(config).toMatchObject({
      edit: ['initial_program.py'],
      protect: ['verifier/**'],
      instructions: 'Move the point to the target.',
      objective: { metric: 'combined_score', goal: 'maximize' },
      budget: { candidates: 25 },
      search: { seed: 7, strategy: 'islands', islands: 2, migration: { interval: 5, rate: 2 } },
      operators: { tune: 1 },
    });
    expect(config.verifier.stages).toEqual([
      { name: 'cascade', kind: 'score', run: 'python3 verifier/openevolve_stage.py cascade initial_program.py --thresholds 0.5', timeout: 40, metrics: 'file' },
    ]);
    // Nothing silently dropped: untranslated keys and keys OpenEvolve ignores are listed in the header.
    const header = text.slice(0, text.indexOf('\nedit:'));
    expect(header).toMatch(/Not translated \(no evoloop meaning\):\n(#.*\n)*#\s+database\.population_size: /);
    expect(header).toMatch(/no effect in OpenEvolve itself:\n#\s+evaluator\.memory_limit_mb/);
    expect(header).toMatch(/#\s+parallel_evaluations: not an OpenEvolve setting/); // top level: OpenEvolve ignores it
    expect(header).toMatch(/#\s+problem\.scale: not an OpenEvolve setting/);
    expect(header).toMatch(/change of meaning:\n#\s+database\.migration_interval: 5 generations → search\.migration\.interval: 5 accepted children/);
    expect(text).not.toContain('sk-literal');
    expect(header).toContain('name: some-model'); // the models, commented out for the offline import

    const run = await cli('run', 'problem', '-n', '12');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const status = JSON.parse((await cli('status', 'problem', '--json')).stdout);
    expect(status.baseline).toBeCloseTo(100 - (0.5 - 2) ** 2 - (-4 - 1) ** 2, 6); // not 999: prints are not metrics
    expect(status.best).toBeGreaterThan(status.baseline);
    const best = JSON.parse((await cli('show', 'best', 'problem', '--json')).stdout);
    expect(best.metrics).toMatchObject({ runs: 1 }); // stage1's metrics merged, as OpenEvolve merges the cascade
    expect(best.metrics.note).toBeUndefined();
    const diff = (await cli('diff', 'best', 'problem')).stdout;
    expect(diff).toMatch(/^\+\s+[xy] = /m);
    expect(diff).not.toMatch(/^[-+]x_offset/m);
    expect(readFileSync(path.join(dir, 'initial_program.py'), 'utf8')).toBe(PROGRAM); // the user's files are untouched
  }, 240_000); // a dozen candidates of a Python verifier: tens of seconds on a loaded machine

  it('translates the models (weights, base url, temperature) and the operator mix when not offline', async () => {
    // `no` is false to OpenEvolve's PyYAML (YAML 1.1), so it is here too.
    writeSource({ 'config.yaml': CONFIG.replace('diff_based_evolution: true', 'diff_based_evolution: no') });
    const imported = await cli('import', 'openevolve', 'source', '--out', 'problem');
    expect(imported.code, imported.stderr).toBe(0);
    const config = parse(readFileSync(path.join(tmp, 'problem', 'evoloop.yaml'), 'utf8'));
    expect(config.models).toEqual([
      { provider: 'openai', name: 'some-model', base_url: 'http://127.0.0.1:9/v1', temperature: 0.4, weight: 0.8 },
      { provider: 'openai', name: 'other-model', base_url: 'http://127.0.0.1:9/v1', temperature: 0.4, weight: 0.2 },
    ]);
    expect(config.operators).toEqual({ 'llm-rewrite': 1 });
    const check = await cli('literals', 'problem');
    expect(check.code, check.stderr).toBe(0); // the written config is valid
  });

  it.each([
    ['hangs', 'import time\ndef evaluate(program_path):\n    time.sleep(60)\n', /timeout/i],
    ['crashes (async def evaluate, awaited)', 'async def evaluate(program_path):\n    raise ValueError("evaluator bug 42")\n', /evaluator bug 42/],
    ['returns NaN', 'def evaluate(program_path):\n    return {"combined_score": float("nan")}\n', /NaN/],
    ['returns None', 'def evaluate(program_path):\n    return None\n', /returned None/],
    [
      'catches its exception and reports it with a score of 0',
      'def evaluate(program_path):\n    try:\n        import jaxx\n    except Exception as e:\n        return {"combined_score": 0.0, "error": str(e)}\n',
      /evaluate\(\) reported an error \(and every metric 0\): No module named 'jaxx'/,
    ],
  ])('an evaluator that %s fails the stage with that reason', async (what, evaluator, reason) => {
    // Only the hanging evaluator meets its timeout; the others get time enough on a loaded machine.
    writeSource({ 'evaluator.py': evaluator, 'config.yaml': `evaluator:\n  timeout: ${what === 'hangs' ? 2 : 60}\n` });
    expect((await cli('import', 'openevolve', 'source', '--out', 'problem', '--offline')).code).toBe(0);
    const run = await cli('run', 'problem', '-n', '1');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/the base commit fails its own verifier/);
    expect(run.stderr).toMatch(reason);
  });

  it('reads a config only PyYAML accepts, as OpenEvolve does, and still keeps literal keys out of the copy', async () => {
    // A quoted prompt whose lines are not indented past its key (OpenEvolve's own
    // attention_optimization writes its system_message so): YAML 1.2 parsers refuse it.
    const pyyamlOnly = CONFIG.replace('  system_message: "Move the point to the target."', '  system_message: "\n  Move the point\n  to the target.\n  "');
    writeSource({ 'config.yaml': pyyamlOnly });
    const r = await cli('import', 'openevolve', 'source', '--out', 'problem', '--offline');
    expect(r.code, r.stderr).toBe(0);
    const dir = path.join(tmp, 'problem');
    const config = parse(readFileSync(path.join(dir, 'evoloop.yaml'), 'utf8'));
    expect(config).toMatchObject({ instructions: ' Move the point to the target. ', budget: { candidates: 25 } });
    const copied = readFileSync(path.join(dir, 'verifier', 'config.yaml'), 'utf8');
    expect(copied).not.toContain('sk-literal');
    expect(copied).toContain('  api_key:\n  temperature: 0.4');
    expect(copied).toContain('scale: 1.0');
  });

  it('refuses bad input with the fix, and writes nothing', async () => {
    const src = writeSource({ 'evaluator.py': '' });
    let r = await cli('import', 'openevolve', 'source', '--out', 'problem');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no evaluator.py');
    expect(existsSync(path.join(tmp, 'problem'))).toBe(false);

    writeFileSync(path.join(src, 'evaluator.py'), EVALUATOR);
    mkdirSync(path.join(tmp, 'taken'));
    writeFileSync(path.join(tmp, 'taken', 'mine.txt'), 'keep me');
    r = await cli('import', 'openevolve', 'source', '--out', 'taken');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exists and is not empty');
    expect(readFileSync(path.join(tmp, 'taken', 'mine.txt'), 'utf8')).toBe('keep me');

    writeFileSync(path.join(src, 'config.yaml'), 'llm: [unclosed\n');
    r = await cli('import', 'openevolve', 'source', '--out', 'problem');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config\.yaml:\d+: not valid YAML \(.*\), and PyYAML refuses it too \(.+\)\. Fix the file/);

    rmSync(path.join(src, 'config.yaml'));
    writeFileSync(path.join(src, 'config_phase_1.yaml'), 'max_iterations: 3\n');
    writeFileSync(path.join(src, 'config_phase_2.yaml'), 'max_iterations: 4\n');
    r = await cli('import', 'openevolve', 'source', '--out', 'problem');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--config');
    r = await cli('import', 'openevolve', 'source', '--out', 'problem', '--config', path.join(src, 'config_phase_2.yaml'));
    expect(r.code, r.stderr).toBe(0);
    expect(parse(readFileSync(path.join(tmp, 'problem', 'evoloop.yaml'), 'utf8')).budget).toEqual({ candidates: 4 });

    r = await cli('import', 'shinka', 'source', '--out', 'other');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('evoloop imports: openevolve');
  });

  it('leaves committing to the user inside an existing repository', async () => {
    writeSource();
    execFileSync('git', ['init', '-q'], { cwd: tmp });
    const r = await cli('import', 'openevolve', 'source', '--out', 'problem', '--offline');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('git add problem && git commit');
    expect(existsSync(path.join(tmp, 'problem', '.git'))).toBe(false);
  });
});
