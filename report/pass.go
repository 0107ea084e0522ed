package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
)

// prepared is what a worker of Build's pass makes of one stored domain,
// beside the builder's sequential state: the domain's view as the JSON
// report writes it, and its MX address rows, encoded once so that no
// reader decodes the domain's evidence again.
type prepared struct {
	ref  domainRef
	elem []byte
	// mx are the domain's MX address rows (MXAddress, probes left out);
	// nil when the run's probes have no stored keys (evidence stored
	// whole), whose rows are made from the views instead.
	mx [][]byte
}

// passContext is what the workers read of the builder: set before the
// pass, read-only during it.
type passContext struct {
	store    *db.DB
	listName string
	baseID   *int64
}

// prepare makes the view of one stored domain and encodes it; it runs on
// the pass's workers, concurrently, so it reads only what the builder
// fixed before the pass (the vendors, inputs and digests of the domains,
// the report's probe source) and writes nothing shared.
func (b *builder) prepare(ctx context.Context, pc passContext, s db.StoredDomain) (prepared, error) {
	n := s.Domain
	p := prepared{ref: domainRef{Input: b.inputOf[n], Vendors: b.vendorsOf[n], Digest: b.digests[n]}}
	// A domain this run could not audit shows its last audited grade, as
	// carry finds it for the domains not stored.
	if pc.baseID != nil && s.Grade.Grade == grade.GradeInconclusive {
		last, err := pc.store.LastAudited(ctx, n, pc.listName, *pc.baseID)
		switch {
		case errors.Is(err, db.ErrNotFound):
		case err != nil:
			return p, err
		default:
			p.ref.Carried = &Carried{Run: last.Run, Date: last.RunDate.UTC().Format(time.DateOnly), Grade: string(last.Grade.Grade)}
		}
	}
	dv := view(b.opt, s, p.ref)
	enc, err := json.Marshal(b.r.withProbeRefs(&dv))
	if err != nil {
		return p, fmt.Errorf("encode view: %w", err)
	}
	p.elem = escapeUnsafeRunes(enc)
	if b.r.probes == nil {
		return p, nil
	}
	p.mx = [][]byte{}
	err = mxRowsOf(&dv, func(row *MXAddress) error {
		enc, err := json.Marshal(row)
		if err != nil {
			return fmt.Errorf("encode MX row: %w", err)
		}
		p.mx = append(p.mx, enc)
		return nil
	})
	return p, err
}

// consume is the sequential half of the pass: the builder's state of one
// domain (domain), and what prepare made of it written to the spool, in
// domain order.
func (b *builder) consume(ctx context.Context, s db.StoredDomain, p prepared) error {
	if err := b.domain(ctx, s); err != nil {
		return err
	}
	if s.Grade.Grade == grade.GradeInconclusive && b.passBase {
		b.carried[s.Domain] = p.ref.Carried
	}
	if err := b.sp.putRef(ctx, s.Domain, &p.ref); err != nil {
		return err
	}
	if err := b.sp.putDomainView(ctx, s.Domain, p.elem); err != nil {
		return err
	}
	for _, row := range p.mx {
		if err := b.sp.putMXRow(ctx, row); err != nil {
			return err
		}
	}
	return nil
}

// mxRowsOf calls fn with each MX address row of one domain view, in its
// MX order, then in each host's address order (EachMXAddress).
func mxRowsOf(d *DomainView, fn func(*MXAddress) error) error {
	for i := range d.MX {
		mx := &d.MX[i]
		row := MXAddress{Domain: d.Domain, Vendors: d.Vendors, Host: mx.Host, Preference: mx.Preference,
			MXGrade: mx.Grade, MXDANE: mx.DANE}
		if len(mx.Addresses) == 0 {
			if err := fn(&row); err != nil {
				return err
			}
			continue
		}
		for j := range mx.Addresses {
			a := mx.Addresses[j]
			row.Address = &a
			if err := fn(&row); err != nil {
				return err
			}
		}
	}
	return nil
}

// probeCacheSize bounds the probe views a built report keeps to join
// back into the views and rows it reads from its spool: a run's shared
// provider addresses are met again and again, its single-tenant ones
// once, so a bounded cache serves most lookups whatever the run's size.
const probeCacheSize = 2048

// probeJoin puts back into the views and rows read from the spool the
// probes their ProbeRef names, read from the run's stored address
// evidence through a bounded cache. Safe for concurrent use (the formats
// render side by side).
type probeJoin struct {
	ctx   context.Context
	store *db.DB
	runID int64
	cache *lru.Cache[string, *ProbeView]
}

func newProbeJoin(ctx context.Context, store *db.DB, runID int64) *probeJoin {
	c, err := lru.New[string, *ProbeView](probeCacheSize)
	if err != nil {
		// Only a size below one is refused.
		panic(fmt.Sprintf("report: probe cache: %v", err))
	}
	return &probeJoin{ctx: ctx, store: store, runID: runID, cache: c}
}

// probe is the probe view ref names (shared: read-only to the caller).
func (pj *probeJoin) probe(ref string) (*ProbeView, error) {
	if pv, ok := pj.cache.Get(ref); ok {
		return pv, nil
	}
	var out *ProbeView
	err := pj.store.EachAddressEvidence(pj.ctx, pj.runID, []string{ref}, func(key string, a *evidence.Address) error {
		pv := ProbeViewOf(a, key)
		out = &pv
		return nil
	})
	if err != nil {
		return nil, err
	}
	pj.cache.Add(ref, out)
	return out, nil
}

// join sets the probe of one address view read back from the spool, as
// view made it (addressView): none for an address the evidence lacks.
func (pj *probeJoin) join(av *AddressView) error {
	if av.ProbeRef == "" {
		av.ProbeView = ProbeView{IP: av.IP, Versions: []VersionView{}}
		return nil
	}
	pv, err := pj.probe(av.ProbeRef)
	if err != nil {
		return err
	}
	if pv.IP != av.IP {
		return fmt.Errorf("probe %s is a probe of %s, not %s", av.ProbeRef, pv.IP, av.IP)
	}
	av.ProbeView = *pv
	av.applyHandshakeVerdict()
	return nil
}

// domainView decodes one spooled view element and joins its probes.
func (pj *probeJoin) domainView(elem []byte) (*DomainView, error) {
	var dv DomainView
	if err := json.Unmarshal(elem, &dv); err != nil {
		return nil, fmt.Errorf("report spool: %w", err)
	}
	for i := range dv.MX {
		for j := range dv.MX[i].Addresses {
			if err := pj.join(&dv.MX[i].Addresses[j]); err != nil {
				return nil, fmt.Errorf("%s %s: %w", dv.Domain, dv.MX[i].Host, err)
			}
		}
	}
	return &dv, nil
}
