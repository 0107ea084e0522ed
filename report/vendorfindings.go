package report

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
)

// EachVendorFindings calls fn once per vendor of the vendor table, in its
// risk order (the order of each vendor's first row), with the vendor's
// findings: those on the domains of its rows that name it, each once,
// most severe first, then by domain (the model's order within a domain).
// A vendor without findings is called with none. fn may keep the slice.
//
// It is one ordered pass over the vendors and their findings, where
// asking EachVendor and EachFinding vendor by vendor would be two queries
// per vendor (the PDF's remediation section, at 10,000 vendors, spent
// four seconds on them). Only one vendor's findings are held at a time.
func (r *Report) EachVendorFindings(fn func(vendor string, findings []Finding) error) error {
	if sp, ok := r.rows.(*spool); ok {
		return stopped(sp.vendorFindings(fn))
	}
	if r.rows != nil {
		return fmt.Errorf("report: vendor findings of a %T row source", r.rows)
	}
	return stopped(r.memVendorFindings(fn))
}

// sortVendorFindings puts a vendor's findings, gathered domain by domain,
// most severe first, then by domain; stable, so the model's order stays
// within a domain.
func sortVendorFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.SeverityNum, a.SeverityNum), cmp.Compare(a.Domain, b.Domain))
	})
}

// vendorFindingsQuery yields, vendor after vendor in the order of each
// vendor's first row in the table's risk order, each of the vendor's
// domains once (in the order of its first row), with each finding on it
// in the model's order, or one row with a NULL body for a domain without.
const vendorFindingsQuery = `
WITH vr AS (SELECT vendor, domain, row_number() OVER (` + vendorRiskOrder + `) AS rn FROM vendors),
vf AS (SELECT vendor, min(rn) AS first FROM vr GROUP BY vendor),
vd AS (SELECT vendor, domain, min(rn) AS drn FROM vr GROUP BY vendor, domain)
SELECT vf.vendor, f.body FROM vf JOIN vd ON vd.vendor = vf.vendor LEFT JOIN findings f ON f.domain = vd.domain
ORDER BY vf.first, vd.drn, f.pos`

func (sp *spool) vendorFindings(fn func(string, []Finding) error) error {
	rows, err := sp.querier().QueryContext(context.Background(), vendorFindingsQuery)
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	defer rows.Close()
	var (
		vendor  string
		fs      []Finding
		started bool
	)
	flush := func() error {
		if !started {
			return nil
		}
		sortVendorFindings(fs)
		err := fn(vendor, fs)
		fs = nil
		return err
	}
	for rows.Next() {
		var v string
		var body sql.RawBytes
		if err := rows.Scan(&v, &body); err != nil {
			return fmt.Errorf("report spool: %w", err)
		}
		if !started || v != vendor {
			if err := flush(); err != nil {
				return err
			}
			vendor, started = v, true
		}
		if body == nil {
			continue
		}
		var f Finding
		if err := json.Unmarshal(body, &f); err != nil {
			return fmt.Errorf("report spool: %w", err)
		}
		if slices.Contains(f.Vendors, vendor) {
			fs = append(fs, f)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return flush()
}

// memVendorFindings is EachVendorFindings over the rows in memory: the
// findings are indexed by domain once, not scanned per vendor.
func (r *Report) memVendorFindings(fn func(string, []Finding) error) error {
	byDomain := map[string][]int{}
	for i := range r.Findings {
		d := r.Findings[i].Domain
		byDomain[d] = append(byDomain[d], i)
	}
	// Each vendor's domains, in the order of their first row.
	var order []string
	domains := map[string][]string{}
	for i := range r.Vendors {
		v := &r.Vendors[i]
		ds, seen := domains[v.Vendor]
		if !seen {
			order = append(order, v.Vendor)
		}
		if !slices.Contains(ds, v.Domain) {
			domains[v.Vendor] = append(ds, v.Domain)
		}
	}
	for _, vendor := range order {
		var fs []Finding
		for _, d := range domains[vendor] {
			for _, i := range byDomain[d] {
				if slices.Contains(r.Findings[i].Vendors, vendor) {
					fs = append(fs, r.Findings[i])
				}
			}
		}
		sortVendorFindings(fs)
		if err := fn(vendor, fs); err != nil {
			return err
		}
	}
	return nil
}
