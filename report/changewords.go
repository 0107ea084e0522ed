package report

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/templates"
)

// VendorChange is one vendor's change since the base run in one plain
// sentence: the vendor, its grade move and the main causes, in the words
// of templates/findings.json, never a finding code ("Fabrikam Labs
// dropped from A- to F: SSLv3 turned on").
type VendorChange struct {
	Vendor  string   `json:"vendor"`
	Domains []string `json:"domains"`
	// From and To are the vendor's grade in the base run and in this run
	// (a vendor is its worst domain); From is "" for a vendor new to the list.
	From string `json:"from"`
	To   string `json:"to"`
	// Move is "down", "up", "same", "changed" (to or from a non-grade),
	// "new" or "carried" (not audited in this run; To is the grade carried).
	Move string `json:"move"`
	// Causes are the findings that appeared (or, for an improvement,
	// cleared) in plain words, the one that weighs most on the grade
	// first: those that force an F, then by points, then by severity.
	Causes []string `json:"causes"`
	// Text is the sentence every format prints.
	Text string `json:"text"`
	// Bad is set for a change for the worse.
	Bad bool `json:"bad,omitempty"`
}

// Moves of a VendorChange.
const (
	MoveDown    = "down"
	MoveUp      = "up"
	MoveSame    = "same"
	MoveChanged = "changed"
	MoveNew     = "new"
	MoveCarried = "carried"
)

// maxCauses is how many causes a sentence names; the rest are counted.
const maxCauses = 3

// defaultTexts is the embedded wording, parsed once, for callers that
// give none.
var defaultTexts = sync.OnceValues(templates.Default)

func textsOr(t *templates.Set) *templates.Set {
	if t != nil {
		return t
	}
	if d, err := defaultTexts(); err == nil {
		return d
	}
	return nil
}

// findingWords says a finding change in plain words: the code's
// "appeared"/"cleared" wording, else a neutral phrase; never the code.
func findingWords(texts *templates.Set, code string, appeared bool) string {
	if t := textsOr(texts); t != nil {
		if s := t.Change(code, appeared); s != "" {
			return s
		}
	}
	if appeared {
		return "a new finding"
	}
	return "a finding cleared"
}

// cause is one finding that appeared or cleared, with its weight.
type cause struct {
	code, words, domain string
	forceF              bool
	points, severity    int
}

// causeLess orders causes by their weight on the grade: an F first, then
// points, then severity, then words for a stable order.
func causeLess(a, b cause) bool {
	switch {
	case a.forceF != b.forceF:
		return a.forceF
	case a.points != b.points:
		return a.points > b.points
	case a.severity != b.severity:
		return a.severity > b.severity
	}
	return a.words < b.words
}

// domainCauses are the findings that appeared and cleared on one domain.
type domainCauses struct {
	appeared, cleared []cause
	// carried is the grade and run carried for a domain not audited now.
	carried      string
	carriedRun   int64
	added        bool
	forcedChange bool
}

// changeInputs is what the change sentences are made from: the diff, the
// vendor list, each domain's grade in the base run and in this one.
type changeInputs struct {
	diff      *db.Diff
	vendors   []db.VendorRow
	base, cur map[string]string
	policy    grade.Policy
	texts     *templates.Set
}

