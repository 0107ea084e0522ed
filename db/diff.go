package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
)

// Change kinds, stable identifiers for reports and JSON.
const (
	ChangeGradeUp         = "grade_up"
	ChangeGradeDown       = "grade_down"
	ChangeForcedGained    = "forced_tls_gained"
	ChangeForcedLost      = "forced_tls_lost"
	ChangeMXAdded         = "mx_added"
	ChangeMXRemoved       = "mx_removed"
	ChangeAddressAdded    = "address_added"
	ChangeAddressRemoved  = "address_removed"
	ChangeFindingAppeared = "finding_appeared"
	ChangeFindingResolved = "finding_resolved"
	ChangeCertExpiring    = "cert_expiring"
	ChangeSTSModeChanged  = "mta_sts_mode_changed"
	ChangeSTSIDChanged    = "mta_sts_id_changed"
	// Sender authentication: the SPF state ("valid -all", "permerror"...),
	// the DMARC policy ("none", "reject"; the status when there is no
	// valid record) and a profile's status (Detail names the profile).
	ChangeSPFChanged     = "spf_changed"
	ChangeDMARCChanged   = "dmarc_changed"
	ChangeProfileChanged = "profile_changed"
	ChangeDomainAdded    = "domain_added"
	ChangeDomainRemoved  = "domain_removed"
	// ChangeCarried: the domain could not be audited in this run; its
	// last audited result (From, run Since) stands, marked as carried.
	ChangeCarried = "result_carried"
)

// Change is one difference between two runs.
type Change struct {
	Kind    string   `json:"kind"`
	Domain  string   `json:"domain"`
	Vendors []string `json:"vendors,omitempty"`
	// Host and IP locate MX-level changes.
	Host string `json:"host,omitempty"`
	IP   string `json:"ip,omitempty"`
	// From and To are the old and new values (grades, modes, ids, codes).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Code is the finding code for finding changes.
	Code     string `json:"code,omitempty"`
	Severity string `json:"severity,omitempty"`
	// Days is the days to expiry for cert_expiring.
	Days int `json:"days,omitempty"`
	// Args are a finding change's facts (grade.Finding.Args), from which
	// readers word it with the templates.
	Args map[string]string `json:"args,omitempty"`
	// Phrases are its worded facts (grade.Finding.Phrases: a list of
	// reasons), beside Args.
	Phrases map[string]grade.Phrase `json:"phrases,omitempty"`
	// Detail says more about the change; for a finding stored by an older
	// mxaudit, the sentence it was stored with.
	Detail string `json:"detail,omitempty"`
	// Since is the run the domain was compared with when that is not the
	// diff's base: the domain could not be audited in the base run, and
	// its last audited result stands in for it (result_carried: the run
	// whose result is carried).
	Since int64 `json:"since_run,omitempty"`
}

// Diff is the set of changes from run Base to run Run.
type Diff struct {
	Run        int64     `json:"run"`
	Base       int64     `json:"base,omitempty"`
	HasBase    bool      `json:"has_base"`
	ExpiryWarn int       `json:"expiry_warn_days"`
	Changes    []Change  `json:"changes"`
	Made       time.Time `json:"made_at"`
	// Regressions and Improvements count grade_down and grade_up changes.
	Regressions  int `json:"regressions"`
	Improvements int `json:"improvements"`
}

// Count returns how many changes of a kind the diff holds.
func (d *Diff) Count(kind string) int {
	n := 0
	for _, c := range d.Changes {
		if c.Kind == kind {
			n++
		}
	}
	return n
}

// StoredOrComputedDiff returns the changes from run base to run id: the
// diff stored with run id when it was made against base with the same
// expiry window (mxaudit run stores it as the run completes, from the
// same evidence, so it is the same diff), else ComputeDiff's. Reading it
// answers at once where computing decodes both runs' evidence, every
// domain of the list.
func (d *DB) StoredOrComputedDiff(ctx context.Context, id, base int64, expiryWarn int) (*Diff, error) {
	var stored Diff
	storedBase, err := d.LoadDiff(ctx, id, &stored)
	switch {
	case err == nil && storedBase != nil && *storedBase == base && stored.ExpiryWarn == expiryWarn && stored.Run == id && stored.HasBase:
		return &stored, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return nil, err
	}
	return d.ComputeDiff(ctx, id, &base, expiryWarn)
}

// Compare is the comparison ComputeDiff makes, over domains in memory.
func Compare(cur, old []StoredDomain, curVendors, oldVendors []VendorRow, hasBase bool, expiryWarn int) *Diff {
	c := newComparer(curVendors, oldVendors, hasBase, expiryWarn)
	oldBy := map[string]StoredDomain{}
	oldNames, curNames := map[string]bool{}, map[string]bool{}
	for _, s := range old {
		oldBy[s.Domain] = s
		oldNames[s.Domain] = true
	}
	for _, s := range cur {
		curNames[s.Domain] = true
	}
	c.listChanges(curNames, oldNames)
	for _, s := range cur {
		var o *StoredDomain
		if v, ok := oldBy[s.Domain]; ok {
			o = &v
		}
		c.domain(s, o)
	}
	return c.finish()
}

