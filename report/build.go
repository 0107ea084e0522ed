package report

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/templates"
)

// Options configure Build.
type Options struct {
	Org Org
	// Texts is the finding wording (templates.Default() when nil).
	Texts *templates.Set
	// Methodology is the methodology prose (embedded when zero).
	Methodology *templates.Methodology
	// ExpiryWarnDays is the window for "expiring soon" (default 30).
	ExpiryWarnDays int
	ToolVersion    string
	// Now is the report's time (GeneratedAt) and the as-of time of the
	// programme's figures (ages, due dates). By default it is the run's
	// finish time (its start for a run that never finished), never the
	// clock, so rendering a run twice gives the same bytes.
	Now func() time.Time
	// Programme configures deadlines, file exceptions and cadence.
	Programme ProgrammeOptions
}

const defaultExpiryWarn = 30

// Build assembles the report of a stored run from the database alone.
// The report reads its domain views from store while it is rendered
// (Report.EachDomain), so store must stay open until the renderers are
// done, or the caller calls LoadDomains first.
func Build(ctx context.Context, store *db.DB, runID int64, opt Options) (rep *Report, err error) {
	if opt.Texts == nil {
		t, err := templates.Default()
		if err != nil {
			return nil, err
		}
		opt.Texts = t
	}
	if opt.Methodology == nil {
		m, err := templates.LoadMethodology("")
		if err != nil {
			return nil, err
		}
		opt.Methodology = &m
	}
	if opt.ExpiryWarnDays <= 0 {
		opt.ExpiryWarnDays = defaultExpiryWarn
	}
	run, err := store.GetRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	at := run.StartedAt
	if run.FinishedAt != nil {
		at = *run.FinishedAt
	}
	now := func() time.Time { return at }
	if opt.Now != nil {
		now = opt.Now
	}
	vendors, err := store.Vendors(ctx, runID)
	if err != nil {
		return nil, err
	}
	problems, err := store.Problems(ctx, runID)
	if err != nil {
		return nil, err
	}
	var diff db.Diff
	baseID, err := store.LoadDiff(ctx, runID, &diff)
	switch {
	case errors.Is(err, db.ErrNotFound):
		// No stored diff (an interrupted run): compute one against the previous completed run.
		var base *int64
		if prev, perr := store.PreviousCompleted(ctx, runID, run.ListName); perr == nil {
			base = &prev.ID
		}
		d, err := store.ComputeDiff(ctx, runID, base, opt.ExpiryWarnDays)
		if err != nil {
			return nil, err
		}
		diff, baseID = *d, base
	case err != nil:
		return nil, err
	}

	// The rows go to a scratch spool, not to the report's slices; it is
	// removed by Report.Close, or here when the build fails.
	sp, err := newSpool(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = sp.close()
		}
	}()
	r := &Report{
		SchemaVersion: SchemaVersion, GeneratedAt: now().UTC(), Tool: "mxaudit", ToolVersion: opt.ToolVersion,
		Org: opt.Org, Run: runInfo(run), Problems: []Problem{},
	}
	if baseID != nil {
		if b, err := store.GetRun(ctx, *baseID); err == nil {
			bi := runInfo(b)
			r.Base = &bi
		}
	}
	b := &builder{r: r, sp: sp, opt: opt, vendorsOf: map[string][]string{}, inputOf: map[string]string{},
		digests: map[string]string{}}
	if err := b.manifest(ctx, store, runID); err != nil {
		return nil, err
	}
	for _, v := range vendors {
		b.vendorsOf[v.Domain] = appendUnique(b.vendorsOf[v.Domain], v.Vendor)
		if v.Input != "" && v.Input != v.Domain {
			b.inputOf[v.Domain] = v.Input
		}
	}
	if baseID != nil {
		if b.baseGrades, err = store.Grades(ctx, *baseID); err != nil {
			return nil, err
		}
	}
	if err := b.changes(ctx, &diff); err != nil {
		return nil, err
	}
	// The probes first: a view names its probes by their stored keys
	// when the run has them (Report.ProbeRefOf).
	if err := b.probes(ctx, store, runID); err != nil {
		return nil, err
	}
	// Each domain's evidence is decoded once, here, by a pool of workers
	// that also make and encode its view and MX rows (prepare); the
	// builder takes them one at a time, in domain order (consume), and
	// keeps what the vendor table and the summary need as facts. The
	// readers after Build read the encoded views from the spool.
	b.carried, b.passBase = map[string]*Carried{}, baseID != nil
	pc := passContext{store: store, listName: run.ListName, baseID: baseID}
	if err := db.EachDomainParallel(ctx, store, runID, 0,
		func(s db.StoredDomain) (prepared, error) { return b.prepare(ctx, pc, s) },
		func(s db.StoredDomain, p prepared) error { return b.consume(ctx, s, p) }); err != nil {
		return nil, err
	}
	if err := b.carry(ctx, store, run, vendors, baseID); err != nil {
		return nil, err
	}
	r.source = domainsFromSpool(ctx, store, runID, sp, opt, len(b.names), r.probes != nil)
	if err := b.programme(ctx, store, runID, vendors, r.GeneratedAt); err != nil {
		return nil, err
	}
	if err := b.wordChanges(ctx, run, vendors, &diff); err != nil {
		return nil, err
	}
	if err := b.vendorRows(ctx, vendors); err != nil {
		return nil, err
	}
	if err := b.summary(ctx, vendors, &diff); err != nil {
		return nil, err
	}
	if err := b.scope(ctx, vendors); err != nil {
		return nil, err
	}
	if err := b.trend(ctx, store, runID); err != nil {
		return nil, err
	}
	for _, p := range problems {
		r.Problems = append(r.Problems, Problem{Sheet: p.Sheet, Row: p.Row, Column: p.Column, Value: p.Value, Message: p.Message})
	}
	r.Summary.InputProblems = len(r.Problems)
	b.methodology(run)
	if err := sp.finish(ctx); err != nil {
		return nil, err
	}
	r.rows = sp
	return r, nil
}

func runInfo(r db.Run) RunInfo {
	ri := RunInfo{ID: r.ID, ListName: r.ListName, InputPath: r.InputPath, InputSHA256: r.InputSHA256, Status: r.Status,
		StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt, Policy: r.Policy, PolicyVersion: r.PolicyVersion,
		ToolVersion: r.ToolVersion, RegradedFrom: r.RegradedFrom}
	if len(r.Settings) > 0 {
		var s db.ScanSettings
		// Settings a newer mxaudit stored with fields this one lacks still
		// decode; unreadable ones are left out rather than failing the report.
		if json.Unmarshal(r.Settings, &s) == nil {
			ri.Settings = &s
		}
	}
	return ri
}

