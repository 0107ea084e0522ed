package grade

// legacyChecks maps the check names of grades stored before the checks
// were named for their good state to today's names, and whether the
// result must be inverted: "tls10" passed when TLS 1.0 was accepted,
// "tls10_off" passes when it is refused.
var legacyChecks = map[Check]struct {
	now    Check
	invert bool
}{
	"tls10": {CheckTLS10Off, true},
	"tls12": {CheckTLS12, false},
	"tls13": {CheckTLS13, false},
}

// UpgradeChecks rewrites, in place, check results stored under the old
// names (see legacyChecks), so a grade read back from an older database
// reads "pass = good" like a fresh one. Results under current names are
// left alone.
func UpgradeChecks(m map[Check]Result) {
	for old, to := range legacyChecks {
		r, ok := m[old]
		if !ok {
			continue
		}
		delete(m, old)
		if _, clash := m[to.now]; clash {
			continue
		}
		if to.invert {
			r = invert(r)
		}
		m[to.now] = r
	}
}

// UpgradeLegacy brings a stored domain grade to today's shape: the checks
// under their current names (UpgradeChecks), and the deductions and caps
// of grades stored before grades carried them, recovered from the stored
// findings (explainStored).
func (dg *DomainGrade) UpgradeLegacy() {
	dg.explainStored()
	for i := range dg.MX {
		UpgradeChecks(dg.MX[i].Checks)
		for j := range dg.MX[i].Addresses {
			UpgradeChecks(dg.MX[i].Addresses[j].Checks)
		}
	}
}

// explainStored fills the deductions and caps of a grade stored before
// grades carried them, from its findings: an address's deductions are the
// domain's findings, its host's and its own, each with its stored points,
// exactly as the score took them. An address whose score does not add up
// to what the findings say is left unexplained rather than explained
// wrongly.
func (dg *DomainGrade) explainStored() {
	if dg.Grade == GradeF && len(dg.Caps) == 0 {
		for _, f := range dg.Findings {
			if f.Host == "" && (f.ForceF || f.Code == CodeNoMX) {
				dg.Caps = append(dg.Caps, capOf(f))
			}
		}
	}
	for i := range dg.MX {
		m := &dg.MX[i]
		var outer []Finding
		for _, f := range dg.Findings {
			if f.Host == "" || (f.Host == m.Host && f.IP == "") {
				outer = append(outer, f)
			}
		}
		if m.Grade == GradeF && len(m.Caps) == 0 {
			m.Caps = capsOf(outer)
		}
		for j := range m.Addresses {
			a := &m.Addresses[j]
			if a.Inconclusive || len(a.Deductions) > 0 || len(a.Caps) > 0 {
				continue
			}
			ds, cs := explain(append(append([]Finding(nil), outer...), a.Findings...))
			sum := 0
			for _, d := range ds {
				sum += d.Points
			}
			explainedF := len(cs) > 0 || letter(a.Score) == GradeF
			if max(fullScore-sum, minimumZero) != a.Score || (a.Grade == GradeF) != explainedF {
				continue
			}
			a.Deductions, a.Caps = ds, cs
		}
	}
}
