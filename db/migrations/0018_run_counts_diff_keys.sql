-- mxaudit history, version 18 (issue 17): the history commands and the
-- diff on databases of many large runs.
--
-- The number of domains stored for each run, kept by triggers as rows are
-- stored and deleted (a resumed domain is deleted and stored again), so
-- listing the runs reads one row per run instead of counting every
-- domain of every run.
ALTER TABLE runs ADD COLUMN stored_domains INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET stored_domains = (SELECT count(*) FROM domain_results dr WHERE dr.run_id = runs.id);
CREATE TRIGGER domain_results_stored_i AFTER INSERT ON domain_results
BEGIN UPDATE runs SET stored_domains = stored_domains + 1 WHERE id = NEW.run_id; END;
CREATE TRIGGER domain_results_stored_d AFTER DELETE ON domain_results
BEGIN UPDATE runs SET stored_domains = stored_domains - 1 WHERE id = OLD.run_id; END;

-- diff_key: a digest of every fact of a domain's result that a diff
-- compares (grade, forced TLS, MX hosts, addresses, finding keys, SPF and
-- DMARC states, profile statuses, MTA-STS mode and id), written with the
-- row; two results with the same key differ in nothing a diff reports, so
-- a diff decodes the evidence only of the domains whose key changed. ''
-- for rows stored before this migration: those are decoded and compared.
-- cert_days: the fewest days to expiry of the domain's unexpired
-- certificates (NULL when it has none, or for rows stored before this
-- migration, whose key is ''): a diff decodes a domain for its expiring
-- certificates only when this is within its window.
ALTER TABLE domain_results ADD COLUMN diff_key TEXT NOT NULL DEFAULT '';
ALTER TABLE domain_results ADD COLUMN cert_days INTEGER;

-- The diff walks two runs side by side in domain order over these
-- columns alone, from this index, without reading the rows' evidence.
CREATE INDEX domain_results_run_diff ON domain_results (run_id, domain, grade, diff_key, cert_days);