type builder struct {
	r         *Report
	sp        *spool
	opt       Options
	names     []string // stored domains, in order
	vendorsOf map[string][]string
	inputOf   map[string]string
	// newFindings keys findings that appeared since the base run.
	newFindings map[string]bool
	// gradeChange is the grade change per domain ("A → C").
	gradeChange map[string]string
	regressed   map[string]bool
	// certs are the certificates the programme lists (programme.go);
	// riskAccepted marks domains whose every grade-lowering finding is accepted.
	certs        []CertWatch
	riskAccepted map[string]bool
	// carried is the last audited result of each domain this run could
	// not audit, where an earlier run audited it.
	carried map[string]*Carried
	// passBase: the run has a base run, so the pass looks up the last
	// audited result of the domains it could not audit.
	passBase bool
	// baseGrades is each domain's grade in the base run.
	baseGrades map[string]string
	// digests are the domains' evidence digests in the run's manifest.
	digests map[string]string
	// changeText is each domain's change in words for its vendor rows.
	changeText map[string]string
	// texts and strs share worded finding texts and messages between
	// findings (findingText, intern).
	texts map[string]templates.Text
	strs  map[string]string
	// profiles counts the failing profile controls, domain by domain.
	profiles profileTally
	// tally counts the summary's per-domain figures as the pass goes.
	tally domainTally
}

// domainTally is the summary's per-domain figures, counted domain by
// domain as Build's pass decodes them: counters, and the distinct MX
// host names and addresses (bounded by the hosts and addresses of the
// run, which providers share, not by its domains).
type domainTally struct {
	grades                    map[string]int
	inconclusive              int
	portBlocked, httpsBlocked bool
	stsEnforce, daneValid     int
	severities                [grade.Critical + 1]int
	hosts, addrs              map[string]struct{}
}

func (t *domainTally) add(f *facts, ev *evidence.Domain, g *grade.DomainGrade) {
	if t.grades == nil {
		t.grades, t.hosts, t.addrs = map[string]int{}, map[string]struct{}{}, map[string]struct{}{}
	}
	t.grades[string(f.grade)]++
	if f.grade == grade.GradeInconclusive || f.incomplete {
		t.inconclusive++
	}
	t.portBlocked = t.portBlocked || f.portBlocked
	t.httpsBlocked = t.httpsBlocked || f.httpsBlocked
	if f.sts == "enforce" {
		t.stsEnforce++
	}
	if f.dane == "valid" {
		t.daneValid++
	}
	for _, h := range ev.Hosts {
		if _, ok := t.hosts[h.Name]; !ok {
			t.hosts[strings.Clone(h.Name)] = struct{}{}
		}
		for _, a := range h.Addresses {
			if _, ok := t.addrs[a.IP]; !ok {
				t.addrs[strings.Clone(a.IP)] = struct{}{}
			}
		}
	}
	for _, x := range g.Findings {
		if x.Severity >= grade.Info && x.Severity <= grade.Critical {
			t.severities[x.Severity]++
		}
	}
}

// wordChanges words the changes per vendor (Report.VendorChanges) and per
// domain (VendorRow.ChangeText), with the causes weighed by the rules of
// the run's policy.
func (b *builder) wordChanges(ctx context.Context, run db.Run, vendors []db.VendorRow, diff *db.Diff) error {
	policy, ok := grade.PolicyByNameVersion(run.Policy, run.PolicyVersion)
	if !ok {
		policy = grade.Default()
	}
	cur := make(map[string]string, len(b.names))
	if err := b.sp.eachGrade(ctx, func(d string, g grade.Grade) { cur[d] = string(g) }); err != nil {
		return err
	}
	var vcs []VendorChange
	vcs, b.changeText = vendorChanges(changeInputs{diff: diff, vendors: vendors, base: b.baseGrades,
		cur: cur, policy: policy, texts: b.opt.Texts})
	for i := range vcs {
		if err := b.sp.putBody(ctx, "vendor_changes", &vcs[i]); err != nil {
			return err
		}
	}
	b.sp.vendorChangesN = len(vcs)
	return nil
}

// carry finds, for each domain of the list this run could not audit
// (inconclusive, or never stored), its last audited result up to the base
// run, so the report shows that grade marked as carried instead of a bare
// "?" (db.LastAudited, the rule the diff compares by).
func (b *builder) carry(ctx context.Context, store *db.DB, run db.Run, vendors []db.VendorRow, baseID *int64) error {
	if baseID == nil {
		return nil
	}
	check := func(domain string) error {
		if _, done := b.carried[domain]; done {
			return nil
		}
		// A stored domain that could not be audited had its last result
		// looked up by the pass (prepare); the others need none.
		if _, stored, err := b.fact(ctx, domain); err != nil || stored {
			return err
		}
		last, err := store.LastAudited(ctx, domain, run.ListName, *baseID)
		if errors.Is(err, db.ErrNotFound) {
			b.carried[domain] = nil
			return nil
		}
		if err != nil {
			return err
		}
		b.carried[domain] = &Carried{Run: last.Run, Date: last.RunDate.UTC().Format(time.DateOnly), Grade: string(last.Grade.Grade)}
		return nil
	}
	for _, v := range vendors {
		if err := check(v.Domain); err != nil {
			return err
		}
	}
	return nil
}

// fact reads one stored domain's facts from the spool; ok is false for a
// domain the run did not store.
func (b *builder) fact(ctx context.Context, domain string) (*facts, bool, error) {
	return b.sp.facts(ctx, domain)
}

func findingKey(domain, code, host, ip string) string {
	return domain + "\x00" + code + "\x00" + host + "\x00" + ip
}

func (b *builder) changes(ctx context.Context, diff *db.Diff) error {
	b.newFindings, b.gradeChange, b.regressed = map[string]bool{}, map[string]string{}, map[string]bool{}
	for _, c := range diff.Changes {
		bad := false
		switch c.Kind {
		case db.ChangeGradeDown, db.ChangeForcedLost, db.ChangeFindingAppeared, db.ChangeCertExpiring, db.ChangeMXRemoved:
			bad = true
		case db.ChangeSPFChanged, db.ChangeDMARCChanged, db.ChangeProfileChanged:
			bad = postureWorse(c)
		}
		switch c.Kind {
		case db.ChangeGradeUp, db.ChangeGradeDown:
			b.gradeChange[c.Domain] = c.From + " → " + c.To
		case db.ChangeDomainAdded:
			if _, ok := b.gradeChange[c.Domain]; !ok {
				b.gradeChange[c.Domain] = "new"
			}
		case db.ChangeFindingAppeared:
			b.newFindings[findingKey(c.Domain, c.Code, c.Host, c.IP)] = true
		}
		if c.Kind == db.ChangeGradeDown || c.Kind == db.ChangeForcedLost {
			b.regressed[c.Domain] = true
		}
		// Bad first, then by domain, then as the diff lists them (changes_order).
		if err := b.sp.putChange(ctx, 1, b.sp.seq+1, &Change{Kind: c.Kind, Domain: c.Domain, Vendors: c.Vendors, Host: c.Host, IP: c.IP,
			From: c.From, To: c.To, Text: ChangeText(c, b.opt.Texts), Bad: bad}); err != nil {
			return err
		}
	}
	return nil
}

