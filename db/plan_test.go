package db

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// bigTables are the tables that grow with the length of the vendor list
// times the number of runs: a hot query must never scan one.
var bigTables = regexp.MustCompile(`^SCAN (domain_results|findings|address_results|address_evidence|run_vendors|dr|f)\b`)

// TestHotQueriesUseIndexes holds the queries of the history commands
// (runs, history, diff) and of the phase after auditing to their query
// plans: each reads the tables that grow with the runs through an index
// (SEARCH), never by a scan, and the streaming ones read in index order
// without sorting the run. An index dropped or a query rewritten so that
// SQLite can no longer use it fails here, not on a customer's 12th
// 100,000-domain run.
func TestHotQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	tests := []struct {
		name  string
		query string
		args  []any
		// want are index names the plan must use.
		want []string
		// noSort: the rows must come in index order, without a temporary
		// b-tree holding the whole run.
		noSort bool
	}{
		{"runs", runsQuery, nil, nil, false},
		{"history", historyQuery, []any{"a.example"}, []string{"domain_results_domain", "findings_domain_result"}, true},
		{"last audited", lastAuditedQuery, []any{"a.example", "?", 2, 2, StatusCompleted, "list"}, []string{"domain_results_domain"}, true},
		{"domain result", domainResultQuery, []any{1, "a.example"}, nil, true},
		{"each domain, first batch", eachDomainFirst, []any{1, eachDomainBatch}, nil, true},
		{"each domain, next batch", eachDomainNext, []any{1, "a.example", eachDomainBatch}, nil, true},
		{"manifest", manifestDomainsQuery, []any{1}, nil, true},
		{"seal", sealDomainsQuery, []any{1}, []string{"COVERING INDEX", "INTEGER PRIMARY KEY"}, true},
		{"seal row", sealRowQuery, []any{1}, []string{"INTEGER PRIMARY KEY"}, true},
		{"run findings", runFindingsQuery, []any{1}, []string{"findings_domain_result"}, false},
		{"audited domains", auditedDomainsQuery, []any{1, "?"}, []string{"domain_results_run_grade"}, false},
		{"grade counts", gradeCountsQuery, []any{1}, []string{"domain_results_run_grade"}, true},
		{"address evidence", addressEvidenceQuery, []any{1, "00"}, nil, true},
		{"address refs", addressRefsQuery, []any{1}, nil, false},
		{"domains stored whole", wholeEvidenceQuery, []any{1}, nil, false},
		{"diff keys, first batch", diffKeysFirst, []any{1, diffKeysBatch}, []string{"COVERING INDEX domain_results_run_diff"}, true},
		{"diff keys, next batch", diffKeysNext, []any{1, "a.example", diffKeysBatch}, []string{"COVERING INDEX domain_results_run_diff"}, true},
		{"diff row", diffRowQuery, []any{1}, []string{"INTEGER PRIMARY KEY"}, true},
		{"diff vendors", diffVendorsQuery, []any{"a.example", 1}, []string{"run_vendors_domain"}, false},
		{"diff has vendors", diffHasVendors, []any{1}, []string{"sqlite_autoindex_run_vendors_1"}, true},
		{"diff list of vendors", strings.NewReplacer("{A}", listOfVendors, "{B}", listOfVendors).Replace(diffListMinus), []any{1, 2},
			[]string{"sqlite_autoindex_run_vendors_1"}, false},
		{"diff list of stored", strings.NewReplacer("{A}", listOfStored, "{B}", listOfStored).Replace(diffListMinus), []any{1, 2},
			nil, false},
	}
	// The trend of summary.trend, over two runs.
	var trendArgs []any
	nRanks := 0
	for _, g := range grade.AllGrades() {
		if g.Conclusive() {
			trendArgs = append(trendArgs, string(g), g.Rank())
			nRanks++
		}
	}
	trendArgs = append(trendArgs, 1, 2, 1, 2, "N/A", "N/A", "eligible", "N/A", "?", 2)
	tests = append(tests, struct {
		name   string
		query  string
		args   []any
		want   []string
		noSort bool
	}{"trend", trendQuery(nRanks, 2), trendArgs, []string{"sqlite_autoindex_run_vendors_1", "sqlite_autoindex_domain_results_1"}, false})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := d.sql.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tc.query, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			all := strings.Join(plan, "\n")
			for _, line := range plan {
				if bigTables.MatchString(line) {
					t.Errorf("plan scans a table that grows with the runs: %q\nplan:\n%s", line, all)
				}
				if tc.noSort && strings.Contains(line, "TEMP B-TREE") {
					t.Errorf("plan sorts the rows instead of reading them in index order: %q\nplan:\n%s", line, all)
				}
			}
			for _, idx := range tc.want {
				if !strings.Contains(all, idx) {
					t.Errorf("plan does not use index %s:\n%s", idx, all)
				}
			}
		})
	}
}