// comparer accumulates the changes between two runs domain by domain.
type comparer struct {
	diff                   *Diff
	vendorsOf              map[string][]string
	curVendors, oldVendors []VendorRow
}

func newComparer(curVendors, oldVendors []VendorRow, hasBase bool, expiryWarn int) *comparer {
	c := &comparer{diff: &Diff{HasBase: hasBase, ExpiryWarn: expiryWarn, Changes: []Change{}},
		vendorsOf: map[string][]string{}, curVendors: curVendors, oldVendors: oldVendors}
	for _, v := range curVendors {
		c.vendorsOf[v.Domain] = appendUnique(c.vendorsOf[v.Domain], v.Vendor)
	}
	// A domain only the base run's list holds (a removed domain) takes
	// every vendor that list gave it.
	onlyOld := map[string][]string{}
	for _, v := range oldVendors {
		if _, ok := c.vendorsOf[v.Domain]; !ok {
			onlyOld[v.Domain] = appendUnique(onlyOld[v.Domain], v.Vendor)
		}
	}
	for dname, vs := range onlyOld {
		c.vendorsOf[dname] = vs
	}
	return c
}

func (c *comparer) add(ch Change) {
	ch.Vendors = c.vendorsOf[ch.Domain]
	c.diff.Changes = append(c.diff.Changes, ch)
}

// listChanges reports domains added to or removed from the vendor list
// (the stored domains stand in for a list when a run has none).
func (c *comparer) listChanges(curStored, oldStored map[string]bool) {
	if !c.diff.HasBase {
		return
	}
	inList := func(vs []VendorRow, stored map[string]bool) map[string]bool {
		if len(vs) == 0 {
			return stored
		}
		m := map[string]bool{}
		for _, v := range vs {
			m[v.Domain] = true
		}
		return m
	}
	curList, oldList := inList(c.curVendors, curStored), inList(c.oldVendors, oldStored)
	for _, dname := range sortedKeys(curList) {
		if !oldList[dname] {
			c.add(Change{Kind: ChangeDomainAdded, Domain: dname})
		}
	}
	for _, dname := range sortedKeys(oldList) {
		if !curList[dname] {
			c.add(Change{Kind: ChangeDomainRemoved, Domain: dname})
		}
	}
}

// domain adds the changes of one domain; old is nil when the base run did
// not store it.
func (c *comparer) domain(s StoredDomain, old *StoredDomain) {
	for _, ch := range expiring(s, c.diff.ExpiryWarn) {
		c.add(ch)
	}
	if !c.diff.HasBase || old == nil {
		return
	}
	for _, ch := range compareDomain(*old, s) {
		c.add(ch)
	}
}

// domainSince is domain with old taken from run since (0: the base run).
func (c *comparer) domainSince(s StoredDomain, old *StoredDomain, since int64) {
	for _, ch := range expiring(s, c.diff.ExpiryWarn) {
		c.add(ch)
	}
	for _, ch := range compareDomain(*old, s) {
		ch.Since = since
		c.add(ch)
	}
}

// carried records that s could not be audited and that its last audited
// result stands: no grade or finding changes are concluded from a run
// that learnt nothing about the domain.
func (c *comparer) carried(s StoredDomain, last Audited) {
	for _, ch := range expiring(s, c.diff.ExpiryWarn) {
		c.add(ch)
	}
	c.add(Change{Kind: ChangeCarried, Domain: s.Domain, From: string(last.Grade.Grade), Since: last.Run,
		Detail: fmt.Sprintf("could not be audited in this run; last audited in run %d on %s", last.Run, last.RunDate.UTC().Format("2006-01-02"))})
}

func (c *comparer) finish() *Diff {
	for _, ch := range c.diff.Changes {
		switch ch.Kind {
		case ChangeGradeDown:
			c.diff.Regressions++
		case ChangeGradeUp:
			c.diff.Improvements++
		}
	}
	return c.diff
}