// ChangeText says one change in plain words; a finding is named by the
// words texts gives its appearing or clearing (nil: the embedded
// wording), never by its code.
func ChangeText(ch db.Change, texts *templates.Set) string {
	at := ch.Host
	if ch.IP != "" {
		at += " (" + ch.IP + ")"
	}
	since := ""
	if ch.Since != 0 {
		since = fmt.Sprintf(" (since run %d, the last that could audit it)", ch.Since)
	}
	switch ch.Kind {
	case db.ChangeGradeUp:
		return fmt.Sprintf("Grade improved from %s to %s%s", ch.From, ch.To, since)
	case db.ChangeGradeDown:
		return fmt.Sprintf("Grade dropped from %s to %s%s", ch.From, ch.To, since)
	case db.ChangeForcedGained:
		return "Now eligible for Forced TLS"
	case db.ChangeForcedLost:
		s := "No longer eligible for Forced TLS"
		if ch.Detail != "" {
			s += ": " + ch.Detail
		}
		return s
	case db.ChangeMXAdded:
		return "Mail host added: " + at
	case db.ChangeMXRemoved:
		return "Mail host removed: " + at
	case db.ChangeAddressAdded:
		return "Address added: " + at
	case db.ChangeAddressRemoved:
		return "Address removed: " + at
	case db.ChangeFindingAppeared, db.ChangeFindingResolved:
		// "at", not "on": the words may end in "on" ("TLS 1.3 turned on").
		where := ""
		if at != "" {
			where = " at " + at
		}
		// The words say which way it went ("turned on", "turned off").
		if ch.Kind == db.ChangeFindingResolved {
			return upperFirst(findingWords(texts, ch.Code, false)) + where
		}
		sev := ""
		if ch.Severity != "" {
			sev = " (" + ch.Severity + ")"
		}
		return upperFirst(findingWords(texts, ch.Code, true)) + sev + where
	case db.ChangeCertExpiring:
		s := fmt.Sprintf("Certificate of %s expires in %d days", at, ch.Days)
		if ch.Detail != "" {
			s += " (" + ch.Detail + ")"
		}
		return s
	case db.ChangeSTSModeChanged:
		return fmt.Sprintf("MTA-STS mode changed from %s to %s", ch.From, ch.To)
	case db.ChangeSTSIDChanged:
		return fmt.Sprintf("MTA-STS policy id changed from %s to %s", ch.From, ch.To)
	case db.ChangeSPFChanged:
		return fmt.Sprintf("SPF changed from %s to %s", ch.From, ch.To)
	case db.ChangeDMARCChanged:
		if policyRank(ch.From) > 0 && policyRank(ch.To) > 0 {
			return fmt.Sprintf("DMARC policy changed from %s to %s", ch.From, ch.To)
		}
		return fmt.Sprintf("DMARC changed from %s to %s", dmarcWords(ch.From), dmarcWords(ch.To))
	case db.ChangeProfileChanged:
		return fmt.Sprintf("%s profile changed from %s to %s", ch.Detail, statusWords(ch.From), statusWords(ch.To))
	case db.ChangeDomainAdded:
		return "Added to the vendor list"
	case db.ChangeDomainRemoved:
		return "Removed from the vendor list"
	case db.ChangeCarried:
		return fmt.Sprintf("Could not be audited in this run; grade %s carried from run %d", ch.From, ch.Since)
	}
	return ch.Kind
}

func severityName(s grade.Severity) string { return s.String() }

// facts is what the vendor table and the summary need of one domain.
type facts struct {
	grade       grade.Grade
	incomplete  bool
	forced      grade.ForcedTLS
	portBlocked bool
	// httpsBlocked: no MTA-STS policy host could be reached in the run.
	httpsBlocked bool
	sts, dane    string
	findings     int
	top          *grade.Finding
	expiry       *time.Time
	// spf, dmarc and senderAuth are the short sender-authentication
	// states; frameworks the status of each framework shown.
	spf, dmarc, senderAuth string
	frameworks             []FrameworkStatus
	// why is the reason a domain that could not be graded was not.
	why string
	// score is DomainScore.
	score *int
}

// domain keeps what the summary, the vendor table and the findings need
// of one stored domain: its worded findings and its facts. Its view is
// made again when a renderer asks for it (view).
func (b *builder) domain(ctx context.Context, s db.StoredDomain) error {
	WordGrade(b.opt.Texts, s.Grade)
	ev, g := s.Evidence, s.Grade
	for _, f := range g.Findings {
		wf := b.finding(s.Domain, f)
		if err := b.sp.putFinding(ctx, &wf); err != nil {
			return err
		}
	}
	fc := &facts{why: g.ForcedTLSReason, grade: g.Grade, incomplete: g.Incomplete, forced: g.ForcedTLS, portBlocked: g.PortBlocked, httpsBlocked: ev.HTTPSBlocked,
		sts: stsState(ev), dane: domainDANE(ev), findings: countReal(g.Findings), expiry: earliestExpiry(ev),
		spf: SPFState(SPFViewOf(ev.SPF)), dmarc: DMARCState(DMARCViewOf(ev.DMARC)),
		frameworks: frameworkStatuses(FrameworksShown(b.opt.Org, g.Frameworks))}
	fc.senderAuth, _ = senderAuthState(g)
	fc.score = DomainScore(*g)
	if top := topFinding(g.Findings); top != nil {
		t := *top
		fc.top = &t
	}
	b.tally.add(fc, ev, g)
	// The facts wait in the spool, not in memory, for the vendor rows
	// and the summary (fact).
	if err := b.sp.putFacts(ctx, s.Domain, fc); err != nil {
		return err
	}
	b.names = append(b.names, s.Domain)
	b.profiles.add(s.Domain, FrameworksShown(b.opt.Org, g.Frameworks))
	return b.progCollect(ctx, s)
}

