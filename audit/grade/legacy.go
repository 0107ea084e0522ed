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

// UpgradeLegacy applies UpgradeChecks to every MX and address of a stored
// domain grade.
func (dg *DomainGrade) UpgradeLegacy() {
	for i := range dg.MX {
		UpgradeChecks(dg.MX[i].Checks)
		for j := range dg.MX[i].Addresses {
			UpgradeChecks(dg.MX[i].Addresses[j].Checks)
		}
	}
}
