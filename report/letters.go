package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Letter is one vendor letter a report produces: the findings the vendor
// is asked to correct (above info and not accepted by an exception).
type Letter struct {
	// Ref is the letter's reference (LetterRef), printed in the letter and
	// used by `mxaudit letter sent`.
	Ref      string    `json:"ref"`
	Vendor   string    `json:"vendor"`
	Domains  []string  `json:"domains"`
	Findings []Finding `json:"findings"`
}

// letterRefPrefix starts every letter reference.
const letterRefPrefix = "MXA-"

// LetterRef is the reference of the letter of a run to a vendor:
// "MXA-<run>-<6 hex digits of the vendor name's SHA-256>", stable across
// renderings of the run and short enough to quote on the phone.
func LetterRef(runID int64, vendor string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(vendor))))
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

// Letters lists the letters of a report, one per vendor with findings to
// correct, in the vendor table's risk order. Findings accepted by an
// exception are not required changes and are left out.
func Letters(r *Report) []Letter {
	var order []string
	domains := map[string][]string{}
	for _, v := range r.Vendors {
		if _, ok := domains[v.Vendor]; !ok {
			order = append(order, v.Vendor)
		}
		domains[v.Vendor] = appendUnique(domains[v.Vendor], v.Domain)
	}
	findings := map[string][]Finding{}
	for _, f := range r.Findings {
		if f.SeverityNum == 0 || f.Accepted() {
			continue
		}
		seen := map[string]bool{}
		for _, v := range f.Vendors {
			if !seen[v] {
				seen[v] = true
				findings[v] = append(findings[v], f)
			}
		}
	}
	var out []Letter
	for _, v := range order {
		if len(findings[v]) == 0 {
			continue
		}
		out = append(out, Letter{Ref: LetterRef(r.Run.ID, v), Vendor: v, Domains: domains[v], Findings: findings[v]})
	}
	return out
}