// view turns one stored domain into its view; ref is what the spool
// keeps of it (refs).
func view(opt Options, s db.StoredDomain, ref domainRef) DomainView {
	WordGrade(opt.Texts, s.Grade)
	ev, g := s.Evidence, s.Grade
	dv := DomainView{
		Domain: s.Domain, Input: ref.Input, Vendors: ref.Vendors, Grade: string(g.Grade), Incomplete: g.Incomplete,
		ForcedTLS: string(g.ForcedTLS), ForcedReason: g.ForcedTLSReason, MXKind: string(ev.MX.Kind),
		MXLookup: string(ev.MX.Lookup.Status), DNSSEC: string(ev.MX.Lookup.DNSSEC),
		MTASTS: stsState(ev), MTASTSDetail: stsDetail(ev), TLSRPT: tlsrptState(ev), AuditedAt: ev.FinishedAt,
		MX: []MXView{}, CarriedFrom: ref.Carried,
	}
	dv.Caps, dv.GradeExplanation = ExplainDomain(opt.Texts, *g)
	dv.Score = DomainScore(*g)
	dv.EvidenceDigest = ref.Digest
	dv.SPF, dv.DMARC, dv.DKIM = SPFViewOf(ev.SPF), DMARCViewOf(ev.DMARC), dkimViews(ev.DKIM)
	dv.SenderAuth, dv.SenderAuthReason = senderAuthState(g)
	dv.Frameworks = FrameworksShown(opt.Org, g.Frameworks)
	if dv.Vendors == nil {
		dv.Vendors = []string{}
	}
	for _, mg := range g.MX {
		h := hostOf(ev, mg.Host)
		mv := MXView{Host: mg.Host, Preference: mg.Preference, Grade: string(mg.Grade), DANE: daneState(h), Addresses: []AddressView{}}
		mv.Caps, mv.GradeExplanation = ExplainMX(opt.Texts, mg)
		if h != nil && h.TLSA != nil {
			for _, t := range h.TLSA.Records {
				mv.TLSA = append(mv.TLSA, fmt.Sprintf("%d %d %d %s", t.Usage, t.Selector, t.MatchingType, t.Data))
			}
		}
		for _, ag := range mg.Addresses {
			av := addressView(h, ag, addressRef(s, h, ag.IP))
			av.Deductions, av.Caps, av.GradeExplanation = ExplainAddress(opt.Texts, ag)
			mv.Addresses = append(mv.Addresses, av)
		}
		dv.MX = append(dv.MX, mv)
	}
	return dv
}

// probes serves the run's distinct probes from its stored address
// evidence (Report.EachProbe), each once and without walking the domains.
// A run with domains stored whole (before address evidence was stored
// apart) has no keys for their addresses: its probes are collected from
// the domain views instead.
func (b *builder) probes(ctx context.Context, store *db.DB, runID int64) error {
	keys, complete, err := store.AddressRefs(ctx, runID)
	if err != nil {
		return err
	}
	if !complete {
		return nil
	}
	b.r.probes = &probeSource{
		count: len(keys),
		each: func(fn func(*ProbeView) error) error {
			return store.EachAddressEvidence(ctx, runID, keys, func(key string, a *evidence.Address) error {
				pv := ProbeViewOf(a, key)
				return fn(&pv)
			})
		},
	}
	return nil
}

// domainsFromSpool serves the views of the run's domains: decoded from
// the elements the pass spooled, their probes joined back from the
// store's address evidence (keyed, when the run stored its addresses
// apart), else made again from the store's evidence with what the spool
// keeps of each domain (refs). The JSON writer copies the elements.
func domainsFromSpool(ctx context.Context, store *db.DB, runID int64, sp *spool, opt Options, count int, keyed bool) *domainSource {
	src := &domainSource{
		count:   count,
		release: sp.close,
		raw: func(fn func([]byte) error) error {
			return sp.eachDomainView(ctx, fn)
		},
	}
	if keyed {
		pj := newProbeJoin(ctx, store, runID)
		src.each = func(fn func(*DomainView) error) error {
			return sp.eachDomainView(ctx, func(elem []byte) error {
				dv, err := pj.domainView(elem)
				if err != nil {
					return err
				}
				return fn(dv)
			})
		}
		src.named = func(name string) (*DomainView, bool, error) {
			elem, ok, err := sp.domainView(ctx, name)
			if err != nil || !ok {
				return nil, false, err
			}
			dv, err := pj.domainView(elem)
			return dv, err == nil, err
		}
		src.mx = func(fn func(*MXAddress) error) error {
			return eachBody(sp, `SELECT body FROM mxrows ORDER BY seq`, nil, func(row *MXAddress) error {
				if row.Address != nil {
					if err := pj.join(row.Address); err != nil {
						return fmt.Errorf("%s %s: %w", row.Domain, row.Host, err)
					}
				}
				return fn(row)
			})
		}
		src.mxCount = func() int { return sp.mxRowsN }
		return src
	}
	src.each = func(fn func(*DomainView) error) error {
		return store.EachDomain(ctx, runID, func(s db.StoredDomain) error {
			ref, _, err := sp.ref(ctx, s.Domain)
			if err != nil {
				return err
			}
			dv := view(opt, s, ref)
			return fn(&dv)
		})
	}
	src.named = func(name string) (*DomainView, bool, error) {
		ref, ok, err := sp.ref(ctx, name)
		if err != nil || !ok {
			return nil, false, err
		}
		s, err := store.DomainResult(ctx, runID, name)
		if err != nil {
			return nil, false, err
		}
		dv := view(opt, s, ref)
		return &dv, true, nil
	}
	return src
}

func (b *builder) finding(domain string, f grade.Finding) Finding {
	out := Finding{ID: grade.FindingID(f.Code, domain, f.Host, f.IP), Vendors: b.vendorsOf[domain], Domain: domain, Host: f.Host, IP: f.IP, Code: f.Code,
		Severity: severityName(f.Severity), SeverityNum: int(f.Severity), Title: f.Code, Message: f.Reason, Waived: f.Waived,
		New: b.newFindings[findingKey(domain, f.Code, f.Host, f.IP)]}
	if out.Vendors == nil {
		out.Vendors = []string{}
	}
	// The wording comes from the templates; only a finding stored by an
	// older mxaudit under a code the templates no longer word falls back
	// to the sentence it was stored with, or to its code.
	if t, err := b.findingText(f.Code, FindingArgs(b.opt.Texts, f.Args, f.Phrases)); err == nil {
		out.Title, out.Remediation, out.Why, out.Standards = t.Title, t.Remediation, t.Why, t.Standards
		if t.Message != "" {
			out.Message = t.Message
		}
	}
	if out.Message == "" {
		out.Message = f.Code
	}
	out.Message = b.intern(out.Message)
	return out
}

// textCacheSize bounds the worded texts and messages a builder shares
// between findings. A large run repeats the same few hundred (a provider
// pool's findings are worded alike for each of its thousands of domains):
// sharing them keeps one copy of each instead of one per finding. Past the
// bound new texts are simply not shared, so the cache never grows with
// the list.
const textCacheSize = 8192

