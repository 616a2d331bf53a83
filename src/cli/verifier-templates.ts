// `evoloop init`'s verifier template, in the language of the file being evolved (Python,
// Node, shell): the metrics contract, the clean environment for the candidate's program, the
// tune bounds hint. An untouched template scores every candidate the same on purpose; the run
// then warns that the verifier measures nothing (engine/flat-scores.ts).
import path from 'node:path';

export interface VerifierTemplate {
  /** Problem-relative path of the verifier. */
  file: string;
  /** The stage's `run:` command. */
  command: string;
  text: string;
}

type Language = 'python' | 'node' | 'shell';

const LANGUAGES: Record<string, Language> = {
  '.py': 'python',
  '.js': 'node',
  '.mjs': 'node',
  '.cjs': 'node',
  '.ts': 'node',
  '.mts': 'node',
  '.sh': 'shell',
  '.bash': 'shell',
};

/** The verifier template for an `--edit` glob: Python for .py, shell for .sh and any other language, Node for JS/TS and a bare glob. */
export function verifierTemplate(edit: string): VerifierTemplate {
  const ext = path.extname(edit).toLowerCase();
  const language = LANGUAGES[ext] ?? (/[*?[{]/.test(ext) || ext === '' ? 'node' : 'shell');
  // A plain path in the verifier's own language is the program the template runs; otherwise the command is left to the user.
  const runnable = !/[*?[{]/.test(edit) && ['.py', '.js', '.mjs', '.cjs', '.sh', '.bash'].includes(ext);
  const program = runnable ? edit : undefined;
  if (language === 'python') return { file: 'verifier/score.py', command: 'python3 verifier/score.py', text: python(program) };
  if (language === 'shell') return { file: 'verifier/score.sh', command: 'sh verifier/score.sh', text: shell(program) };
  return { file: 'verifier/score.mjs', command: 'node verifier/score.mjs', text: node(program) };
}

/** The contract, as comment lines (prefix `#` or `//`). */
function contract(c: string, program: string | undefined): string {
  const example = program ?? 'your program';
  return `${c} Verifier: runs the candidate's program and reports how good it is. evoloop runs it with
${c} cwd = this problem folder inside the candidate's worktree (a copy at the candidate's commit).
${c}
${c} Report metrics (numbers) in one of these ways; the objective in evoloop.yaml names one:
${c}   - a JSON object written to the file $EVOLOOP_METRICS (preferred: the program's own
${c}     output can never count), e.g. {"score": 0.93, "feedback": "2 of 30 tests slow"}
${c}   - a JSON object printed as the last line of stdout, or METRIC name=value lines.
${c} "feedback" (optional text) is shown to the proposer next time: say what went wrong.
${c} Exit non-zero when the program is broken: the candidate fails, stderr's tail is the reason.
${c} EVOLOOP_SEED differs per repeat (the same seeds for every candidate): use it for any
${c} randomness, so that repeats measure the noise instead of hiding it.
${c}
${c} Run the candidate's program in a clean environment: without the EVOLOOP_* variables (or it
${c} could write its own score to $EVOLOOP_METRICS), wait until it and everything it started has
${c} exited, and write the report last.
${c}
${c} Offline, the tune operator moves numeric literals of ${example}. Bound one with a comment
${c} on its line, e.g.   rate = 0.5  ${c === '#' ? '#' : '//'} evoloop: 0.05..0.95   (also: log, int, step 0.05);
${c} \`evoloop literals\` lists what it would move.
${c}
${c} TODO: replace the placeholder score below with a real measurement. Until then every
${c} candidate scores the same, and \`evoloop run\` warns that the verifier measures nothing.
`;
}

function python(program: string | undefined): string {
  const run = program
    ? `result = subprocess.run([sys.executable, ${JSON.stringify(program)}, str(seed)], env=clean_env, capture_output=True, text=True, timeout=50)
if result.returncode != 0:
    sys.stderr.write(result.stderr[-2000:])
    sys.exit(1)
output = result.stdout`
    : `output = ""  # TODO: run your program with env=clean_env and keep what it prints`;
  return `${contract('#', program)}import json
import os
import subprocess
import sys

seed = int(os.environ.get("EVOLOOP_SEED", "1"))
metrics_file = os.environ["EVOLOOP_METRICS"]
clean_env = {k: v for k, v in os.environ.items() if not k.startswith("EVOLOOP_")}

${run}

score = 1.0  # TODO: compute the score from output
with open(metrics_file, "w") as f:
    json.dump({"score": score, "feedback": f"seed {seed}: placeholder score; write a real measurement"}, f)
`;
}

function node(program: string | undefined): string {
  const run = program
    ? `// Throws (exit 1, stderr kept) when the program fails.
const output = execFileSync(process.execPath, [${JSON.stringify(program)}, String(seed)], { encoding: 'utf8', env: cleanEnv, timeout: 50_000 });`
    : `const output = ''; // TODO: run your program with { env: cleanEnv } and keep what it prints`;
  return `${contract('//', program)}import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const seed = Number(process.env.EVOLOOP_SEED ?? 1);
const metricsFile = process.env.EVOLOOP_METRICS;
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('EVOLOOP_')));

${run}

const score = 1; // TODO: compute the score from output
writeFileSync(metricsFile, JSON.stringify({ score, feedback: \`seed \${seed}: placeholder score; write a real measurement\` }));
`;
}

function shell(program: string | undefined): string {
  const run = program
    ? `# The program runs in a subshell without the EVOLOOP_* variables.
output=$(
  for v in $(env | sed -n 's/^\\(EVOLOOP_[A-Za-z0-9_]*\\)=.*/\\1/p'); do unset "$v"; done
  sh ./${program} "$seed"
) || { echo "${program} failed" >&2; exit 1; }`
    : `output=""  # TODO: run your program (without the EVOLOOP_* variables) and keep what it prints`;
  return `#!/bin/sh
${contract('#', program)}set -u
seed="\${EVOLOOP_SEED:-1}"
metrics_file="$EVOLOOP_METRICS"

${run}

score=1  # TODO: compute the score from "$output"
printf '{"score": %s, "feedback": "seed %s: placeholder score; write a real measurement"}\\n' "$score" "$seed" > "$metrics_file"
`;
}