// vendorChanges words the changes of a diff per vendor, and per domain
// for the vendor table ("dropped from A- to F: SSLv3 turned on").
func vendorChanges(in changeInputs) ([]VendorChange, map[string]string) {
	byDomain := map[string]*domainCauses{}
	get := func(d string) *domainCauses {
		dc := byDomain[d]
		if dc == nil {
			dc = &domainCauses{}
			byDomain[d] = dc
		}
		return dc
	}
	seen := map[string]bool{}
	for _, ch := range in.diff.Changes {
		switch ch.Kind {
		case db.ChangeFindingAppeared, db.ChangeFindingResolved:
			appeared := ch.Kind == db.ChangeFindingAppeared
			key := fmt.Sprint(ch.Domain, "\x00", ch.Code, "\x00", appeared)
			if seen[key] {
				continue // the same finding at several addresses is one cause
			}
			seen[key] = true
			rule := in.policy.Rule(ch.Code)
			c := cause{code: ch.Code, words: findingWords(in.texts, ch.Code, appeared), domain: ch.Domain,
				forceF: rule.ForceF, points: rule.Deduction, severity: int(rule.Severity)}
			var sev grade.Severity
			if sev.UnmarshalText([]byte(ch.Severity)) == nil {
				c.severity = int(sev)
			}
			dc := get(ch.Domain)
			if appeared {
				dc.appeared = append(dc.appeared, c)
			} else {
				dc.cleared = append(dc.cleared, c)
			}
		case db.ChangeCarried:
			dc := get(ch.Domain)
			dc.carried, dc.carriedRun = ch.From, ch.Since
		case db.ChangeDomainAdded:
			get(ch.Domain).added = true
		case db.ChangeForcedLost, db.ChangeForcedGained:
			get(ch.Domain).forcedChange = true
		}
	}
	for _, dc := range byDomain {
		sort.SliceStable(dc.appeared, func(i, j int) bool { return causeLess(dc.appeared[i], dc.appeared[j]) })
		sort.SliceStable(dc.cleared, func(i, j int) bool { return causeLess(dc.cleared[i], dc.cleared[j]) })
	}

	rows := in.vendors
	if len(rows) == 0 {
		for d := range in.cur {
			rows = append(rows, db.VendorRow{Vendor: d, Domain: d})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].Domain < rows[j].Domain })
	}
	type vendor struct {
		name    string
		domains []string
	}
	var order []*vendor
	byName := map[string]*vendor{}
	for _, r := range rows {
		v := byName[r.Vendor]
		if v == nil {
			v = &vendor{name: r.Vendor}
			byName[r.Vendor] = v
			order = append(order, v)
		}
		v.domains = appendUnique(v.domains, r.Domain)
	}

	rowText := map[string]string{}
	for d := range byDomain {
		if vc, ok := changeOf(in, "", []string{d}, byDomain); ok {
			rowText[d] = vc.Text
		}
	}
	for d, g := range in.cur {
		if b, ok := in.base[d]; ok && b != g && rowText[d] == "" {
			if vc, ok := changeOf(in, "", []string{d}, byDomain); ok {
				rowText[d] = vc.Text
			}
		}
	}
	var out []VendorChange
	for _, v := range order {
		if vc, ok := changeOf(in, v.name, v.domains, byDomain); ok {
			out = append(out, vc)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Bad != out[j].Bad {
			return out[i].Bad
		}
		return moveOrder(out[i].Move) < moveOrder(out[j].Move)
	})
	return out, rowText
}

func moveOrder(m string) int {
	switch m {
	case MoveDown:
		return 0
	case MoveCarried:
		return 1
	case MoveChanged:
		return 2
	case MoveSame:
		return 3
	case MoveUp:
		return 4
	}
	return 5
}

// changeOf words the change of one vendor (name) over its domains; with
// an empty name, of one domain for its vendor-table row. ok is false when
// nothing worth a sentence changed: the grade stayed and only
// informational findings came or went.
func changeOf(in changeInputs, name string, domains []string, byDomain map[string]*domainCauses) (VendorChange, bool) {
	vc := VendorChange{Vendor: name, Domains: domains, Causes: []string{}}
	var base, cur []grade.Grade
	var appeared, cleared []cause
	carried, carriedRun, inBase, added, forced := "", int64(0), false, false, false
	for _, d := range domains {
		if g, ok := in.base[d]; ok {
			base = append(base, grade.Grade(g))
			inBase = true
		}
		if g, ok := in.cur[d]; ok {
			cur = append(cur, grade.Grade(g))
		}
		if dc := byDomain[d]; dc != nil {
			appeared = append(appeared, dc.appeared...)
			cleared = append(cleared, dc.cleared...)
			if dc.carried != "" && (carried == "" || grade.Grade(dc.carried).Rank() < grade.Grade(carried).Rank()) {
				carried, carriedRun = dc.carried, dc.carriedRun
			}
			added = added || dc.added
			forced = forced || dc.forcedChange
		}
	}
	sort.SliceStable(appeared, func(i, j int) bool { return causeLess(appeared[i], appeared[j]) })
	sort.SliceStable(cleared, func(i, j int) bool { return causeLess(cleared[i], cleared[j]) })
	to := grade.GradeInconclusive
	if len(cur) > 0 {
		to = grade.Worst(cur...)
	}
	vc.To = string(to)
	if inBase {
		vc.From = string(grade.Worst(base...))
	}
	from := grade.Grade(vc.From)
	multi := len(domains) > 1
	var causes []cause
	switch {
	case in.diff == nil || !in.diff.HasBase:
		return vc, false
	case !inBase || (added && vc.From == ""):
		vc.Move = MoveNew
	case !to.Conclusive() && to != grade.GradeNA && carried != "":
		vc.Move, vc.To, vc.Bad = MoveCarried, carried, true
	case from.Conclusive() && to.Conclusive() && to.Rank() < from.Rank():
		vc.Move, vc.Bad, causes = MoveDown, true, appeared
	case from.Conclusive() && to.Conclusive() && to.Rank() > from.Rank():
		vc.Move, causes = MoveUp, cleared
	case from == to:
		vc.Move = MoveSame
		causes = append(append(causes, appeared...), cleared...)
		notable := forced
		for _, c := range causes {
			notable = notable || c.severity > int(grade.Info) || c.forceF || c.points > 0
		}
		if !notable {
			return vc, false
		}
		for _, c := range appeared {
			vc.Bad = vc.Bad || c.severity > int(grade.Info) || c.forceF || c.points > 0
		}
	default:
		vc.Move, causes = MoveChanged, append(append(causes, appeared...), cleared...)
		vc.Bad = !to.Conclusive() && to != grade.GradeNA
	}
	for _, c := range causes {
		w := c.words
		if multi {
			w += " (" + c.domain + ")"
		}
		vc.Causes = appendUnique(vc.Causes, w)
	}
	vc.Text = sentence(vc, carriedRun)
	return vc, true
}