func setOf(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func compareDomain(o, s StoredDomain) []Change {
	var out []Change
	dname := s.Domain
	og, ng := o.Grade.Grade, s.Grade.Grade
	if og != ng && og.Conclusive() && ng.Conclusive() {
		kind := ChangeGradeUp
		if ng.Rank() < og.Rank() {
			kind = ChangeGradeDown
		}
		out = append(out, Change{Kind: kind, Domain: dname, From: string(og), To: string(ng)})
	}
	of, nf := o.Grade.ForcedTLS, s.Grade.ForcedTLS
	if of != nf {
		switch {
		case nf == grade.ForcedTLSEligible && of == grade.ForcedTLSNotEligible:
			out = append(out, Change{Kind: ChangeForcedGained, Domain: dname, From: string(of), To: string(nf)})
		case of == grade.ForcedTLSEligible && nf == grade.ForcedTLSNotEligible:
			out = append(out, Change{Kind: ChangeForcedLost, Domain: dname, From: string(of), To: string(nf), Detail: s.Grade.ForcedTLSReason})
		}
	}
	oldMX, newMX := mxSet(o.Evidence), mxSet(s.Evidence)
	for _, h := range sortedKeys(newMX) {
		if !oldMX[h] {
			out = append(out, Change{Kind: ChangeMXAdded, Domain: dname, Host: h})
		}
	}
	for _, h := range sortedKeys(oldMX) {
		if !newMX[h] {
			out = append(out, Change{Kind: ChangeMXRemoved, Domain: dname, Host: h})
		}
	}
	oldAddr, newAddr := addrSet(o.Evidence), addrSet(s.Evidence)
	for _, k := range sortedKeys(newAddr) {
		host, ip, _ := strings.Cut(k, " ")
		if oldMX[host] && !oldAddr[k] {
			out = append(out, Change{Kind: ChangeAddressAdded, Domain: dname, Host: host, IP: ip})
		}
	}
	for _, k := range sortedKeys(oldAddr) {
		host, ip, _ := strings.Cut(k, " ")
		if newMX[host] && !newAddr[k] {
			out = append(out, Change{Kind: ChangeAddressRemoved, Domain: dname, Host: host, IP: ip})
		}
	}
	oldF, newF := findingSet(o.Grade), findingSet(s.Grade)
	for _, k := range sortedKeys(newF) {
		if _, ok := oldF[k]; !ok {
			f := newF[k]
			out = append(out, Change{Kind: ChangeFindingAppeared, Domain: dname, Host: f.Host, IP: f.IP, Code: f.Code, Severity: f.Severity.String(), Args: f.Args, Phrases: f.Phrases, Detail: f.Reason})
		}
	}
	for _, k := range sortedKeys(oldF) {
		if _, ok := newF[k]; !ok {
			f := oldF[k]
			out = append(out, Change{Kind: ChangeFindingResolved, Domain: dname, Host: f.Host, IP: f.IP, Code: f.Code, Severity: f.Severity.String(), Args: f.Args, Phrases: f.Phrases, Detail: f.Reason})
		}
	}
	out = append(out, comparePosture(o, s)...)
	if o.Evidence.MTASTS != nil && s.Evidence.MTASTS != nil {
		om, nm := stsMode(o.Evidence.MTASTS), stsMode(s.Evidence.MTASTS)
		if om != nm {
			out = append(out, Change{Kind: ChangeSTSModeChanged, Domain: dname, From: om, To: nm})
		}
		if o.Evidence.MTASTS.ID != s.Evidence.MTASTS.ID && o.Evidence.MTASTS.ID != "" && s.Evidence.MTASTS.ID != "" {
			out = append(out, Change{Kind: ChangeSTSIDChanged, Domain: dname, From: o.Evidence.MTASTS.ID, To: s.Evidence.MTASTS.ID})
		}
	}
	return out
}

// comparePosture lists the sender-authentication changes of a domain
// checked in both runs: SPF state, DMARC policy, and each profile's status.
func comparePosture(o, s StoredDomain) []Change {
	var out []Change
	dname := s.Domain
	if o.Evidence.SPF != nil && s.Evidence.SPF != nil {
		if os, ns := SPFState(o.Evidence.SPF), SPFState(s.Evidence.SPF); os != ns {
			out = append(out, Change{Kind: ChangeSPFChanged, Domain: dname, From: os, To: ns})
		}
	}
	if o.Evidence.DMARC != nil && s.Evidence.DMARC != nil {
		if op, np := DMARCState(o.Evidence.DMARC), DMARCState(s.Evidence.DMARC); op != np {
			out = append(out, Change{Kind: ChangeDMARCChanged, Domain: dname, From: op, To: np})
		}
	}
	old := map[string]grade.ControlStatus{}
	for _, f := range o.Grade.Frameworks {
		old[f.Name] = f.Status
	}
	for _, f := range s.Grade.Frameworks {
		if was, ok := old[f.Name]; ok && was != f.Status {
			out = append(out, Change{Kind: ChangeProfileChanged, Domain: dname, From: string(was), To: string(f.Status), Detail: f.Name})
		}
	}
	return out
}

// SPFState is how a change names an SPF record's state: its status, with
// the final all of a valid record ("valid -all").
func SPFState(s *evidence.SPF) string {
	if s.Status == evidence.SPFValid {
		if s.All == "" {
			return "valid, no all"
		}
		return "valid " + s.All
	}
	return string(s.Status)
}

// DMARCState is how a change names a DMARC record's state: its policy
// when valid ("reject"), else its status ("missing", "invalid").
func DMARCState(m *evidence.DMARC) string {
	if m.Status == evidence.DMARCValid && m.Policy != "" {
		return m.Policy
	}
	return string(m.Status)
}

func stsMode(m *evidence.MTASTS) string {
	if m.Policy == nil {
		return "none published"
	}
	return m.Policy.Mode
}

// expiring lists the certificates of a domain that expire within days.
func expiring(s StoredDomain, days int) []Change {
	if days <= 0 || s.Evidence == nil {
		return nil
	}
	var out []Change
	seen := map[string]bool{}
	for _, h := range s.Evidence.Hosts {
		for _, a := range h.Addresses {
			c := a.Cert
			if c == nil || len(c.Chain) == 0 || c.Expired == nil || *c.Expired || c.DaysToExpiry > days {
				continue
			}
			key := h.Name + " " + a.IP
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Change{Kind: ChangeCertExpiring, Domain: s.Domain, Host: h.Name, IP: a.IP, Days: c.DaysToExpiry,
				Detail: fmt.Sprintf("expires %s", c.Chain[0].NotAfter.UTC().Format("2006-01-02"))})
		}
	}
	return out
}