// findingText is Texts.Finding, worded once per code and arguments.
func (b *builder) findingText(code string, args map[string]string) (templates.Text, error) {
	key := code
	if len(args) > 0 {
		names := make([]string, 0, len(args))
		for k := range args {
			names = append(names, k)
		}
		sort.Strings(names)
		var sb strings.Builder
		sb.WriteString(code)
		for _, k := range names {
			sb.WriteString("\x00")
			sb.WriteString(k)
			sb.WriteString("\x00")
			sb.WriteString(args[k])
		}
		key = sb.String()
	}
	if t, ok := b.texts[key]; ok {
		return t, nil
	}
	t, err := b.opt.Texts.Finding(code, args)
	if err != nil {
		return t, err
	}
	if b.texts == nil {
		b.texts = map[string]templates.Text{}
	}
	if len(b.texts) < textCacheSize {
		b.texts[key] = t
	}
	return t, nil
}

// intern returns the shared copy of s (see textCacheSize).
func (b *builder) intern(s string) string {
	if v, ok := b.strs[s]; ok {
		return v
	}
	if b.strs == nil {
		b.strs = map[string]string{}
	}
	if len(b.strs) < textCacheSize {
		b.strs[s] = s
	}
	return s
}

func hostOf(ev *evidence.Domain, name string) *evidence.Host {
	for i := range ev.Hosts {
		if ev.Hosts[i].Name == name {
			return &ev.Hosts[i]
		}
	}
	return nil
}

// addressRef is the stored reference of address ip of host h of s; ""
// when s was stored whole (before address evidence was stored apart).
func addressRef(s db.StoredDomain, h *evidence.Host, ip string) string {
	if h == nil || s.AddressRefs == nil {
		return ""
	}
	for i := range s.Evidence.Hosts {
		if &s.Evidence.Hosts[i] != h || i >= len(s.AddressRefs) {
			continue
		}
		for j := range h.Addresses {
			if h.Addresses[j].IP == ip && j < len(s.AddressRefs[i]) {
				return s.AddressRefs[i][j]
			}
		}
	}
	return ""
}

func addrOf(h *evidence.Host, ip string) *evidence.Address {
	if h == nil {
		return nil
	}
	for i := range h.Addresses {
		if h.Addresses[i].IP == ip {
			return &h.Addresses[i]
		}
	}
	return nil
}

// AddressViewOf is the view of one graded address of host h (nil when the
// evidence lacks the host): its verdict, and its probe, versions, suites
// and certificate. Its ProbeRef is the digest of the address evidence
// (db.AddressDigest), as a report built from the database names it.
func AddressViewOf(h *evidence.Host, ag grade.AddressGrade) AddressView {
	return addressView(h, ag, "")
}

// addressView is AddressViewOf with the probe's ref when the caller knows
// it (the database's reference); "" computes it from the evidence.
func addressView(h *evidence.Host, ag grade.AddressGrade, ref string) AddressView {
	av := AddressView{IP: ag.IP, Grade: string(ag.Grade), Score: ag.Score, Checks: map[string]string{},
		Deductions: []Deduction{}, Caps: []Cap{}, HandshakeNeverCompleted: ag.HandshakeNeverCompleted}
	for c, res := range ag.Checks {
		av.Checks[string(c)] = string(res)
	}
	a := addrOf(h, ag.IP)
	if a == nil {
		av.ProbeView = ProbeView{IP: ag.IP, Versions: []VersionView{}}
		return av
	}
	if ref == "" {
		// An address whose evidence cannot be encoded has no digest;
		// the JSON writer then names its probe by the view's own digest.
		ref, _, _ = db.AddressDigest(a)
	}
	av.ProbeView = ProbeViewOf(a, ref)
	av.ProbeRef = ref
	av.applyHandshakeVerdict()
	if a.DANE != nil {
		if len(a.DANE.Matched) > 0 {
			av.DANE = "matches " + strings.Join(a.DANE.Matched, ", ")
		} else {
			av.DANE = "no match: " + a.DANE.Reason
		}
	}
	return av
}

// applyHandshakeVerdict marks the supported versions' suites as chosen
// only in ServerHellos when the address's verdict says no handshake ever
// completed. The probe's Versions may be shared with other views (a probe
// read from JSON), so they are copied before being marked.
func (av *AddressView) applyHandshakeVerdict() {
	if !av.HandshakeNeverCompleted {
		return
	}
	vs := make([]VersionView, len(av.Versions))
	copy(vs, av.Versions)
	for i := range vs {
		vs[i].ServerHelloOnly = vs[i].Support == string(evidence.Supported)
	}
	av.Versions = vs
}

// ProbeViewOf is the probe view of one stored address evidence, named ref:
// everything AddressView shows that the evidence alone decides.
func ProbeViewOf(a *evidence.Address, ref string) ProbeView {
	pv := ProbeView{Ref: ref, IP: a.IP, Versions: []VersionView{}}
	if p := a.Probe; p != nil {
		pv.ProbeStatus, pv.ProbedAt, pv.Connections = string(p.Status), p.StartedAt, p.Connections
		if p.Error != nil {
			pv.ProbeError = p.Error.Error()
		}
		if p.SMTP != nil {
			if p.SMTP.Banner != nil {
				pv.Banner = fmt.Sprintf("%d %s", p.SMTP.Banner.Code, strings.Join(p.SMTP.Banner.Lines, " / "))
			}
			for _, l := range p.SMTP.Transcript {
				raw := l.Raw
				if raw == nil {
					raw = []byte(l.Line)
				}
				pv.Transcript = append(pv.Transcript, l.Dir+": "+EscapeText(string(raw)))
				pv.TranscriptBase64 = append(pv.TranscriptBase64, base64.StdEncoding.EncodeToString(raw))
			}
		}
		if hs := p.Handshake; hs != nil && !hs.OK && hs.Error != nil {
			pv.HandshakeError = hs.Error.Error()
		}
		if hs := p.Handshake; hs != nil && hs.OK {
			pv.Protocol = hs.Version
			if hs.Suite != nil {
				pv.Protocol += " " + hs.Suite.Name
			}
			if hs.Group != "" {
				pv.Protocol += " (" + hs.Group + ")"
			}
		}
		for _, v := range p.Versions {
			vv := VersionView{Version: v.Version, Support: string(v.Support), Reason: v.Reason, Preference: string(v.Preference), Complete: v.Complete}
			if v.Alert != nil {
				vv.Alert = v.Alert.String()
			}
			for _, s := range v.Suites {
				vv.Suites = append(vv.Suites, suiteView(s))
			}
			pv.Versions = append(pv.Versions, vv)
		}
	}
	if a.Cert != nil {
		pv.Connections += a.Cert.Connections
		pv.Cert = certView(a.Cert)
		if pv.Cert != nil {
			pv.Certificates = append(pv.Certificates, *pv.Cert)
		}
		for i := range a.OtherCerts {
			if cv := certView(&a.OtherCerts[i]); cv != nil {
				cv.Via = a.OtherCerts[i].Via
				pv.Certificates = append(pv.Certificates, *cv)
			}
		}
	}
	if p := a.Probe; p != nil {
		if th := p.Throttle; th != nil {
			pv.Throttled = fmt.Sprintf("%d connections refused, waited %s", th.Refusals, time.Duration(th.Waited).Round(time.Second))
			if th.BudgetExhausted {
				pv.Throttled += fmt.Sprintf("; still refusing when the %s budget ran out", time.Duration(th.Budget).Round(time.Second))
			}
		}
		pv.Vulnerabilities = vulnViews(p.Vulns)
	}
	return pv
}

