package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
)

// A run's domains share a few hundred provider addresses: in the
// 10,000-domain benchmark 309 addresses serve ~100 domains each, and each
// probe (versions and suites, certificates, vulnerabilities, transcript)
// is some 40 KB of JSON. The JSON report and the workbook's cipher-suite
// sheet therefore show each distinct probe once (EachProbe) and the
// domains name it (AddressView.ProbeRef).

// probeSource reads the distinct probes of a built report from the
// database, once each.
type probeSource struct {
	count int
	each  func(fn func(*ProbeView) error) error
}

// EachProbe calls fn with each distinct probe the report's address views
// rest on, once, in ref order (a report built from a run stored before
// address evidence was stored apart: in the order the domains first name
// them). fn must not keep the pointer past its call unless it copies the
// view, nor change it. Returning ErrStop ends the walk without error.
//
// A built report reads the probes from the run's stored address evidence,
// never walking the domains; other reports collect them from their domain
// views. Memory is bounded by the run's addresses, not its domains.
func (r *Report) EachProbe(fn func(*ProbeView) error) error {
	if r.probes != nil {
		return stopped(r.probes.each(fn))
	}
	if r.source != nil {
		// Evidence stored whole has no stored keys: each view's probe is
		// named by its digest, and written the first time a domain names it.
		seen := map[string]bool{}
		return stopped(r.source.each(func(dv *DomainView) error {
			for i := range dv.MX {
				for j := range dv.MX[i].Addresses {
					av := &dv.MX[i].Addresses[j]
					ref := r.ProbeRefOf(av)
					if ref == "" || seen[ref] {
						continue
					}
					seen[ref] = true
					pv := probeOf(av, ref)
					if err := fn(&pv); err != nil {
						return err
					}
				}
			}
			return nil
		}))
	}
	byRef := map[string]*AddressView{}
	for d := range r.Domains {
		for i := range r.Domains[d].MX {
			for j := range r.Domains[d].MX[i].Addresses {
				av := &r.Domains[d].MX[i].Addresses[j]
				if ref := r.ProbeRefOf(av); ref != "" && byRef[ref] == nil {
					byRef[ref] = av
				}
			}
		}
	}
	refs := make([]string, 0, len(byRef))
	for ref := range byRef {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		pv := probeOf(byRef[ref], ref)
		if err := fn(&pv); err != nil {
			return stopped(err)
		}
	}
	return nil
}

// probeOf is the probe of av, named ref, as the probes list shows it.
func probeOf(av *AddressView, ref string) ProbeView {
	pv := av.ProbeView
	pv.Ref, pv.IP = ref, av.IP
	return pv
}

// ProbeRefOf is the ref under which EachProbe lists av's probe: the
// stored evidence's digest when the view has one (AddressView.ProbeRef);
// "" for an address without evidence in a report whose probes come from
// the database (it names no probe); otherwise the digest of the probe
// view itself, so a report made in memory names each distinct probe too.
// Renderers that name probes (the JSON, the workbook) use it.
func (r *Report) ProbeRefOf(av *AddressView) string {
	if av.ProbeRef != "" || r.probes != nil {
		return av.ProbeRef
	}
	pv := probeOf(av, "")
	b, err := json.Marshal(&pv)
	if err != nil {
		return "" // a ProbeView holds only encodable fields
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// withProbeRefs returns dv with every address view's ProbeRef set as
// ProbeRefOf says: dv itself when they all are already, else a copy (the
// caller's view is left as it was).
func (r *Report) withProbeRefs(dv *DomainView) *DomainView {
	same := true
	for i := range dv.MX {
		for j := range dv.MX[i].Addresses {
			av := &dv.MX[i].Addresses[j]
			if r.ProbeRefOf(av) != av.ProbeRef {
				same = false
			}
		}
	}
	if same {
		return dv
	}
	cp := *dv
	cp.MX = make([]MXView, len(dv.MX))
	for i := range dv.MX {
		cp.MX[i] = dv.MX[i]
		cp.MX[i].Addresses = make([]AddressView, len(dv.MX[i].Addresses))
		for j := range dv.MX[i].Addresses {
			av := dv.MX[i].Addresses[j]
			av.ProbeRef = r.ProbeRefOf(&av)
			cp.MX[i].Addresses[j] = av
		}
	}
	return &cp
}

// joinProbes puts back into every address view of r.Domains the probe its
// ProbeRef names in r.Probes (a report read from JSON), and empties
// r.Probes: the views hold them from then on, as in a built report.
func (r *Report) joinProbes() error {
	byRef := make(map[string]*ProbeView, len(r.Probes))
	for i := range r.Probes {
		p := &r.Probes[i]
		if p.Versions == nil {
			p.Versions = []VersionView{}
		}
		byRef[p.Ref] = p
	}
	for d := range r.Domains {
		dv := &r.Domains[d]
		for i := range dv.MX {
			for j := range dv.MX[i].Addresses {
				av := &dv.MX[i].Addresses[j]
				if av.ProbeRef == "" {
					av.ProbeView = ProbeView{IP: av.IP, Versions: []VersionView{}}
					continue
				}
				p, ok := byRef[av.ProbeRef]
				if !ok {
					return fmt.Errorf("%s %s %s: probe_ref %s names no probe", dv.Domain, dv.MX[i].Host, av.IP, av.ProbeRef)
				}
				if p.IP != av.IP {
					return fmt.Errorf("%s %s %s: probe_ref %s is a probe of %s", dv.Domain, dv.MX[i].Host, av.IP, av.ProbeRef, p.IP)
				}
				av.ProbeView = *p
				av.applyHandshakeVerdict()
			}
		}
	}
	r.Probes = nil
	return nil
}