// sentence words a change: "Fabrikam Labs dropped from A- to F: SSLv3
// turned on"; without a vendor name, the vendor table's "Dropped from A-
// to F: SSLv3 turned on".
func sentence(vc VendorChange, carriedRun int64) string {
	var s string
	switch vc.Move {
	case MoveNew:
		s = "is new to the list, graded " + vc.To
	case MoveCarried:
		s = fmt.Sprintf("could not be audited in this run; grade %s carried from run %d", vc.To, carriedRun)
	case MoveDown:
		s = fmt.Sprintf("dropped from %s to %s", vc.From, vc.To)
	case MoveUp:
		s = fmt.Sprintf("improved from %s to %s", vc.From, vc.To)
	case MoveSame:
		s = "stayed at " + vc.To
	default:
		s = fmt.Sprintf("went from %s to %s", gradeWords(vc.From), gradeWords(vc.To))
	}
	if n := len(vc.Causes); n > 0 {
		shown := vc.Causes[:min(n, maxCauses)]
		list := strings.Join(shown, ", ")
		if n > maxCauses {
			list += fmt.Sprintf(" and %d more", n-maxCauses)
		} else if n > 1 {
			list = strings.Join(shown[:n-1], ", ") + " and " + shown[n-1]
		}
		s += ": " + list
	}
	if vc.Vendor == "" {
		return upperFirst(s)
	}
	return vc.Vendor + " " + s
}

// gradeWords names the non-grades in a sentence.
func gradeWords(g string) string {
	switch grade.Grade(g) {
	case grade.GradeInconclusive:
		return "not audited"
	case grade.GradeNA:
		return "no mail (N/A)"
	}
	return g
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// VendorChangesOf words the changes of a stored diff per vendor, as the
// report does (Report.VendorChanges), for outputs made from the diff
// alone: the terminal after `run`, `diff` and `regrade`. texts nil is the
// embedded wording.
func VendorChangesOf(ctx context.Context, store *db.DB, diff *db.Diff, texts *templates.Set) ([]VendorChange, error) {
	if diff == nil || !diff.HasBase {
		return nil, nil
	}
	vendors, err := store.Vendors(ctx, diff.Run)
	if err != nil {
		return nil, err
	}
	base, err := store.Grades(ctx, diff.Base)
	if err != nil {
		return nil, err
	}
	cur, err := store.Grades(ctx, diff.Run)
	if err != nil {
		return nil, err
	}
	policy := grade.Default()
	if run, err := store.GetRun(ctx, diff.Run); err == nil {
		if p, ok := grade.PolicyByNameVersion(run.Policy, run.PolicyVersion); ok {
			policy = p
		}
	}
	out, _ := vendorChanges(changeInputs{diff: diff, vendors: vendors, base: base, cur: cur, policy: policy, texts: texts})
	return out, nil
}
