-- mxaudit history, version 17 (issue 17): indexes for the phase after
-- auditing and the history commands on databases of many large runs.
--
-- Findings are read by their domain result: a domain's history counts
-- them, the programme reads every finding of a run through its domain
-- results, and deleting a domain result (a resumed or re-graded domain)
-- cascades to them. Without this index each of those is a scan of every
-- finding of every run.
CREATE INDEX IF NOT EXISTS findings_domain_result ON findings (domain_result_id, code);

-- A run's domains by grade: the count of audited (not inconclusive)
-- domains, the grade counts, and the row count the run list shows, from
-- an index narrower than the (run_id, domain) one.
CREATE INDEX IF NOT EXISTS domain_results_run_grade ON domain_results (run_id, grade);

-- Input problems and report files are read per run.
CREATE INDEX IF NOT EXISTS input_problems_run ON input_problems (run_id, row_num);
CREATE INDEX IF NOT EXISTS report_files_run ON report_files (run_id);