// SuiteFlags lists the labels of a suite: weaknesses first, then properties.
func SuiteFlags(s evidence.Suite) (flags []string, weak bool) {
	f := s.Flags
	add := func(on bool, name string, isWeak bool) {
		if on {
			flags = append(flags, name)
			weak = weak || isWeak
		}
	}
	add(f.Export, "export", true)
	add(f.Null, "null", true)
	add(f.Anon, "anon", true)
	add(f.RC2, "rc2", true)
	add(f.RC4, "rc4", true)
	add(f.DES, "des", true)
	add(f.TripleDES, "3des", true)
	add(f.MD5, "md5", true)
	add(s.Bits > 0 && s.Bits < 128, "<128-bit", true)
	add(!f.ForwardSecret, "no-fs", false)
	add(f.AEAD, "aead", false)
	add(f.CBC, "cbc", false)
	return flags, weak
}

func suiteView(s evidence.Suite) SuiteView {
	flags, weak := SuiteFlags(s)
	sv := SuiteView{Code: s.Code, Name: s.Name, Bits: s.Bits, Flags: flags, Weak: weak}
	if k := s.KeyExchange; k != nil {
		sv.KeyExchange = k.Type
		if k.Group != "" {
			sv.KeyExchange += " " + k.Group
		}
		if k.Bits > 0 {
			sv.KeyExchange += fmt.Sprintf(" %d bits", k.Bits)
		}
	}
	return sv
}

func yesNo(b *bool) string {
	switch {
	case b == nil:
		return "not checked"
	case *b:
		return "yes"
	}
	return "no"
}

func certView(c *evidence.CertCheck) *CertView {
	if len(c.Chain) == 0 {
		return nil
	}
	leaf := c.Chain[0]
	cv := &CertView{Subject: leaf.Subject, Issuer: leaf.Issuer, CommonName: leaf.CommonName, SANs: leaf.DNSNames,
		NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter, DaysToExpiry: c.DaysToExpiry, KeyType: leaf.KeyType,
		KeyBits: leaf.KeyBits, Signature: leaf.SignatureAlgorithm, Trusted: yesNo(c.Trusted), NameMatch: yesNo(c.NameMatch),
		TrustError: c.TrustError, SelfSigned: c.SelfSigned, ChainIncomplete: c.ChainIncomplete, SHA256: leaf.SHA256}
	if c.DaysToExpiry < 0 && !c.CheckedAt.IsZero() {
		cv.DaysExpired = max(0, int(c.CheckedAt.Sub(leaf.NotAfter)/(24*time.Hour)))
	}
	for _, x := range c.Chain {
		cv.ChainSubjects = append(cv.ChainSubjects, x.Subject)
	}
	return cv
}

// stsState is the MTA-STS column value of a domain.
func stsState(ev *evidence.Domain) string {
	m := ev.MTASTS
	switch {
	case m == nil:
		return "not checked"
	case m.Policy != nil:
		return m.Policy.Mode
	case len(m.Records) == 0 && (m.TXT.Status == evidence.DNSNXDomain || m.TXT.Status == evidence.DNSNoData):
		return "absent"
	case ev.HTTPSBlocked && m.Fetch.Unreached():
		return "not checked"
	}
	return "invalid"
}

func stsDetail(ev *evidence.Domain) string {
	m := ev.MTASTS
	switch {
	case m == nil:
		return ""
	case m.RecordError != "" && len(m.Records) > 0:
		return m.RecordError
	case ev.HTTPSBlocked && m.Fetch.Unreached():
		return "policy not fetched: outbound HTTPS seems blocked at the scanner"
	case m.Fetch != nil && m.Fetch.Error != nil:
		return "policy unavailable: " + m.Fetch.Error.Message
	case len(m.PolicyErrors) > 0:
		return strings.Join(m.PolicyErrors, "; ")
	case m.Policy != nil:
		var uncovered []string
		for _, h := range ev.Hosts {
			if m.MXMatch[h.Name] == "" {
				uncovered = append(uncovered, h.Name)
			}
		}
		if len(uncovered) > 0 {
			return "MX not covered: " + strings.Join(uncovered, ", ")
		}
		return fmt.Sprintf("id %s, max_age %d, every MX covered", m.ID, m.Policy.MaxAge)
	}
	return ""
}

func tlsrptState(ev *evidence.Domain) string {
	t := ev.TLSRPT
	switch {
	case t == nil:
		return "not checked"
	case len(t.RUA) > 0:
		return strings.Join(t.RUA, ", ")
	case len(t.Records) == 0 && (t.TXT.Status == evidence.DNSNXDomain || t.TXT.Status == evidence.DNSNoData):
		return "absent"
	}
	return "invalid: " + t.Error
}

// daneState is the DANE column value of one MX host.
func daneState(h *evidence.Host) string {
	if h == nil || h.TLSA == nil {
		return "not checked"
	}
	if len(h.TLSA.Records) == 0 {
		switch h.TLSA.Lookup.Status {
		case evidence.DNSOK, evidence.DNSNoData, evidence.DNSNXDomain:
			return "none"
		}
		return "lookup failed"
	}
	if h.TLSA.Lookup.DNSSEC != evidence.DNSSECSecure {
		return "unusable"
	}
	state := "valid"
	tested := false
	for _, a := range h.Addresses {
		if a.DANE == nil {
			continue
		}
		tested = true
		if a.DANE.Usable == 0 {
			return "unusable"
		}
		if len(a.DANE.Matched) == 0 {
			state = "invalid"
		}
	}
	if !tested {
		return "not tested"
	}
	return state
}

// domainDANE is the worst DANE state over a domain's MX hosts.
func domainDANE(ev *evidence.Domain) string {
	order := []string{"invalid", "lookup failed", "unusable", "not tested", "valid", "none", "not checked"}
	best := len(order)
	for i := range ev.Hosts {
		s := daneState(&ev.Hosts[i])
		for k, o := range order {
			if o == s && k < best {
				best = k
			}
		}
	}
	if best == len(order) {
		return "not checked"
	}
	return order[best]
}

