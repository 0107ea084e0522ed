package report

// RiskLess is riskLess, for the external tests of the vendor order.
func RiskLess(a, b VendorRow) bool { return riskLess(a, b) }
