-- mxaudit history, version 19 (issue 17): sealing a run without reading
-- its evidence again.
--
-- The manifest digest of each stored domain (mxaudit-domain-v1, see
-- db.Manifest), computed from the very bytes written with its row. Sealing
-- a run reads these, one short row per domain, instead of reading and
-- hashing every domain's evidence (2.7 GB read at 100,000 domains);
-- mxaudit verify still recomputes every digest from the stored bytes.
-- A table of its own, not a column: adding it reads none of the existing
-- rows. Rows stored before this migration have none, and are digested
-- from their bytes when sealed.
CREATE TABLE domain_digests (
	domain_result_id INTEGER PRIMARY KEY REFERENCES domain_results(id) ON DELETE CASCADE,
	digest TEXT NOT NULL
);
