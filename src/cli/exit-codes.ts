// What `evoloop run`'s exit code means, for scripts; shown by `evoloop --help` and `evoloop run --help`.
export const EXIT_CODES = `Exit codes:
  0    the run stopped as configured (budget, target, patience, or a stop from the dashboard)
  1    the run could not go on: a model refused the key or stayed down past model.max_outage,
       the baseline failed, the run got stuck, or the store is damaged
  2    bad usage or config (nothing was changed)
  130  interrupted by Ctrl-C (SIGINT);  143  by SIGTERM (the run resumes with \`evoloop run\`)`;
