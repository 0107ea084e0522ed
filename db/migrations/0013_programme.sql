-- mxaudit history, version 13: the vendor-risk programme's own records.
-- Numbered after its issue so that it never collides with the schema
-- changes of other work; migrations are applied by number, each once.
--
-- The records are append-only: nothing is updated or deleted in place. A
-- revocation is a new row beside the exception it ends; an expiry is the
-- exception's own date. Triggers refuse UPDATE and DELETE, so a mistaken
-- tool or hand-written statement cannot rewrite the record an examiner reads.

CREATE TABLE exceptions (
    id          INTEGER PRIMARY KEY,
    domain      TEXT    NOT NULL,
    vendor      TEXT    NOT NULL DEFAULT '',
    code        TEXT    NOT NULL DEFAULT '',    -- '' for every finding in scope
    host        TEXT    NOT NULL DEFAULT '',
    ip          TEXT    NOT NULL DEFAULT '',
    approver    TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    ticket      TEXT    NOT NULL DEFAULT '',
    expires     TEXT    NOT NULL,               -- YYYY-MM-DD: first day it no longer applies
    created_at  TEXT    NOT NULL                -- RFC 3339, UTC
);

CREATE TABLE exception_revocations (
    exception_id INTEGER NOT NULL UNIQUE REFERENCES exceptions (id),
    revoked_at   TEXT    NOT NULL,              -- RFC 3339, UTC
    revoked_by   TEXT    NOT NULL,
    reason       TEXT    NOT NULL
);

-- A vendor letter marked as sent: the remediation deadline counts from it.
CREATE TABLE letters_sent (
    ref          TEXT    NOT NULL UNIQUE,
    run_id       INTEGER NOT NULL,              -- no foreign key: the record outlives a pruned run
    domains      TEXT    NOT NULL,              -- the letter's domains, comma-separated
    sent_on      TEXT    NOT NULL,              -- YYYY-MM-DD
    recorded_at  TEXT    NOT NULL               -- RFC 3339, UTC
);

CREATE TRIGGER exceptions_append_only_u BEFORE UPDATE ON exceptions
BEGIN SELECT RAISE(ABORT, 'exceptions are append-only: record a revocation instead'); END;
CREATE TRIGGER exceptions_append_only_d BEFORE DELETE ON exceptions
BEGIN SELECT RAISE(ABORT, 'exceptions are append-only: record a revocation instead'); END;
CREATE TRIGGER revocations_append_only_u BEFORE UPDATE ON exception_revocations
BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;
CREATE TRIGGER revocations_append_only_d BEFORE DELETE ON exception_revocations
BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;
CREATE TRIGGER letters_append_only_u BEFORE UPDATE ON letters_sent
BEGIN SELECT RAISE(ABORT, 'letters sent are append-only'); END;
CREATE TRIGGER letters_append_only_d BEFORE DELETE ON letters_sent
BEGIN SELECT RAISE(ABORT, 'letters sent are append-only'); END;
