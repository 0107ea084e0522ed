package pdf

// summaryChangesShown is how many vendor change sentences head the
// changes section, worst first; its table has every change.
const summaryChangesShown = 4

// vendorChanges lists, at the head of the changes section, each vendor's
// change since the base run in the model's plain sentence ("Fabrikam Labs
// dropped from A- to F: SSLv3 turned on"), worst first, never a code.
func (d *reportDoc) vendorChanges() {
	vcs := d.r.VendorChanges
	if d.r.Base == nil || len(vcs) == 0 {
		return
	}
	var items []string
	for _, vc := range vcs[:min(len(vcs), summaryChangesShown)] {
		items = append(items, vc.Text)
	}
	d.para(sSmallBold, d.text("summary.changes_title", d.data()))
	d.bullets(sSmall, items)
	if n := len(vcs) - summaryChangesShown; n > 0 {
		d.para(sSmall, d.text("summary.changes_more", d.data("More", n)))
	}
	d.gap(1)
}
