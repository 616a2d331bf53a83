// Schema migrations, applied in order inside one transaction each; PRAGMA user_version
// records how many have run. Append new migrations; never edit a released one.
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    problem_dir TEXT NOT NULL,
    repo_root TEXT NOT NULL,
    base_commit TEXT NOT NULL,
    config_json TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    status TEXT NOT NULL,            -- running | interrupted | finished | failed
    stop_reason TEXT,
    baseline_id INTEGER,
    champion_id INTEGER,
    elapsed_ms INTEGER NOT NULL DEFAULT 0,  -- time spent running, summed over sessions (resume)
    owner_pid INTEGER,
    heartbeat_at INTEGER
  );

  CREATE TABLE blobs (
    hash TEXT PRIMARY KEY,
    content TEXT NOT NULL
  );

  CREATE TABLE candidates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs(id),
    parent_id INTEGER REFERENCES candidates(id),
    parent2_id INTEGER REFERENCES candidates(id),
    status TEXT NOT NULL,
    reason TEXT,
    operator TEXT NOT NULL,
    model TEXT,
    description TEXT NOT NULL DEFAULT '',
    files_json TEXT NOT NULL,        -- {path: blob hash} of every file that differs from the base
    patch TEXT NOT NULL DEFAULT '',  -- unified diff against the parent
    change_hash TEXT NOT NULL,
    commit_sha TEXT,
    ref TEXT,
    score REAL,
    metrics_json TEXT,
    verdict_json TEXT,
    flags_json TEXT NOT NULL DEFAULT '[]',
    island INTEGER,
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    usd REAL NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    eval_ms INTEGER
  );
  CREATE INDEX candidates_run ON candidates(run_id, id);
  CREATE INDEX candidates_run_status ON candidates(run_id, status);
  CREATE INDEX candidates_run_hash ON candidates(run_id, change_hash);
  CREATE INDEX candidates_parent ON candidates(parent_id);

  CREATE TABLE measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    candidate_id INTEGER NOT NULL REFERENCES candidates(id),
    epoch INTEGER NOT NULL DEFAULT 0,   -- 0 = the run; reverify sessions use new epochs
    stage TEXT NOT NULL,
    kind TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    failure_kind TEXT,
    failure_message TEXT,
    metrics_json TEXT NOT NULL,
    feedback TEXT,
    exit_code INTEGER,
    signal TEXT,
    duration_ms INTEGER NOT NULL,
    stdout_tail TEXT NOT NULL,
    stderr_tail TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (candidate_id, epoch, stage, repeat)
  );

  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    type TEXT NOT NULL,
    candidate_id INTEGER,
    data_json TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX events_run ON events(run_id, id);

  CREATE TABLE llm_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    candidate_id INTEGER,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    operator TEXT,
    prompt TEXT NOT NULL,
    response TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    usd REAL NOT NULL DEFAULT 0,
    latency_ms INTEGER,
    attempts INTEGER NOT NULL DEFAULT 1,
    error TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX llm_calls_run ON llm_calls(run_id, id);
  CREATE INDEX llm_calls_candidate ON llm_calls(candidate_id);
  `,
  // 2: the dashboard's stop button (a request the running engine polls) and indexes for
  // its candidate table (sort and filter 100,000 rows on the server).
  `
  ALTER TABLE runs ADD COLUMN stop_requested_at INTEGER;
  CREATE INDEX candidates_run_score ON candidates(run_id, score);
  CREATE INDEX candidates_run_operator ON candidates(run_id, operator);
  CREATE INDEX candidates_run_finished ON candidates(run_id, finished_at);
  `,
  // 3: covering indexes for the dashboard's two scans of a whole run (the progress chart
  // and the table's filter values), replacing narrower ones from 2.
  `
  DROP INDEX candidates_run_finished;
  DROP INDEX candidates_run_operator;
  CREATE INDEX candidates_run_progress ON candidates(run_id, finished_at, id, status, score);
  CREATE INDEX candidates_run_facets ON candidates(run_id, operator, model, island);
  `,
  // 4: one row per connection that has written, from its first write to its clean close (see
  // store/sessions.ts): a row left behind by a dead process, with the WAL gone, means lost writes.
  `
  CREATE TABLE store_sessions (
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    opened_at INTEGER NOT NULL
  );
  `,
  // 5: verdicts become a tagged union (store/verdict.ts) and lose their samples, which the
  // measurements table holds (the holdout block keeps its own, the record of its alarm).
  `
  UPDATE candidates SET verdict_json = json_remove(
    json_set(verdict_json, '$.kind', CASE WHEN json_extract(verdict_json, '$.decision') IS NULL THEN 'baseline' ELSE 'decided' END),
    '$.samples')
  WHERE verdict_json IS NOT NULL;
  `,
  // 6: files a stage wrote to $EVOLOOP_ARTIFACTS (store/artifacts.ts): one row per file per
  // candidate, epoch, stage and repeat; the content is a file under .evoloop/artifacts/objects
  // named by its sha256 (hash), so identical outputs are kept once. A dropped file (over a
  // cap, not a regular file) keeps its row with no hash and the note saying why.
  `
  CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    candidate_id INTEGER NOT NULL REFERENCES candidates(id),
    epoch INTEGER NOT NULL,
    stage TEXT NOT NULL,
    kind TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    hash TEXT,
    note TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (candidate_id, epoch, stage, repeat, name)
  );
  CREATE INDEX artifacts_run_hash ON artifacts(run_id, hash, size);
  CREATE INDEX artifacts_hash ON artifacts(hash);
  `,
  // 7: every parent of a candidate (a crossover has two or more; parent_id stays the first),
  // and the islands strategy's archives: which confirmed elite holds each cell of each island
  // (population/islands), plus small named counters a strategy keeps (migration rounds).
  `
  ALTER TABLE candidates ADD COLUMN parents_json TEXT NOT NULL DEFAULT '[]';
  UPDATE candidates SET parents_json = CASE
    WHEN parent_id IS NULL THEN '[]'
    WHEN parent2_id IS NULL THEN json_array(parent_id)
    ELSE json_array(parent_id, parent2_id) END;
  CREATE TABLE island_cells (
    run_id TEXT NOT NULL REFERENCES runs(id),
    island INTEGER NOT NULL,
    cell TEXT NOT NULL,
    candidate_id INTEGER NOT NULL REFERENCES candidates(id),
    PRIMARY KEY (run_id, island, cell)
  );
  CREATE TABLE search_state (
    run_id TEXT NOT NULL REFERENCES runs(id),
    key TEXT NOT NULL,
    value_json TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
  );
  `,
  // 8: distributed evaluation: the host that made each measurement, and what the coordinator
  // last saw of its workers and its queue (status and the dashboard read them from here).
  `
  ALTER TABLE measurements ADD COLUMN host TEXT;
  CREATE TABLE workers (
    run_id TEXT NOT NULL,
    id TEXT NOT NULL,
    host TEXT NOT NULL,
    labels_json TEXT NOT NULL DEFAULT '[]',
    jobs_done INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    busy INTEGER NOT NULL DEFAULT 0,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (run_id, id)
  );
  CREATE TABLE queue_depth (
    run_id TEXT PRIMARY KEY,
    waiting INTEGER NOT NULL,
    active INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  `,
  // 9: the prompt style a model proposal was asked in (the style bandit learns from it), and the
  // novelty filter's MinHash signature of every admitted candidate (propose/novelty.ts), so a
  // resumed run compares against all of them without re-reading their text.
  `
  ALTER TABLE candidates ADD COLUMN style TEXT;
  CREATE TABLE signatures (
    candidate_id INTEGER PRIMARY KEY REFERENCES candidates(id),
    run_id TEXT NOT NULL,
    island INTEGER,
    minhash BLOB NOT NULL
  );
  CREATE INDEX signatures_run ON signatures(run_id);
  `,
  // 10: the last verifier audits of the problem (evoloop audit): the digest of the verifier
  // audited, so status can say when a run's verifier was never audited or changed since.
  `
  CREATE TABLE audits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    base_commit TEXT NOT NULL,
    verifier_digest TEXT NOT NULL,
    probes TEXT NOT NULL,
    let_through INTEGER NOT NULL,
    report_json TEXT NOT NULL
  );
  `,
  // 11: the novelty filter reads each island's newest signatures only (propose/novelty.ts).
  `
  DROP INDEX signatures_run;
  CREATE INDEX signatures_island ON signatures(run_id, island, candidate_id);
  `,
  // 12: a prompt's "best so far" on an island (queries.bestKept) reads the island's kept rows
  // in score order, not every scored row of the run until three of them are the island's.
  `
  CREATE INDEX candidates_kept ON candidates(run_id, island, score) WHERE status IN ('baseline', 'accepted') AND score IS NOT NULL;
  `,
];
