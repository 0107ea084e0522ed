package report

// MXAddress is one row of the per-address table the workbook's MX sheet
// (and any other per-address listing) shows: an address of one MX host
// of one domain, with the host's and the domain's facts repeated beside
// it. A host without an address is one row whose Address is nil, so a
// name that cannot receive mail stays visible.
type MXAddress struct {
	Domain     string
	Vendors    []string
	Host       string
	Preference uint16
	// MXGrade and MXDANE are the host's grade and DANE outcome (MXView).
	MXGrade string
	MXDANE  string
	// Address is the address's view with its probe (ProbeRef set); nil
	// for a host without an address.
	Address *AddressView
}

// EachMXAddress calls fn with every MX address row, in domain order, then
// in each domain's MX order, then in each host's address order. Like the
// other iterators, fn must not keep the pointer past its call; ErrStop
// ends the walk without error.
func (r *Report) EachMXAddress(fn func(*MXAddress) error) error {
	if r.source != nil && r.source.mx != nil {
		// A built report's rows, spooled when its domains were decoded.
		return stopped(r.source.mx(fn))
	}
	err := r.EachDomain(func(d *DomainView) error {
		return mxRowsOf(d, func(row *MXAddress) error {
			if row.Address != nil {
				row.Address.ProbeRef = r.ProbeRefOf(row.Address)
			}
			return fn(row)
		})
	})
	return stopped(err)
}

// MXAddressCount is the number of rows EachMXAddress yields.
func (r *Report) MXAddressCount() (int, error) {
	if r.source != nil && r.source.mxCount != nil {
		return r.source.mxCount(), nil
	}
	n := 0
	err := r.EachDomain(func(d *DomainView) error {
		for i := range d.MX {
			n += max(1, len(d.MX[i].Addresses))
		}
		return nil
	})
	return n, err
}
