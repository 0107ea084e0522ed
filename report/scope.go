package report

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
)

// vendorState is what the summary's scope needs of one vendor.
type vendorState struct {
	name    string
	domains []string
	worst   grade.Grade
	audited bool
	reasons []string
	forced  bool
	tier    string
	tags    []string
}

// atRisk says whether a vendor heads the risk list: graded D or F, or not
// audited at all.
func (v *vendorState) atRisk() bool {
	return !v.audited || v.worst == grade.GradeD || v.worst == grade.GradeF
}

// scope fills the summary's vendor counts, the vendors not audited and
// why, and the breakdowns by tier and tag.
func (b *builder) scope(ctx context.Context, vendors []db.VendorRow) error {
	s := &b.r.Summary
	byName := map[string]*vendorState{}
	var order []*vendorState
	for _, v := range b.rows(vendors) {
		st, ok := byName[v.Vendor]
		if !ok {
			st = &vendorState{name: v.Vendor, audited: true, forced: true, tier: v.Tier, tags: v.Tags}
			byName[v.Vendor] = st
			order = append(order, st)
		}
		st.domains = append(st.domains, v.Domain)
		f, ok, err := b.fact(ctx, v.Domain)
		if err != nil {
			return err
		}
		switch {
		case !ok:
			st.audited, st.forced = false, false
			st.reasons = append(st.reasons, v.Domain+": not audited in this run")
			continue
		case !f.grade.Conclusive() && f.grade != grade.GradeNA:
			st.audited = false
			why := f.why
			if why == "" {
				why = "nothing conclusive could be observed"
			}
			st.reasons = append(st.reasons, v.Domain+": "+why)
		}
		if f.forced != grade.ForcedTLSEligible {
			st.forced = false
		}
		if f.grade.Conclusive() && (st.worst == "" || f.grade.Rank() < st.worst.Rank()) {
			st.worst = f.grade
		}
	}
	s.VendorsInList = len(order)
	s.NotAudited = []NotAudited{}
	tiers, tags := map[string]*Breakdown{}, map[string]*Breakdown{}
	count := func(m map[string]*Breakdown, key string, st *vendorState) {
		bd, ok := m[key]
		if !ok {
			bd = &Breakdown{Key: key}
			m[key] = bd
		}
		bd.Vendors++
		if st.atRisk() {
			bd.AtRisk++
		}
		g := st.worst
		if !st.audited || g == "" {
			g = grade.GradeInconclusive
		}
		for i := range bd.Grades {
			if bd.Grades[i].Grade == string(g) {
				bd.Grades[i].Count++
				return
			}
		}
		bd.Grades = append(bd.Grades, GradeCount{Grade: string(g), Count: 1})
	}
	for _, st := range order {
		if st.audited {
			s.VendorsAudited++
		} else {
			s.NotAudited = append(s.NotAudited, NotAudited{Vendor: st.name, Domains: st.domains, Reason: strings.Join(st.reasons, "; ")})
		}
		if st.atRisk() {
			s.VendorsAtRisk++
		}
		if st.audited && st.forced && (st.worst == grade.GradeD || st.worst == grade.GradeF) {
			s.ForcedEligibleAtRisk++
		}
		count(tiers, st.tier, st)
		for _, t := range st.tags {
			count(tags, t, st)
		}
	}
	s.ByTier, s.ByTag = sortedBreakdown(tiers, true), sortedBreakdown(tags, false)
	s.Scope = fmt.Sprintf("%d of %d %s audited", s.VendorsAudited, s.VendorsInList, plural(s.VendorsInList, "vendor", "vendors"))
	s.Conclusion = b.conclusion()
	return nil
}

// conclusion words the summary's figures in three sentences: the risk,
// what Forced TLS allows, and the change since the last run.
func (b *builder) conclusion() []string {
	s := &b.r.Summary
	risk := fmt.Sprintf("%s; %d of the %d %s at risk (graded D or F, or not audited).",
		s.Scope, s.VendorsAtRisk, s.VendorsInList, plural(s.VendorsInList, "vendor is", "vendors are"))
	if s.VendorsAtRisk == 0 {
		risk = fmt.Sprintf("%s; none is graded D or F.", s.Scope)
	}
	forced := fmt.Sprintf("TLS can be required of %d %s without losing mail (Forced TLS)", s.ForcedEligible, plural(s.ForcedEligible, "vendor", "vendors"))
	if s.ForcedEligibleAtRisk > 0 {
		forced += fmt.Sprintf(", but %d of them %s D or F: what they accept is weak", s.ForcedEligibleAtRisk, plural(s.ForcedEligibleAtRisk, "grades", "grade"))
	}
	forced += "."
	change := "This is the first audit of this vendor list, so there is nothing to compare with."
	if b.r.Base != nil {
		change = fmt.Sprintf("Since run %d, %d %s got worse and %d improved.", b.r.Base.ID,
			s.Regressions, plural(s.Regressions, "domain", "domains"), s.Improvements)
	}
	return []string{risk, forced, change}
}

// sortedBreakdown orders tiers by number where numeric (then as text),
// tags by name; grades within each best first.
func sortedBreakdown(m map[string]*Breakdown, tiers bool) []Breakdown {
	out := make([]Breakdown, 0, len(m))
	for _, bd := range m {
		sort.SliceStable(bd.Grades, func(i, j int) bool { return gradeOrder(bd.Grades[i].Grade) < gradeOrder(bd.Grades[j].Grade) })
		out = append(out, *bd)
	}
	sort.Slice(out, func(i, j int) bool {
		if tiers {
			ni, nj := TierNumber(out[i].Key), TierNumber(out[j].Key)
			switch {
			case ni != nil && nj != nil && *ni != *nj:
				return *ni < *nj
			case (ni == nil) != (nj == nil):
				return ni != nil
			}
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// gradeOrder places grades best first, then "?" and "N/A".
func gradeOrder(g string) int {
	for i, x := range grade.AllGrades() {
		if string(x) == g {
			return i
		}
	}
	return len(grade.AllGrades())
}