func (b *builder) vendorRows(ctx context.Context, vendors []db.VendorRow) error {
	for _, v := range b.rows(vendors) {
		f, ok, err := b.fact(ctx, v.Domain)
		if err != nil {
			return err
		}
		row := VendorRow{Vendor: v.Vendor, Domain: v.Domain, Input: v.Input, Owner: v.Owner, Tier: v.Tier, TierNumber: TierNumber(v.Tier),
			Tags: v.Tags, Contact: v.Contact, Notes: v.Notes, PreviousGrade: b.baseGrades[v.Domain],
			Change: b.gradeChange[v.Domain], ChangeText: b.changeText[v.Domain], Regressed: b.regressed[v.Domain], CarriedFrom: b.carried[v.Domain]}
		if !ok {
			row.Grade, row.ForcedTLS, row.MTASTS, row.DANE = GradeNotAudited, "unknown", "not checked", "not checked"
			row.SPF, row.DMARC, row.SenderAuth = "not checked", "not checked", "not checked"
			if err := b.sp.putVendor(ctx, &row); err != nil {
				return err
			}
			continue
		}
		row.Grade, row.GradeRank, row.Incomplete, row.ForcedTLS = string(f.grade), f.grade.Rank(), f.incomplete, string(f.forced)
		row.Score = f.score
		row.MTASTS, row.DANE, row.Findings, row.EarliestExpiry = f.sts, f.dane, f.findings, f.expiry
		row.SPF, row.DMARC, row.SenderAuth, row.Frameworks = f.spf, f.dmarc, f.senderAuth, f.frameworks
		row.AcceptedRisk = b.riskAccepted[v.Domain]
		if f.top != nil {
			wf := b.finding(v.Domain, *f.top)
			row.TopFinding, row.TopSeverity = wf.Title, wf.Severity
		}
		if err := b.sp.putVendor(ctx, &row); err != nil {
			return err
		}
	}
	// The spool orders them (riskLess) and keys the findings' deadline
	// order by each domain's owner and tier.
	return b.sp.owners(ctx)
}

// rows is the vendor list, or one row per stored domain for a run made
// without a list.
func (b *builder) rows(vendors []db.VendorRow) []db.VendorRow {
	if len(vendors) > 0 {
		return vendors
	}
	rows := make([]db.VendorRow, 0, len(b.names))
	for _, n := range b.names {
		rows = append(rows, db.VendorRow{Vendor: n, Domain: n})
	}
	return rows
}

// riskLess orders vendor rows riskiest first: regressions, then worse
// grades, inconclusive after real grades, then by vendor name.
func riskLess(a, b VendorRow) bool {
	if a.Regressed != b.Regressed {
		return a.Regressed
	}
	ra, rb := riskRank(a), riskRank(b)
	if ra != rb {
		return ra < rb
	}
	// Case-insensitively, then exactly, so vendors differing only in case
	// still have an order (a strict weak order, which the spool's index
	// reproduces).
	if la, lb := strings.ToLower(a.Vendor), strings.ToLower(b.Vendor); la != lb {
		return la < lb
	}
	if a.Vendor != b.Vendor {
		return a.Vendor < b.Vendor
	}
	return a.Domain < b.Domain
}

func riskRank(v VendorRow) int {
	// A vendor that could not be audited ranks with the at-risk group,
	// right after F: nothing says its mail is safe.
	switch {
	case v.GradeRank > 0:
		return v.GradeRank * 10
	case v.Grade == string(grade.GradeNA):
		return 1000 // accepts no mail: nothing at risk
	}
	return 15 // "?", not audited
}

func countReal(fs []grade.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity > grade.Info {
			n++
		}
	}
	return n
}

func topFinding(fs []grade.Finding) *grade.Finding {
	var top *grade.Finding
	for i := range fs {
		if fs[i].Severity <= grade.Info && fs[i].Code != grade.CodeInconclusive {
			continue
		}
		if top == nil || fs[i].Severity > top.Severity {
			top = &fs[i]
		}
	}
	return top
}

func earliestExpiry(ev *evidence.Domain) *time.Time {
	var out *time.Time
	for _, h := range ev.Hosts {
		for _, a := range h.Addresses {
			if a.Cert == nil || len(a.Cert.Chain) == 0 {
				continue
			}
			t := a.Cert.Chain[0].NotAfter
			if out == nil || t.Before(*out) {
				out = &t
			}
		}
	}
	return out
}

func (b *builder) summary(ctx context.Context, vendors []db.VendorRow, diff *db.Diff) error {
	s := &b.r.Summary
	s.Domains = len(b.names)
	s.ProfileControls = b.profiles.controls()
	s.ExpiryWarnDays = b.opt.ExpiryWarnDays
	// The per-domain figures were tallied as the pass went (domainTally).
	t := &b.tally
	domainGrades := t.grades
	s.Inconclusive, s.PortBlocked, s.HTTPSBlocked = t.inconclusive, t.portBlocked, t.httpsBlocked
	s.MTASTSEnforce, s.DANEValid = t.stsEnforce, t.daneValid
	s.Critical, s.High = t.severities[grade.Critical], t.severities[grade.High]
	s.Medium, s.Low = t.severities[grade.Medium], t.severities[grade.Low]
	s.MXHosts, s.Addresses = len(t.hosts), len(t.addrs)
	// A vendor is its worst domain; Forced TLS needs every domain eligible.
	type vstate struct {
		worst  grade.Grade
		forced grade.ForcedTLS
	}
	byVendor := map[string]*vstate{}
	var order []string
	for _, v := range b.rows(vendors) {
		st, ok := byVendor[v.Vendor]
		if !ok {
			st = &vstate{worst: "", forced: grade.ForcedTLSEligible}
			byVendor[v.Vendor] = st
			order = append(order, v.Vendor)
		}
		f, ok, err := b.fact(ctx, v.Domain)
		if err != nil {
			return err
		}
		if !ok {
			st.forced = grade.ForcedTLSUnknown
			continue
		}
		if st.worst == "" {
			st.worst = f.grade
		} else {
			st.worst = grade.Worst(st.worst, f.grade)
		}
		switch {
		case f.forced == grade.ForcedTLSNotEligible:
			st.forced = grade.ForcedTLSNotEligible
		case f.forced == grade.ForcedTLSUnknown && st.forced == grade.ForcedTLSEligible:
			st.forced = grade.ForcedTLSUnknown
		}
	}
	s.Vendors = len(order)
	vendorGrades := map[string]int{}
	for _, name := range order {
		st := byVendor[name]
		g := st.worst
		if g == "" {
			g = grade.GradeInconclusive
		}
		vendorGrades[string(g)]++
		switch st.forced {
		case grade.ForcedTLSEligible:
			s.ForcedEligible++
		case grade.ForcedTLSNotEligible:
			s.ForcedNotEligible++
		default:
			s.ForcedUnknown++
		}
	}
	if s.Vendors > 0 {
		s.ForcedShare = float64(s.ForcedEligible) / float64(s.Vendors)
	}
	for _, g := range grade.AllGrades() {
		s.Grades = append(s.Grades, GradeCount{Grade: string(g), Count: domainGrades[string(g)]})
		s.VendorGrades = append(s.VendorGrades, GradeCount{Grade: string(g), Count: vendorGrades[string(g)]})
	}
	s.Regressions, s.Improvements = diff.Regressions, diff.Improvements
	if err := b.programmeSummary(ctx, vendors); err != nil {
		return err
	}
	s.ExpiringSoon = diff.Count(db.ChangeCertExpiring)
	return nil
}

