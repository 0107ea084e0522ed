-- mxaudit history, version 12 (issue 12).
-- What an auditor needs to check a filed report against the evidence:
-- the vendor list's contact column, the scan settings a run used, the run
-- manifest (a digest of each domain's stored evidence and one root digest
-- over all, see the README, "Verifying a report"), and the SHA-256 of
-- every report file written from the run.

ALTER TABLE run_vendors ADD COLUMN contact TEXT NOT NULL DEFAULT '';

-- The scan settings as the run started (resolvers, EHLO name, ports,
-- timeouts, per-host limit, tool and policy version, scanning host), JSON;
-- '' for runs stored before this migration.
ALTER TABLE runs ADD COLUMN settings_json TEXT NOT NULL DEFAULT '';

-- The manifest of a run, made when the run finishes (or, for runs stored
-- before this migration, when its first report is written).
CREATE TABLE run_manifests (
    run_id        INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    root_digest   TEXT    NOT NULL,             -- hex SHA-256, see the README
    manifest_json TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
);

-- Every report file (PDF, workbook, JSON, letter, manifest, signature)
-- written from a run, with the SHA-256 of its bytes.
CREATE TABLE report_files (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    root_digest TEXT    NOT NULL DEFAULT '',    -- the manifest the file was made from
    written_at  TEXT    NOT NULL
);
CREATE INDEX report_files_sha256 ON report_files (sha256);
