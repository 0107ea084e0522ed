package report

import "fmt"

// domainSource reads the domain views of a built report from the database,
// one at a time.
type domainSource struct {
	count int
	// each calls fn with every view, in domain order.
	each func(fn func(*DomainView) error) error
	// named reads one domain's view; ok is false when the run has no such domain.
	named func(name string) (dv *DomainView, ok bool, err error)
	// raw, when set, calls fn with each view's JSON report element, as
	// WriteJSON writes it, in domain order (spooled by Build's pass).
	raw func(fn func(elem []byte) error) error
	// mx, when set, calls fn with every MX address row (EachMXAddress),
	// and mxCount is their number; nil when the rows are made from the views.
	mx      func(fn func(*MXAddress) error) error
	mxCount func() int
	// release, when set, frees what the source reads besides the store
	// (the builder's spool); the report's rows may share it.
	release func() error
}

// EachDomain calls fn with each domain's view, in domain order. A report
// built from the database decodes one domain at a time, so fn must not
// keep the pointer past its call unless it copies the view. An error from
// fn stops the walk and is returned.
func (r *Report) EachDomain(fn func(*DomainView) error) error {
	if r.source != nil {
		return r.source.each(fn)
	}
	for i := range r.Domains {
		if err := fn(&r.Domains[i]); err != nil {
			return err
		}
	}
	return nil
}

// DomainNamed returns the view of one domain; ok is false when the report
// has no such domain.
func (r *Report) DomainNamed(name string) (dv *DomainView, ok bool, err error) {
	if r.source != nil {
		return r.source.named(name)
	}
	for i := range r.Domains {
		if r.Domains[i].Domain == name {
			return &r.Domains[i], true, nil
		}
	}
	return nil, false, nil
}

// DomainCount is the number of domain views EachDomain yields.
func (r *Report) DomainCount() int {
	if r.source != nil {
		return r.source.count
	}
	return len(r.Domains)
}

// LoadDomains reads every domain view of a built report into Domains, for
// callers that want the whole report in memory: a single-domain scan,
// tests, and programs that edit a report before rendering it. It is a
// no-op for a report whose views are in memory already.
func (r *Report) LoadDomains() error {
	if r.source == nil {
		return nil
	}
	out := make([]DomainView, 0, r.source.count)
	if err := r.source.each(func(dv *DomainView) error {
		out = append(out, *dv)
		return nil
	}); err != nil {
		return fmt.Errorf("load domain views: %w", err)
	}
	src := r.source
	r.Domains, r.source, r.probes = out, nil, nil
	if r.rows == nil && src.release != nil {
		return src.release()
	}
	return nil
}