// trend reads the figures of the last runs of the list, this one last,
// aggregated by the database (db.Trend).
func (b *builder) trend(ctx context.Context, store *db.DB, runID int64) error {
	points, err := store.Trend(ctx, runID, db.TrendRuns)
	if err != nil {
		return err
	}
	out := make([]TrendPoint, 0, len(points))
	for _, p := range points {
		tp := TrendPoint{RunID: p.RunID, FinishedAt: p.FinishedAt, VendorsInList: p.VendorsInList,
			VendorsAudited: p.VendorsAudited, VendorsAtRisk: p.VendorsAtRisk, ForcedEligible: p.ForcedEligible}
		if tp.FinishedAt != nil {
			t := tp.FinishedAt.UTC()
			tp.FinishedAt = &t
		}
		for _, g := range grade.AllGrades() {
			tp.VendorGrades = append(tp.VendorGrades, GradeCount{Grade: string(g), Count: p.VendorGrades[g]})
		}
		out = append(out, tp)
	}
	b.r.Summary.Trend = out
	return nil
}

func (b *builder) methodology(run db.Run) {
	m := b.opt.Methodology
	out := Methodology{Grading: m.Grading, Limits: m.Limits, Scope: m.Scope}
	for _, c := range m.Checks {
		out.Checks = append(out.Checks, CheckDef{Name: c.Name, Label: c.Label, Meaning: c.Meaning})
	}
	// The rules of the policy version the run was graded with: a run
	// re-graded under version 2 shows version 2's table.
	policy, ok := grade.PolicyByNameVersion(run.Policy, run.PolicyVersion)
	if !ok {
		policy = grade.Default()
	}
	// RuleKeys includes version 2's variants of a code ("MTASTS_MX_NOT_COVERED/testing").
	for _, key := range policy.RuleKeys() {
		rule := policy.Rule(key)
		code, variant, _ := strings.Cut(key, "/")
		title := code
		if t, err := b.opt.Texts.Finding(code, nil); err == nil {
			title = t.Title
		}
		if variant != "" {
			title += " (" + strings.ReplaceAll(variant, "_", " ") + ")"
		}
		out.Rules = append(out.Rules, RuleDef{Code: key, Title: title, Severity: rule.Severity.String(), Deduction: rule.Deduction, ForceF: rule.ForceF,
			Effect: ruleEffect(code, rule)})
	}
	sort.SliceStable(out.Rules, func(i, j int) bool {
		ri, rj := out.Rules[i], out.Rules[j]
		if ri.ForceF != rj.ForceF {
			return ri.ForceF
		}
		if ri.Deduction != rj.Deduction {
			return ri.Deduction > rj.Deduction
		}
		return ri.Code < rj.Code
	})
	b.r.Methodology = out
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// ruleEffect says what a rule does to the grade. Some rules carry no
// points yet decide the grade by what they find: a domain with no mail
// host is F, one whose MX lookup failed cannot be graded.
func ruleEffect(code string, r grade.Rule) string {
	switch {
	case code == grade.CodeNoMX:
		return "grades the domain F: mail to it cannot be delivered at all (no points are taken: there is no address to score)"
	case code == grade.CodeMXLookupFailed:
		return "the domain is not graded (?): nothing can be judged without its MX records"
	case code == grade.CodeInconclusive, code == grade.CodePort25Blocked:
		return "the address or domain is not graded (?), never counted as a failure"
	case r.ForceF:
		return "grades F whatever the score, within its scope (address, MX host or domain)"
	case r.Deduction > 0:
		return fmt.Sprintf("%s%d points from every address in its scope", minus, r.Deduction)
	case r.Severity >= grade.High:
		return "no points: reported for its severity; the grade follows from the other findings"
	}
	return "no points: reported for information"
}

// manifest fills the report's manifest: the one recorded when the run
// finished, else the digests of what the database holds now.
func (b *builder) manifest(ctx context.Context, store *db.DB, runID int64) error {
	m, err := store.StoredManifest(ctx, runID)
	sealed := err == nil
	if errors.Is(err, db.ErrNotFound) {
		m, err = store.ComputeManifest(ctx, runID)
	}
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	b.r.Manifest = ManifestInfo{Version: m.Version, RootDigest: m.RootDigest, Sealed: sealed,
		InputSHA256: m.InputSHA256, SettingsSHA256: m.SettingsSHA256, VendorsSHA256: m.VendorsSHA256}
	for _, dd := range m.Domains {
		b.digests[dd.Domain] = dd.Digest
	}
	return nil
}

// TierNumber reads a vendor list's tier as a number: "1", "Tier 2",
// "T3", "tier-1". It is nil for an empty or non-numeric tier ("high").
func TierNumber(tier string) *int {
	s := strings.ToLower(strings.TrimSpace(tier))
	for _, prefix := range []string{"tier", "t"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			s = strings.TrimLeft(rest, " -_:#")
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return nil
	}
	return &n
}

// ExpiredSpan is how long a certificate had been expired, from
// CertView.DaysExpired: "less than a day", "1 day", "12 days".
func ExpiredSpan(days int) string {
	switch {
	case days <= 0:
		return "less than a day"
	case days == 1:
		return "1 day"
	}
	return strconv.Itoa(days) + " days"
}

// vulnViews lists the vulnerability probes' answers in a fixed order.
func vulnViews(v *evidence.Vulns) []VulnView {
	if v == nil {
		return nil
	}
	list := []struct {
		name, cve string
		c         evidence.VulnCheck
	}{
		{"STARTTLS command injection", "CVE-2011-0411", v.STARTTLSInjection},
		{"Heartbleed", "CVE-2014-0160", v.Heartbleed},
		{"CCS injection", "CVE-2014-0224", v.CCSInjection},
		{"ROBOT", "CVE-2017-13099", v.ROBOT},
		{"Insecure renegotiation (no RFC 5746)", "CVE-2009-3555", v.SecureRenegotiation},
		{"Client-initiated renegotiation", "CVE-2011-1473", v.ClientRenegotiation},
		{"TLS compression (CRIME)", "CVE-2012-4929", v.Compression},
	}
	out := make([]VulnView, 0, len(list))
	for _, x := range list {
		out = append(out, VulnView{Name: x.name, CVE: x.cve, Status: string(x.c.Status), Detail: Clean(x.c.Detail)})
	}
	return out
}
