-- mxaudit history, version 2.
-- The evidence of one address seen under one MX name is the same for every
-- domain of a run that uses it: a mail provider serves thousands of listed
-- domains from a few hundred addresses, probed once per run. It is stored
-- once per run, content-addressed, and domains refer to it. A 10,000-domain
-- run stored every provider probe ~100 times over before (815 MB).

CREATE TABLE address_evidence (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    sha256  TEXT    NOT NULL,                   -- hex SHA-256 of json
    json    TEXT    NOT NULL,                   -- evidence.Address, whole
    PRIMARY KEY (run_id, sha256)
);

-- '' for rows whose evidence_json holds every address whole (stored before
-- version 2); otherwise a JSON array, per host of evidence_json, of the
-- sha256 of each of its addresses, whose entries in evidence_json then hold
-- only the IP.
ALTER TABLE domain_results ADD COLUMN address_refs TEXT NOT NULL DEFAULT '';
