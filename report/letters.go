package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// Letter is one vendor letter a report produces, to the people behind one
// mail domain: every vendor row of the list that uses the domain is
// named, so two rows on one domain get one letter. It asks for the
// findings to correct (above info and not accepted by an exception), or,
// when the domain's servers could not be audited, to allow the audit.
type Letter struct {
	// Ref is the letter's reference (LetterRef of the run and the domain),
	// printed in the letter and used by `mxaudit letter sent`.
	Ref string `json:"ref"`
	// Domain is the mail domain; Domains holds it alone (what
	// `mxaudit letter sent` records).
	Domain  string   `json:"domain"`
	Domains []string `json:"domains"`
	// Vendors are the vendor rows that use the domain, in the vendor
	// table's order; Vendor joins them for listings. Contacts are their
	// contacts from the vendor list, each once.
	Vendors  []string `json:"vendors"`
	Vendor   string   `json:"vendor"`
	Contacts []string `json:"contacts,omitempty"`
	// Grade, PreviousGrade and Change are the domain's, as in the vendor table.
	Grade         string `json:"grade"`
	PreviousGrade string `json:"previous_grade,omitempty"`
	Change        string `json:"change,omitempty"`
	// ChangeText is the domain's change since the previous audit in plain
	// words (VendorRow.ChangeText): what changed since the last letter.
	ChangeText string `json:"change_text,omitempty"`
	// NotAudited is set when the domain's servers could not be audited
	// in this run: the letter asks the vendor to allow the audit.
	NotAudited bool `json:"not_audited,omitempty"`
	// Reason is why the domain could not be audited (its Forced TLS
	// reason, or the first probe error), when NotAudited.
	Reason string `json:"reason,omitempty"`
	// Findings are the changes asked for, most severe first.
	Findings []Finding `json:"findings"`
	// Controls are the profile controls (BOD 18-01, NIST SP 800-177r1)
	// the domain fails, with the record to publish where one fixes it.
	Controls []LetterControl `json:"controls,omitempty"`
}

// LetterControl is one failing control of a profile, for a letter.
type LetterControl struct {
	Framework string `json:"framework"`
	Title     string `json:"title"`
	Reason    string `json:"reason"`
	Publish   string `json:"publish,omitempty"`
}

// letterRefPrefix starts every letter reference.
const letterRefPrefix = "MXA-"

// LetterRef is the reference of the letter of a run about a mail domain:
// "MXA-<run>-<6 hex digits of the SHA-256 of the domain in lower case>",
// stable across renderings of the run, the same for every vendor row on
// the domain, and short enough to quote on the phone.
func LetterRef(runID int64, domain string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))))
	return letterRefPrefix + strconv.FormatInt(runID, 10) + "-" + strings.ToUpper(hex.EncodeToString(sum[:3]))
}

// ParseLetterRef returns the run of a letter reference.
func ParseLetterRef(ref string) (int64, error) {
	t := strings.TrimSpace(ref)
	if len(t) < len(letterRefPrefix) || !strings.EqualFold(t[:len(letterRefPrefix)], letterRefPrefix) {
		return 0, fmt.Errorf("%q is not a letter reference (MXA-<run>-<code>)", ref)
	}
	run, code, ok := strings.Cut(t[len(letterRefPrefix):], "-")
	n, err := strconv.ParseInt(run, 10, 64)
	if !ok || err != nil || n < 1 || len(code) != 6 {
		return 0, fmt.Errorf("%q is not a letter reference (MXA-<run>-<code>)", ref)
	}
	if _, err := hex.DecodeString(code); err != nil {
		return 0, fmt.Errorf("%q is not a letter reference (MXA-<run>-<code>)", ref)
	}
	return n, nil
}

// notAudited are the grades of a domain whose servers could not be
// audited: inconclusive ("?") or never audited in the run.
func notAudited(g string) bool {
	return g == string(grade.GradeInconclusive) || g == GradeNotAudited
}

// GradeNotAudited is the grade of a vendor row whose domain the run did
// not audit.
const GradeNotAudited = "not audited"

// Letters lists the letters of a report (EachLetter), in the vendor
// table's risk order. It holds every letter, with its findings, in
// memory: a renderer of a large report walks EachLetter instead.
func Letters(r *Report) []Letter {
	var out []Letter
	_ = EachLetter(r, func(l *Letter) error {
		out = append(out, *l)
		return nil
	})
	return out
}

// EachLetter calls fn with each letter of a report, one per mail domain
// with findings to correct or whose servers could not be audited, in the
// vendor table's risk order (the order of each domain's first row).
// Findings accepted by an exception are not required changes and are
// left out. Each letter's rows are read by query (the domain's vendor
// rows, its open findings), so no more than one letter is in memory; fn
// may keep the letter.
func EachLetter(r *Report, fn func(*Letter) error) error {
	return r.EachVendor(VendorQuery{}, func(v *VendorRow) error {
		l := Letter{Ref: LetterRef(r.Run.ID, v.Domain), Domain: v.Domain, Domains: []string{v.Domain},
			Grade: v.Grade, PreviousGrade: v.PreviousGrade, Change: v.Change, ChangeText: v.ChangeText, NotAudited: notAudited(v.Grade)}
		// The letter is written at the domain's first row: the domain's
		// rows come in the table's order, so that row is the first of them.
		first := true
		err := r.EachVendor(VendorQuery{Domain: v.Domain}, func(o *VendorRow) error {
			if len(l.Vendors) == 0 && (o.Vendor != v.Vendor || o.Input != v.Input) {
				first = false
				return ErrStop
			}
			l.Vendors = appendUnique(l.Vendors, o.Vendor)
			if c := strings.TrimSpace(o.Contact); c != "" {
				l.Contacts = appendUnique(l.Contacts, c)
			}
			return nil
		})
		if err != nil || !first {
			return err
		}
		err = r.EachFinding(FindingQuery{Domain: v.Domain, Open: true}, func(f *Finding) error {
			l.Findings = append(l.Findings, *f)
			return nil
		})
		if err != nil {
			return err
		}
		if len(l.Findings) == 0 && !l.NotAudited {
			return nil
		}
		l.Controls = failingControls(r, l.Domain)
		l.Vendor = strings.Join(l.Vendors, ", ")
		if l.NotAudited {
			l.Reason = notAuditedReason(r, l.Domain)
		}
		sort.SliceStable(l.Findings, func(a, b int) bool { return l.Findings[a].SeverityNum > l.Findings[b].SeverityNum })
		return fn(&l)
	})
}

// notAuditedReason is why a domain could not be audited, from its view:
// the Forced TLS reason, else the first probe error ("" when the run never
// reached it).
func notAuditedReason(r *Report, domain string) string {
	dv, ok, err := r.DomainNamed(domain)
	if err != nil || !ok {
		return ""
	}
	for _, mx := range dv.MX {
		for _, a := range mx.Addresses {
			if a.ProbeError != "" {
				return a.ProbeError
			}
		}
	}
	return dv.ForcedReason
}

// failingControls lists the sender-authentication profile controls the
// domain fails, as the report shows them.
func failingControls(r *Report, domain string) []LetterControl {
	dv, ok, err := r.DomainNamed(domain)
	if err != nil || !ok {
		return nil
	}
	var out []LetterControl
	for _, fw := range dv.Frameworks {
		if !slices.Contains(grade.SenderProfiles(), fw.Name) {
			continue
		}
		for _, c := range fw.Controls {
			if c.Status == grade.ControlFail {
				out = append(out, LetterControl{Framework: fw.Name, Title: c.Title, Reason: c.Reason, Publish: c.Publish})
			}
		}
	}
	return out
}
