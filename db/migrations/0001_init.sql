-- mxaudit history, version 1.
-- Observations (evidence) and verdicts (grades, findings) are stored apart,
-- so a run can be re-graded under another policy without the network.

CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    list_name      TEXT    NOT NULL,             -- identity of the vendor list: runs of one list are diffed
    input_path     TEXT    NOT NULL DEFAULT '',
    input_sha256   TEXT    NOT NULL DEFAULT '',
    policy         TEXT    NOT NULL,
    policy_version TEXT    NOT NULL,
    tool_version   TEXT    NOT NULL,
    started_at     TEXT    NOT NULL,             -- RFC 3339, UTC
    finished_at    TEXT,
    status         TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
    total_domains  INTEGER NOT NULL DEFAULT 0,
    config_json    TEXT    NOT NULL DEFAULT '{}',
    regraded_from  INTEGER REFERENCES runs (id)  -- set for runs made by `regrade`
);
CREATE INDEX runs_list ON runs (list_name, status, id);

-- The vendor list as read for the run: one row per (vendor, domain).
CREATE TABLE run_vendors (
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    vendor    TEXT    NOT NULL,
    domain    TEXT    NOT NULL,
    input     TEXT    NOT NULL DEFAULT '',        -- the value as written (IDN, e-mail)
    owner     TEXT    NOT NULL DEFAULT '',
    tier      TEXT    NOT NULL DEFAULT '',
    tags      TEXT    NOT NULL DEFAULT '',        -- comma-separated
    notes     TEXT    NOT NULL DEFAULT '',
    sheet     TEXT    NOT NULL DEFAULT '',
    row_num   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, vendor, domain)
);
CREATE INDEX run_vendors_domain ON run_vendors (domain);

CREATE TABLE input_problems (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    sheet   TEXT    NOT NULL DEFAULT '',
    row_num INTEGER NOT NULL,
    col     TEXT    NOT NULL DEFAULT '',
    value   TEXT    NOT NULL DEFAULT '',
    message TEXT    NOT NULL
);

-- One row per audited domain per run, committed in its own transaction.
CREATE TABLE domain_results (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    domain        TEXT    NOT NULL,
    grade         TEXT    NOT NULL,
    incomplete    INTEGER NOT NULL DEFAULT 0,
    forced_tls    TEXT    NOT NULL,
    mx_kind       TEXT    NOT NULL,
    audited_at    TEXT    NOT NULL,
    evidence_json TEXT    NOT NULL,               -- evidence.Domain, whole
    grade_json    TEXT    NOT NULL,               -- grade.DomainGrade under the run's policy
    UNIQUE (run_id, domain)
);
CREATE INDEX domain_results_domain ON domain_results (domain, run_id);

-- Per MX address, for queries and the workbook without decoding JSON.
CREATE TABLE address_results (
    domain_result_id INTEGER NOT NULL REFERENCES domain_results (id) ON DELETE CASCADE,
    host             TEXT    NOT NULL,
    preference       INTEGER NOT NULL,
    ip               TEXT    NOT NULL,
    grade            TEXT    NOT NULL,
    probe_status     TEXT    NOT NULL,
    versions         TEXT    NOT NULL DEFAULT '', -- accepted versions, comma-separated
    cert_not_after   TEXT,
    PRIMARY KEY (domain_result_id, host, ip)
);

CREATE TABLE findings (
    domain_result_id INTEGER NOT NULL REFERENCES domain_results (id) ON DELETE CASCADE,
    code             TEXT    NOT NULL,
    severity         TEXT    NOT NULL,
    host             TEXT    NOT NULL DEFAULT '',
    ip               TEXT    NOT NULL DEFAULT '',
    reason           TEXT    NOT NULL DEFAULT '',
    args_json        TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX findings_code ON findings (code);

-- The changes of a completed run against the previous completed run of its list.
CREATE TABLE run_diffs (
    run_id      INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    base_run_id INTEGER REFERENCES runs (id),
    diff_json   TEXT    NOT NULL
);
