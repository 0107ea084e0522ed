package report

import (
	"context"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/templates"
)

// RiskLess is riskLess, for the external tests of the vendor order.
func RiskLess(a, b VendorRow) bool { return riskLess(a, b) }

// EvidenceViews makes a built report serve its domain views and MX rows
// as before Build's pass spooled them: made again from the store's
// evidence, and encoded by the JSON writer. It is the reference the
// spooled path is compared with.
func EvidenceViews(ctx context.Context, r *Report, store *db.DB, opt Options) {
	if opt.Texts == nil {
		opt.Texts, _ = templates.Default()
	}
	src := domainsFromSpool(ctx, store, r.Run.ID, r.rows.(*spool), opt, r.source.count, false)
	src.raw = nil
	r.source = src
}