func mxSet(ev *evidence.Domain) map[string]bool {
	m := map[string]bool{}
	if ev == nil {
		return m
	}
	for _, h := range ev.Hosts {
		m[h.Name] = true
	}
	return m
}

func addrSet(ev *evidence.Domain) map[string]bool {
	m := map[string]bool{}
	if ev == nil {
		return m
	}
	for _, h := range ev.Hosts {
		for _, a := range h.Addresses {
			m[h.Name+" "+a.IP] = true
		}
	}
	return m
}

func findingSet(g *grade.DomainGrade) map[string]grade.Finding {
	m := map[string]grade.Finding{}
	if g == nil {
		return m
	}
	for _, f := range g.Findings {
		m[f.Code+"\x00"+f.Host+"\x00"+f.IP] = f
	}
	return m
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// diffKeyVersion prefixes every diff key: when the facts compareDomain
// reads change, it rises, and keys of an older version count as unknown
// (their domains are decoded and compared), never as equal.
const diffKeyVersion = "1:"

// diffKey is the digest of every fact of a domain's result that
// compareDomain compares (see the diff_key column, migration 18): equal
// keys mean no change between the two results but the expiring
// certificates, which certDays (the fewest days to expiry of an
// unexpired certificate, NULL when none) answers. Each fact is written
// quoted, so remote strings (host names, an MTA-STS id) cannot run into
// the next fact.
func diffKey(ev *evidence.Domain, g *grade.DomainGrade) (string, sql.NullInt64) {
	h := sha256.New()
	fmt.Fprintf(h, "grade %q forced %q\n", g.Grade, g.ForcedTLS)
	for _, k := range sortedKeys(mxSet(ev)) {
		fmt.Fprintf(h, "mx %q\n", k)
	}
	for _, k := range sortedKeys(addrSet(ev)) {
		fmt.Fprintf(h, "address %q\n", k)
	}
	for _, k := range sortedKeys(findingSet(g)) {
		fmt.Fprintf(h, "finding %q\n", k)
	}
	if ev.SPF != nil {
		fmt.Fprintf(h, "spf %q\n", SPFState(ev.SPF))
	} else {
		fmt.Fprintln(h, "spf none")
	}
	if ev.DMARC != nil {
		fmt.Fprintf(h, "dmarc %q\n", DMARCState(ev.DMARC))
	} else {
		fmt.Fprintln(h, "dmarc none")
	}
	for _, f := range g.Frameworks {
		fmt.Fprintf(h, "profile %q %q\n", f.Name, f.Status)
	}
	if ev.MTASTS != nil {
		fmt.Fprintf(h, "mta-sts %q %q\n", stsMode(ev.MTASTS), ev.MTASTS.ID)
	} else {
		fmt.Fprintln(h, "mta-sts none")
	}
	var days sql.NullInt64
	for _, host := range ev.Hosts {
		for _, a := range host.Addresses {
			c := a.Cert
			if c == nil || len(c.Chain) == 0 || c.Expired == nil || *c.Expired {
				continue
			}
			if !days.Valid || int64(c.DaysToExpiry) < days.Int64 {
				days = sql.NullInt64{Int64: int64(c.DaysToExpiry), Valid: true}
			}
		}
	}
	return diffKeyVersion + hex.EncodeToString(h.Sum(nil)[:16]), days
}
