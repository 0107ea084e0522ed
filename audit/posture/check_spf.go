package posture

import (
	"context"
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// RFC 7208 §4.6.4 limits.
const (
	// MaxLookupTerms is the most DNS-lookup terms an evaluation may meet.
	MaxLookupTerms = 10
	// MaxVoidLookups is the most lookups that may find nothing.
	MaxVoidLookups = 2
	// maxMXNames is the most MX names an mx mechanism may resolve.
	maxMXNames = 10
	// maxDepth bounds the include and redirect nesting followed; the term
	// limit makes any deeper chain a permerror anyway.
	maxDepth = MaxLookupTerms + 1
)

// spfWalk follows one domain's SPF record through its includes and
// redirects, counting what RFC 7208 §4.6.4 limits. Unlike a receiver's
// check_host(), which stops at the first match, it visits every term: a
// record is only safe if every path through it stays within the limits.
type spfWalk struct {
	r       Resolver
	res     *evidence.SPF
	budget  int // DNS questions left
	path    []string
	perm    string
	temp    string
	skipped map[string]bool
}

// CheckSPF checks the SPF record of domain (an A-label): it asks the
// domain's TXT records, requires exactly one v=spf1 record (§4.5), parses
// every term, follows include and redirect recursively and counts the
// DNS-lookup terms (more than 10 is a permerror) and the void lookups of
// include, a, mx and exists targets (more than 2 is a permerror). It asks
// at most maxQueries questions (Config.MaxQueries) and stops at ctx's
// deadline; what it could not follow is marked Truncated.
//
// The mx mechanism's MX names are counted (more than 10 is a permerror)
// but their addresses are not resolved, and targets written with macros
// are not followed: both depend on the sender being checked.
func CheckSPF(ctx context.Context, r Resolver, domain string, maxQueries int) *evidence.SPF {
	res := &evidence.SPF{}
	l, txts := r.TXT(ctx, domain)
	res.TXT = l
	switch l.Status {
	case evidence.DNSOK:
	case evidence.DNSNoData, evidence.DNSNXDomain:
		res.Status, res.Reason = evidence.SPFMissing, "the domain publishes no TXT record"
		if l.Status == evidence.DNSNXDomain {
			res.Reason = "the domain does not exist (NXDOMAIN)"
		}
		return res
	default:
		res.Status, res.Reason = evidence.SPFTempError, "the TXT lookup failed ("+string(l.Status)+")"
		return res
	}
	res.Records = spfRecords(txts)
	switch len(res.Records) {
	case 0:
		res.Status, res.Reason = evidence.SPFMissing, "no TXT record begins with v=spf1"
		return res
	case 1:
	default:
		res.Status = evidence.SPFPermError
		res.Reason = fmt.Sprintf("%d records begin with v=spf1; exactly one is allowed (RFC 7208 §4.5)", len(res.Records))
		return res
	}
	res.Record = res.Records[0]
	rec, err := ParseSPF(res.Record)
	if err != nil {
		res.Status, res.Reason = evidence.SPFPermError, err.Error()
		return res
	}
	w := &spfWalk{r: r, res: res, budget: maxQueries, path: []string{domain}, skipped: map[string]bool{}}
	res.All = w.record(ctx, domain, rec, 0)
	if res.Ptr {
		res.Warnings = append(res.Warnings, "the ptr mechanism is used; RFC 7208 §5.5 says it SHOULD NOT be")
	}
	switch {
	case res.Lookups > MaxLookupTerms && w.perm == "":
		w.perm = fmt.Sprintf("%d DNS-lookup terms (include, a, mx, ptr, exists, redirect) counted through includes; at most %d are allowed (RFC 7208 §4.6.4)",
			res.Lookups, MaxLookupTerms)
	case res.VoidLookups > MaxVoidLookups && w.perm == "":
		w.perm = fmt.Sprintf("%d lookups found no record; at most %d are allowed (RFC 7208 §4.6.4)", res.VoidLookups, MaxVoidLookups)
	}
	switch {
	case w.perm != "":
		res.Status, res.Reason = evidence.SPFPermError, w.perm
	case w.temp != "":
		res.Status, res.Reason = evidence.SPFTempError, w.temp
	default:
		res.Status = evidence.SPFValid
	}
	return res
}

// spfRecords returns the TXT records that are SPF records.
func spfRecords(txts []string) []string {
	var out []string
	for _, t := range txts {
		if IsSPF(t) {
			out = append(out, t)
		}
	}
	return out
}

func (w *spfWalk) permerror(format string, args ...any) {
	if w.perm == "" {
		w.perm = fmt.Sprintf(format, args...)
	}
}

func (w *spfWalk) temperror(format string, args ...any) {
	if w.temp == "" {
		w.temp = fmt.Sprintf(format, args...)
	}
}

// spend takes one question from the budget; false when none is left or
// the deadline has passed.
func (w *spfWalk) spend(ctx context.Context) bool {
	if w.budget <= 0 || ctx.Err() != nil {
		w.res.Truncated = true
		return false
	}
	w.budget--
	return true
}

// record visits the terms of domain's record and returns the "all" in
// effect at its end ("" for none).
func (w *spfWalk) record(ctx context.Context, domain string, rec *Record, depth int) string {
	all := ""
	if rec.All >= 0 {
		all = qualified(rec.Terms[rec.All])
		if rec.All < len(rec.Terms)-1 && depth == 0 {
			w.res.Warnings = append(w.res.Warnings, "terms after \"all\" are never evaluated")
		}
	}
	for _, t := range rec.Terms {
		if t.Name == "redirect" && t.Modifier {
			continue // counted and followed below, after every mechanism
		}
		if t.CostsLookup() {
			w.res.Lookups++
		}
		if t.Modifier {
			continue
		}
		if t.Macro {
			w.skip(depth, t)
			continue
		}
		switch t.Name {
		case "include":
			w.follow(ctx, "include", domain, target(t.Value, domain), depth)
		case "a":
			w.void(ctx, target(t.Value, domain), dns.TypeA, dns.TypeAAAA)
		case "exists":
			w.void(ctx, target(t.Value, domain), dns.TypeA)
		case "mx":
			w.mx(ctx, target(t.Value, domain))
		case "ptr":
			w.res.Ptr = true
		}
	}
	if rec.Redirect != "" {
		// §6.1: redirect is ignored when the record has an "all".
		if rec.All >= 0 {
			if depth == 0 {
				w.res.Warnings = append(w.res.Warnings, "redirect is ignored because the record has an \"all\" (RFC 7208 §6.1)")
			}
			return all
		}
		w.res.Lookups++
		if strings.Contains(rec.Redirect, "%") {
			w.skip(depth, Term{Name: "redirect", Modifier: true, Value: rec.Redirect})
			return all
		}
		return w.follow(ctx, "redirect", domain, target(rec.Redirect, domain), depth)
	}
	return all
}

// skip notes, once per term, a term whose target needs macro expansion.
func (w *spfWalk) skip(depth int, t Term) {
	s := t.String()
	if w.skipped[s] {
		return
	}
	w.skipped[s] = true
	w.res.Warnings = append(w.res.Warnings, fmt.Sprintf("%s uses macros and depends on the sender; not followed", s))
}

// qualified writes an "all" directive with its qualifier ("+all" for none).
func qualified(t Term) string { return string(t.Qualifier) + "all" }

// target returns the domain a term names: its domain-spec, or the current
// domain when it names none (a, mx, a/24).
func target(value, current string) string {
	v := strings.TrimPrefix(value, ":")
	if i := strings.IndexByte(v, '/'); i >= 0 {
		v = v[:i]
	}
	if v == "" {
		return current
	}
	return strings.ToLower(strings.TrimSuffix(v, "."))
}

// follow checks the record an include or redirect names and visits it; it
// returns that record's "all" (what a redirect leaves in effect).
func (w *spfWalk) follow(ctx context.Context, term, from, to string, depth int) string {
	for i, p := range w.path {
		if p == to {
			loop := append(append([]string(nil), w.path[i:]...), to)
			w.permerror("%s loop: %s (RFC 7208 §4.6.4)", term, strings.Join(loop, " -> "))
			return ""
		}
	}
	if depth+1 > maxDepth {
		w.permerror("%s nesting deeper than %d records", term, maxDepth)
		return ""
	}
	if !w.spend(ctx) {
		return ""
	}
	l, txts := w.r.TXT(ctx, to)
	inc := evidence.SPFInclude{Term: term, Domain: to, From: from, Status: l.Status}
	idx := len(w.res.Includes)
	w.res.Includes = append(w.res.Includes, inc)
	set := func(msg string) { w.res.Includes[idx].Error = msg }
	switch l.Status {
	case evidence.DNSOK:
	case evidence.DNSNoData, evidence.DNSNXDomain:
		w.res.VoidLookups++
		set("no SPF record (" + string(l.Status) + ")")
		// §5.2 and §6.1: a target without a record is a permerror.
		w.permerror("%s:%s names a domain without an SPF record (%s)", term, to, l.Status)
		return ""
	default:
		set("lookup " + string(l.Status))
		w.temperror("the TXT lookup of %s:%s failed (%s)", term, to, l.Status)
		return ""
	}
	recs := spfRecords(txts)
	switch len(recs) {
	case 0:
		set("no TXT record begins with v=spf1")
		w.permerror("%s:%s names a domain without an SPF record", term, to)
		return ""
	case 1:
	default:
		set(fmt.Sprintf("%d v=spf1 records", len(recs)))
		w.permerror("%s:%s has %d SPF records; exactly one is allowed (RFC 7208 §4.5)", term, to, len(recs))
		return ""
	}
	w.res.Includes[idx].Record = recs[0]
	rec, err := ParseSPF(recs[0])
	if err != nil {
		set(err.Error())
		w.permerror("%s:%s: %v", term, to, err)
		return ""
	}
	w.path = append(w.path, to)
	defer func() { w.path = w.path[:len(w.path)-1] }()
	return w.record(ctx, to, rec, depth+1)
}

// void asks the address questions of an a or exists target and counts a
// void lookup when none has a record.
func (w *spfWalk) void(ctx context.Context, name string, types ...uint16) {
	found := false
	for _, t := range types {
		if !w.spend(ctx) {
			return
		}
		l, _ := w.r.Query(ctx, name, t)
		switch l.Status {
		case evidence.DNSOK:
			found = true
		case evidence.DNSNoData, evidence.DNSNXDomain:
		default:
			w.temperror("the %s lookup of %s failed (%s)", l.Type, name, l.Status)
			return
		}
	}
	if !found {
		w.res.VoidLookups++
	}
}

// mx asks the MX question of an mx target: no record is a void lookup,
// more than 10 names a permerror (§4.6.4).
func (w *spfWalk) mx(ctx context.Context, name string) {
	if !w.spend(ctx) {
		return
	}
	l, rrs := w.r.Query(ctx, name, dns.TypeMX)
	switch l.Status {
	case evidence.DNSOK:
		if len(rrs) > maxMXNames {
			w.permerror("mx:%s has %d MX records; at most %d may be looked up (RFC 7208 §4.6.4)", name, len(rrs), maxMXNames)
		}
	case evidence.DNSNoData, evidence.DNSNXDomain:
		w.res.VoidLookups++
	default:
		w.temperror("the MX lookup of %s failed (%s)", name, l.Status)
	}
}
