// `evoloop init [folder]`: a commented evoloop.yaml and a verifier template to fill in.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { SCHEMA_FILE, writeSchemaFile } from './schema.js';
import { verifierTemplate } from './verifier-templates.js';

export function configTemplate(edit: string): string {
  const verifier = verifierTemplate(edit);
  return `# yaml-language-server: $schema=${SCHEMA_FILE}
# evoloop.yaml — what to improve, how to measure it, when to stop.
# Every key is validated; unknown keys are an error. The line above gives editors (VS Code with
# the YAML extension) completion and hover text; \`evoloop schema --out ${SCHEMA_FILE}\` rewrites that file.

# Files the proposer may change (a glob or a list of globs, relative to this folder). Inside them, an
# EVOLVE-BLOCK-START ... EVOLVE-BLOCK-END comment pair narrows changes to that region.
edit: [${JSON.stringify(edit)}]

# Files never changed (the verifier, its data). This config file is always protected.
protect: ["verifier/**"]

# Plain instructions for a language model (or an evoloop.md file beside this one).
# instructions: Make it faster without changing its output.
# Or read them from a file (protected: no candidate may change it), e.g. autoresearch's program.md:
# instructions_file: program.md

# Read-only files a prompt shows the model besides the editable ones. Default: every
# non-editable text file that is not protected, hidden or holdout. With a list, exactly
# the files its globs match; a protected file (the verifier) is shown only when listed.
# Files a holdout stage uses are never shown: listing one is an error.
# context:
#   show: ["${verifier.file}"]

# How a candidate is measured: an ordered cascade of stages (commands or, in the library, functions).
verifier:
  # Stages run in order in the candidate's worktree; cheap ones first.
  #   kind: gate    must exit 0 (tests); a failure stops the cascade
  #   kind: score   reports metrics: a JSON object in $EVOLOOP_METRICS, or a JSON line
  #                 of stdout, or METRIC name=value lines; optional "feedback"
  #   kind: holdout runs only on new champions; never shown to the proposer
  stages:
    - name: score        # measurements are recorded by stage name: each stage has its own
      kind: score
      run: ${verifier.command}   # (in the library, fn: an async function instead)
      timeout: 60s       # the whole process group is killed at the timeout
      repeat: 1          # minimum samples; noisy verifiers get more (see accept)
      # env: [MY_VAR]    # variables passed through (API keys never are)
      # Limits (the defaults shown; a stage that hits one fails with memory-limit,
      # process-limit or disk-limit, naming the key to raise):
      # memory_mb: 4096  # all its processes together (a cgroup, where the machine allows)
      #                  # and each one's allocations (RLIMIT_DATA)
      # max_procs: 1024  # processes and threads
      # disk_mb: 1024    # what it may add to its worktree and scratch folder
      # tmp_mb: 512      # the sandbox's private /tmp, which is RAM
      # max_output_kb: 64  # stdout/stderr kept (head and tail)
      # metrics: file    # where it reports: file ($EVOLOOP_METRICS only), json, lines. Default:
      #                  # the file if written, else the report printed last. The same metric
      #                  # reported twice with different values fails (ambiguous-metrics);
      #                  # \`file\` keeps echoed program output from ever counting.
      # Distributed evaluation (evoloop run --redis URL, evoloop worker --redis URL; a URL with
      # a password is better given as EVOLOOP_REDIS_URL, which the process list does not show):
      # requires: [gpu]  # only workers started with --labels gpu run this stage
      # exclusive: true  # at most one exclusive stage at a time per machine (timing benchmarks)
    # A judge stage: the judge model (judge.model below) grades what earlier stages produced
    # against a rubric; the grade (named after the stage) is a metric like any other, repeat
    # samples the judge's noise, and an output that addresses the judge fails as tampered.
    # - name: quality
    #   kind: judge
    #   input: {files: [out/*.txt]}   # or {stdout: <an earlier stage's name>}
    #   rubric: Is the summary faithful to the text, complete and short?
    #   scale: [1, 10]               # the default
    #   # references: verifier/reference.md   # trusted reference answers shown to the judge
    #   # report_as: quality       # the metric's name (default: the stage's), e.g. for a holdout
    #   #                          # judge (kind: holdout with a rubric) reporting the objective's metric
    #   # compare: champion        # pairwise instead: these outputs against the champion's, both
    #   #                          # orders asked; reports 1 better / 0.5 tie / 0 worse and
    #   #                          # <metric>_agreement (1 when both orders agree); no scale
    #   repeat: 3
    # A prompt to evolve: evoloop itself calls the model once per item with the prompt file
    # ({{text}} replaced by the item's text) and writes each reply to out/<id>.txt for the
    # stages after it. No stage gets a key. Metrics: items, input_tokens_per_item,
    # output_tokens_per_item, usd_per_item (e.g. objective expr "accuracy - 0.001 * input_tokens_per_item").
    # - name: run
    #   kind: score            # or holdout (then with the test split's items)
    #   model_run:
    #     model: {provider: openai, name: gpt-4.1-mini}   # same keys as model:
    #     prompt: prompt.md            # the candidate's file (in edit)
    #     items: verifier/dev.jsonl    # one {"id": ..., "text": ...} per line; other fields (labels) never sent
    #     out: out/dev                 # replies: out/dev/<id>.txt
    #     parallel: 4                  # calls in flight at once

# What "better" means: one metric, or an expression over metrics (expr), and its direction.
objective:
  metric: score          # or expr: "throughput / latency"
  goal: maximize         # or minimize

# When to stop, whichever comes first; each is the run's total, earlier sessions included.
budget:
  candidates: 100        # candidates to propose (the baseline is not counted)
  # time: 2h             # time spent running
  # usd: 5               # stop before spending more on model calls
  # target: 1.0          # stop when the objective reaches it
  # patience: 50         # stop after this many candidates without improvement

# Who becomes a parent, and how many candidates are evaluated at once.
search:
  strategy: greedy       # one champion; children of the champion. best-of-n: every child from the
  #                      # base (no evolution), the baseline a population run is compared against
  parallel: 1            # candidates evaluated at once (with --redis: about your workers' total --concurrency)
  # seed: 1              # two runs with the same seed make the same proposals (deterministic verifier)
  # The islands strategy (strategy: islands): islands evolve apart, each a MAP-Elites archive.
  # islands: 4           # how many
  # migration: {interval: 20, rate: 1}  # every 20 accepted children, each island's best 1 is
  #                      # copied to the next island (a \`migrate\` row, measured before it lands)
  # features:            # the archive's grid; bin edges fixed from range, outside → edge bins
  #   - {name: size, builtin: code_size, range: [500, 5000], bins: 8}   # or diff_size
  #   - {name: speed, metric: ms, range: [0, 100], bins: 5}             # a metric the verifier reports
  # elites: 5            # with no features: each island keeps its best 5
  # restart: {patience: 50}  # re-seed an island from the best one after 50 proposals without improving
  # selection: {exploit: 0.5, explore: 0.3, best: 0.2}  # how a parent is picked: tournament over
  #                      # elites, uniform over occupied cells, the island's best

# When a challenger replaces the champion.
accept:
  rule: pooled           # keep only significant improvements, judged on the run's pooled noise (most
                         # rejects take 1-2 samples; an accept at least 3);
                         # \`significant\` = Mann-Whitney on the two samples alone; \`better\` = naive median
  alpha: 0.05            # significance level of the one-sided test
  min_delta: 0           # the improvement must exceed this (objective units)
  baseline_repeats: 5    # baseline measurements that estimate the noise floor (two equal samples stop early)
  max_repeats: 10        # most repeats a challenger gets while the verdict is uncertain
  noise_model: auto      # rule pooled: auto = measure each baseline seed twice; if the same seed gives the
                         # same value, compare seed by seed (seed), else unpaired (machine); or set seed | machine

# Files a stage writes to $EVOLOOP_ARTIFACTS (pictures .png .svg .jpg, text .txt .log .md
# .json, anything else as a download) are kept per candidate, stage and repeat, identical
# ones once, and shown by the dashboard, the report, \`show\` and \`evoloop artifacts\`.
# artifacts:
#   stage_mb: 16         # kept of one stage run; a file past it is dropped with a note
#   run_mb: 1024         # kept of the whole run (each distinct file counted once)
#   prompt_kb: 4         # text artifacts of the parent shown to the model (0: none; never holdout ones)

sandbox: auto            # bubblewrap when installed; required | auto | off
# Stages see the system folders, the toolchains on PATH and their worktree, not your home.
# sandbox_expose: [/opt/cuda, ../node_modules]   # more host paths, read-only (relative: to this folder)

# A language model (the key is read from the environment, never passed to the verifier).
# With none, evoloop proposes offline (tune). A key in the environment alone is not used:
# \`model: auto\` (or \`--model auto\`) picks the provider whose OPENAI_API_KEY / ANTHROPIC_API_KEY is set.
# model:
#   provider: openai     # or anthropic; any OpenAI-compatible endpoint via base_url
#   name: gpt-4.1-mini   # the model's name at the provider
#   # base_url: http://127.0.0.1:11434/v1   # the server (OpenAI-compatible: up to /v1)
#   # api_key_env: OPENAI_API_KEY        # the variable holding the key (default per provider)
#   # temperature: 0.7   # default: the provider's
#   # max_tokens: 16384  # longest reply (the default); budget.usd assumes this much output per call
#   # timeout: 300s      # each attempt, streaming included (the default)
#   # max_retries: 4     # retries after a rate limit, 5xx, timeout or dropped connection (the default)
#   # max_outage: 10m    # a model that does not answer for this long stops the run (exit 1; it resumes);
#   #                    # meanwhile proposals pause, each wait at most 5m whatever Retry-After says
#   # price: {input_per_mtok: 0.4, output_per_mtok: 1.6, cached_input_per_mtok: 0.1}  # $ per million
#   #                    # tokens; overrides the built-in table (needed for budget.usd on unknown models)
# Or several instead of model:, each call picking one with probability proportional to weight:
# models:
#   - {provider: openai, name: gpt-5-mini, weight: 3}
#   - {provider: anthropic, name: claude-sonnet-4-5, weight: 1}
# The judge of kind: judge stages, configured apart from the proposer; it sees only the
# rubric, the references and the outputs. Its calls are recorded and count against budget.usd.
# judge:
#   model: {provider: openai, name: gpt-4.1-mini}   # same keys as model:

# Or an external coding agent, run in a worktree under the same sandbox as the stages (with
# the network, for its own model API): its change is admitted by the same rules as a model's.
# agent:
#   run: my-agent --prompt {prompt}   # {prompt}: the prompt file (also $EVOLOOP_PROMPT_FILE)
#   timeout: 15m         # the agent is killed after this long
#   stall: 5m            # killed after this long with no output and no file change
#   env: [MY_AGENT_KEY]  # the only variables it gets besides PATH, HOME, LANG, TERM, TMPDIR

# How proposals are made, by relative weight (0 turns one off). Default: llm-diff 0.7 and
# llm-rewrite 0.3 with a model; else agent with agent:; else an offline optimizer of the numeric
# literals chosen by the problem and said in the run-start line: bayes for up to 20 literals with
# a range and budget.candidates up to 150, else cmaes; tune when most literals have no range
# (\`evoloop literals\` lists the ones they move; bound one with a comment \`evoloop: 0.1..0.9\` on its line).
# tune: a (1+1)-ES moving one to three literals per candidate.
# cmaes: CMA-ES over the same literals, all at once (bounded ones; restarts with a larger population when stuck).
# bayes: Bayesian optimization (Gaussian process + expected improvement) for up to 20 literals and small budgets.
# operators: {llm-diff: 0.7, llm-rewrite: 0.3, agent: 0, tune: 0, cmaes: 0, bayes: 0}
# The weights are the prior of a bandit that learns which operator (and model, and prompt style)
# pays off in this run; \`evoloop status\` prints its arms. More operators:
#   llm-simplify: shorter, clearer code with the same behaviour; kept when smaller and not significantly worse
#   merge: three-way git-style merge of two parents (offline); llm-crossover: a model combines two parents
#   (both need two parents: search.strategy islands)

# Reject, before evaluation, proposals at least this similar to a candidate of their island
# (MinHash over the code's token shingles; 1 = identical after dropping comments and layout).
# novelty: {threshold: 0.95}

# Every N decided candidates, one model call condenses the lessons into a short scratchpad that
# later prompts show (recorded and priced like any call; skipped offline).
# lessons: {summarize_every: 20}
`;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('scaffold evoloop.yaml and a verifier template in a folder')
    .argument('[folder]', 'the problem folder', '.')
    .option('--edit <glob>', 'files the proposer may change', 'program.*')
    .option('--force', 'overwrite an existing evoloop.yaml')
    .action((folder: string, opts: { edit: string; force?: boolean }) => {
      const dir = path.resolve(folder);
      if (existsSync(dir) && !statSync(dir).isDirectory()) {
        throw new UsageError(`${folder} is a file; init takes the problem folder. Fix: evoloop init ${path.dirname(folder)}`);
      }
      const config = path.join(dir, 'evoloop.yaml');
      if (existsSync(config) && !opts.force) throw new UsageError(`${config} already exists. Fix: edit it, or pass --force to overwrite it.`);
      mkdirSync(path.join(dir, 'verifier'), { recursive: true });
      writeFileSync(config, configTemplate(opts.edit));
      writeSchemaFile(path.join(dir, SCHEMA_FILE));
      const template = verifierTemplate(opts.edit);
      const verifier = path.join(dir, template.file);
      const wroteVerifier = !existsSync(verifier);
      if (wroteVerifier) writeFileSync(verifier, template.text);
      const ignore = path.join(dir, '.gitignore');
      const ignored = existsSync(ignore) ? readFileSync(ignore, 'utf8') : '';
      if (!ignored.split('\n').includes('.evoloop/')) writeFileSync(ignore, `${ignored}${ignored && !ignored.endsWith('\n') ? '\n' : ''}.evoloop/\n`);
      process.stdout.write(
        `wrote ${shown(config)}${wroteVerifier ? `, ${shown(verifier)}` : ` (kept the existing ${shown(verifier)})`} and ${shown(ignore)}.\nNext: write the verifier, commit (evoloop needs a git commit as the base), then \`evoloop run ${folder}\`.\n`,
      );
    });
}

/** A written file as the user can open it from where they ran init. */
function shown(file: string): string {
  return path.relative(process.cwd(), file) || file;
}
