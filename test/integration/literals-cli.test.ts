// `evoloop literals`: what the offline operators would move, checked before a run; the
// real CLI in a throwaway repository (needs `npx tsc -p tsconfig.json` first).
import { afterEach, describe, expect, it } from 'vitest';
import { createProblem, type Problem } from '../support/problem.js';

let problem: Problem | undefined;
afterEach(() => problem?.cleanup());

const SOLVER = `import re

PATTERN = re.compile(r"(\\d+)-(\\d+)")
ITERATIONS = 500
RATE = 0.3  # evoloop: 0.05..0.95 step 0.05


def solve(xs):
    return [x * RATE for x in xs[1:]][0]
`;

function solverProblem(files: Record<string, string> = {}): Problem {
  return createProblem({ files: { 'solver.py': SOLVER, ...files }, config: { edit: ['solver.py', 'extra/*.sh'] } });
}

describe('evoloop literals', () => {
  it('prints what moves with its range and where that comes from, and each literal left alone with why', async () => {
    problem = solverProblem({ 'extra/run.sh': 'THREADS=4\nexit 1\n' });
    const r = await problem.cli('literals', '{dir}');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tune moves 3 literals in extra\/run\.sh \(shell, tree-sitter\), solver\.py \(Python, tree-sitter\)/);
    expect(r.stdout).toMatch(/extra\/run\.sh:1 +THREADS = 4 +evoloop: 2\.\.8 int +inferred/);
    expect(r.stdout).toMatch(/solver\.py:4 +ITERATIONS = 500 +evoloop: 50\.\.5000 log int +inferred/);
    expect(r.stdout).toMatch(/solver\.py:5 +RATE = 0\.3 +evoloop: 0\.05\.\.0\.95 step 0\.05 +hint/);
    expect(r.stdout).toMatch(/Left alone \(3\):\n/);
    expect(r.stdout).toMatch(/extra\/run\.sh:2 +1 +an exit status or signal/);
    expect(r.stdout).toMatch(/solver\.py:9 +1 +an index, slice bound or loop stride/);
    expect(r.stdout).toMatch(/solver\.py:9 +0 +an index, slice bound or loop stride/);
  });

  it('prints JSON with --json, and reads one file when given one', async () => {
    problem = solverProblem();
    const r = await problem.cli('literals', '{dir}/solver.py', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.errors).toEqual([]);
    expect(out.files).toHaveLength(1);
    expect(out.files[0]).toMatchObject({ language: 'Python', parser: 'tree-sitter' });
    expect(out.files[0].path).toMatch(/solver\.py$/);
    expect(out.files[0].movable).toEqual([
      {
        line: 4,
        text: '500',
        name: 'ITERATIONS',
        value: 500,
        source: 'inferred',
        hint: 'evoloop: 50..5000 log int',
        range: { min: 50, max: 5000, log: true, integer: true, step: null },
      },
      {
        line: 5,
        text: '0.3',
        name: 'RATE',
        value: 0.3,
        source: 'hint',
        hint: 'evoloop: 0.05..0.95 step 0.05',
        range: { min: 0.05, max: 0.95, log: false, integer: false, step: 0.05 },
      },
    ]);
    expect(out.files[0].skipped).toEqual([
      { line: 9, text: '1', reason: 'an index, slice bound or loop stride' },
      { line: 9, text: '0', reason: 'an index, slice bound or loop stride' },
    ]);
  });

  it('says which languages have no parser, and how their numbers move', async () => {
    problem = createProblem({ files: { 'solve.rb': 'n = 3\n' }, config: { edit: ['solve.rb'] } });
    const r = await problem.cli('literals', '{dir}');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/solve\.rb:1 +3 +relative steps/);
    expect(r.stdout).toMatch(/solve\.rb: no parser for its language \(JavaScript\/TypeScript, Python, shell \(sh\/bash\) and C have one\)/);
  });

  it('refuses a file that does not parse (exit 2), naming the file, the line and the fix', async () => {
    problem = solverProblem({ 'extra/run.sh': 'if [ -n "$x" ]; then\n  echo 3\n' });
    const r = await problem.cli('literals', '{dir}');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^evoloop: extra\/run\.sh:\d+ does not parse as shell \(.*\), so tune cannot tell its constants from its structure\. Fix: make the file valid shell/,
    );
    // The files that do parse are still listed.
    expect(r.stdout).toMatch(/solver\.py:4 +ITERATIONS = 500/);
    const json = await problem.cli('literals', '{dir}', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).errors).toEqual([expect.stringMatching(/^extra\/run\.sh:\d+ does not parse as shell/)]);
  });

  it('says so when no file matches edit (exit 2)', async () => {
    problem = createProblem({ config: { edit: ['nothing-*.py'] } });
    const r = await problem.cli('literals', '{dir}');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no file in .* matches edit: \["nothing-\*\.py"\]\. Fix: list the files to tune under `edit`/);
  });
});
