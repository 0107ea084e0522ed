package report

// SuiteRowCount is the number of cipher suites over the distinct probes
// EachProbe yields (each probe's suites, version by version): the rows of
// a table that lists every probe's suites once, such as the workbook's
// Cipher suites sheet, which must know its size before it writes a row.
//
// It walks the probes, whose number is bounded by the run's distinct
// addresses (a few hundred provider addresses serve most domains), never
// the domains.
func (r *Report) SuiteRowCount() (int, error) {
	n := 0
	err := r.EachProbe(func(p *ProbeView) error {
		for i := range p.Versions {
			n += len(p.Versions[i].Suites)
		}
		return nil
	})
	return n, err
}
