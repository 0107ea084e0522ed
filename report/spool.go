package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/programme"
	_ "modernc.org/sqlite" // the spool is a scratch SQLite database
)

// A spool is the scratch database a report built from the database keeps
// its rows in (vendor rows, findings, changes, vendor changes, the
// control matrix) and what it needs of each domain to make its view
// again: a 100,000-domain run's rows do not fit in a bounded memory. It
// lives in its own temporary directory, is written once while the report
// is built (one transaction) and read by the iterators afterwards; Close
// removes it. It holds copies of what the run's database holds, so
// nothing is lost if it is: durability is switched off (no journal, no
// sync) and each connection's page cache is bounded.
type spool struct {
	db  *sql.DB
	dir string
	// tx is the transaction the builder writes in; nil once committed.
	tx *sql.Tx
	// closed is set once the spool is removed (close may be called by the
	// rows and the domain views that share it).
	closed bool

	vendorsN, changesN, vendorChangesN, controlsN, findingsN int
	// mxRowsN counts the MX address rows written (putMXRow).
	mxRowsN int
	// seq numbers the rows written, in the order they were made.
	seq int64
}

// spoolCacheKiB bounds each connection's page cache (SQLite's
// cache_size in KiB when negative): the spool's reads are sequential
// scans of an index, which gain little from a larger cache.
const spoolCacheKiB = 4096

const spoolSchema = `
CREATE TABLE vendors(seq INTEGER PRIMARY KEY, regressed INT, rank INT, vlower TEXT, vendor TEXT, domain TEXT,
	owner TEXT, olast INT, olower TEXT, tiern INT, body BLOB);
CREATE INDEX vendors_domain ON vendors(domain);
CREATE TABLE findings_stage(seq INTEGER PRIMARY KEY, sev INT, domain TEXT, body BLOB);
CREATE INDEX findings_stage_order ON findings_stage(sev DESC, domain, seq);
CREATE TABLE findings(pos INTEGER PRIMARY KEY, sev INT, domain TEXT, code TEXT, open INT, accepted INT, overdue INT, body BLOB);
CREATE TABLE owners(domain TEXT PRIMARY KEY, owner TEXT, olast INT, olower TEXT, tier INT, tlast INT) WITHOUT ROWID;
CREATE TABLE changes(seq INTEGER PRIMARY KEY, grp INT, nbad INT, domain TEXT, ord INT, body BLOB);
CREATE TABLE vendor_changes(seq INTEGER PRIMARY KEY, body BLOB);
CREATE TABLE controls(seq INTEGER PRIMARY KEY, body BLOB);
CREATE TABLE domains(domain TEXT PRIMARY KEY, seq INT, body BLOB) WITHOUT ROWID;
CREATE TABLE views(domain TEXT PRIMARY KEY, body BLOB) WITHOUT ROWID;
CREATE TABLE dviews(seq INTEGER PRIMARY KEY, domain TEXT, body BLOB);
CREATE TABLE mxrows(seq INTEGER PRIMARY KEY, body BLOB);
CREATE TABLE facts(domain TEXT PRIMARY KEY, grade TEXT, body BLOB) WITHOUT ROWID;
`

// spoolIndexes are made once the rows are written (cheaper than keeping
// them up to date row by row): one per order the iterators serve.
const spoolIndexes = `
CREATE INDEX vendors_risk ON vendors(regressed DESC, rank, vlower, vendor, domain, seq);
CREATE INDEX vendors_owner ON vendors(olast, olower, regressed DESC, rank, vlower, vendor, domain, seq);
CREATE INDEX vendors_vendor ON vendors(vendor);
CREATE INDEX findings_domain ON findings(domain, pos);
CREATE INDEX findings_code ON findings(code, pos);
CREATE INDEX findings_deadline ON findings(overdue DESC, domain, sev DESC, pos);
CREATE INDEX changes_order ON changes(grp, nbad, domain, ord);
CREATE INDEX dviews_domain ON dviews(domain);
`

// newSpool makes an empty spool in a new directory under os.TempDir.
func newSpool(ctx context.Context) (sp *spool, err error) {
	dir, err := os.MkdirTemp("", "mxaudit-spool-")
	if err != nil {
		return nil, fmt.Errorf("report spool: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	q := url.Values{}
	q.Add("_pragma", "journal_mode(OFF)")
	q.Add("_pragma", "synchronous(OFF)")
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", spoolCacheKiB))
	q.Add("_pragma", "temp_store(FILE)")
	u := url.URL{Scheme: "file", Path: filepath.Join(dir, "spool.db"), RawQuery: q.Encode()}
	sdb, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("report spool: %w", err)
	}
	// A reader may walk one order while its callback reads another (a
	// letter reads its domain's rows and findings inside the walk of the
	// vendor table), and the formats are rendered side by side: the
	// connections are not capped, so nested walks never wait on each
	// other; few stay idle, each with its bounded cache.
	sdb.SetMaxIdleConns(4)
	sp = &spool{db: sdb, dir: dir}
	if _, err := sdb.ExecContext(ctx, spoolSchema); err != nil {
		_ = sdb.Close()
		return nil, fmt.Errorf("report spool schema: %w", err)
	}
	if sp.tx, err = sdb.BeginTx(ctx, nil); err != nil {
		_ = sdb.Close()
		return nil, fmt.Errorf("report spool: %w", err)
	}
	return sp, nil
}

// exec runs a write in the builder's transaction.
func (sp *spool) exec(ctx context.Context, query string, args ...any) error {
	if _, err := sp.tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return nil
}

// next is the next row sequence number.
func (sp *spool) next() int64 {
	sp.seq++
	return sp.seq
}

// finish indexes the rows and commits them; the spool is read-only after.
func (sp *spool) finish(ctx context.Context) error {
	if err := sp.exec(ctx, spoolIndexes); err != nil {
		return err
	}
	err := sp.tx.Commit()
	sp.tx = nil
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return nil
}

// close removes the spool.
func (sp *spool) close() error {
	if sp.closed {
		return nil
	}
	sp.closed = true
	if sp.tx != nil {
		_ = sp.tx.Rollback()
		sp.tx = nil
	}
	err := sp.db.Close()
	if rerr := os.RemoveAll(sp.dir); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return nil
}

// querier is what reads run through: the builder's transaction while the
// report is built, the database after.
func (sp *spool) querier() interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
} {
	if sp.tx != nil {
		return sp.tx
	}
	return sp.db
}

// eachBody decodes the body of each row a query yields into a new T and
// calls fn with it.
func eachBody[T any](sp *spool, query string, args []any, fn func(*T) error) error {
	ctx := context.Background()
	rows, err := sp.querier().QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	defer rows.Close()
	var body []byte
	for rows.Next() {
		if err := rows.Scan(&body); err != nil {
			return fmt.Errorf("report spool: %w", err)
		}
		var v T
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("report spool: %w", err)
		}
		if err := fn(&v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return nil
}

// putVendor writes one vendor row with its order keys (riskLess, ownerLess).
func (sp *spool) putVendor(ctx context.Context, v *VendorRow) error {
	tiern := programme.TierNumber(v.Tier)
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	sp.vendorsN++
	return sp.exec(ctx, `INSERT INTO vendors(seq, regressed, rank, vlower, vendor, domain, owner, olast, olower, tiern, body)
		VALUES(?,?,?,?,?,?,?,?,?,?,?)`,
		sp.next(), v.Regressed, riskRank(*v), strings.ToLower(v.Vendor), v.Vendor, v.Domain, v.Owner, v.Owner == "", strings.ToLower(v.Owner), tiern, body)
}

const vendorRiskOrder = ` ORDER BY regressed DESC, rank, vlower, vendor, domain, seq`

// owners records each domain's owner (the owner of its first vendor row
// that has one, in risk order) and tier (the smallest numbered tier of its
// rows), the keys of the ByDeadline order; called once the vendor rows
// are written.
func (sp *spool) owners(ctx context.Context) error {
	return sp.exec(ctx, `INSERT INTO owners(domain, owner, olast, olower, tier, tlast)
		SELECT domain, o, o = '', lower_o, t, t = 0 FROM (
			SELECT d.domain,
				coalesce((SELECT v.owner FROM vendors v WHERE v.domain = d.domain AND v.owner <> ''`+vendorRiskOrder+` LIMIT 1), '') AS o,
				coalesce((SELECT v.olower FROM vendors v WHERE v.domain = d.domain AND v.owner <> ''`+vendorRiskOrder+` LIMIT 1), '') AS lower_o,
				coalesce((SELECT min(v.tiern) FROM vendors v WHERE v.domain = d.domain AND v.tiern > 0), 0) AS t
			FROM (SELECT DISTINCT domain FROM vendors) d)`)
}

// putFinding stages one worded finding, before the programme judges it
// (finishFindings).
func (sp *spool) putFinding(ctx context.Context, f *Finding) error {
	body, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return sp.exec(ctx, `INSERT INTO findings_stage(seq, sev, domain, body) VALUES(?,?,?,?)`, sp.next(), f.SeverityNum, f.Domain, body)
}

// finishFindings reads the staged findings in the model's order (most
// severe first, then by domain, then as made), lets judge set each one's
// programme status, and writes them with their position and the keys of
// the other orders.
func (sp *spool) finishFindings(ctx context.Context, judge func(*Finding)) error {
	// Read in batches (keyset pagination on the staging index) and written
	// between them, so no read is open on the transaction while it writes.
	const batch = 2048
	type key struct {
		sev    int
		domain string
		seq    int64
	}
	var last *key
	type staged struct {
		k    key
		body []byte
	}
	buf := make([]staged, 0, batch)
	for {
		buf = buf[:0]
		var rows *sql.Rows
		var err error
		const cols = `SELECT sev, domain, seq, body FROM findings_stage`
		const order = ` ORDER BY sev DESC, domain, seq LIMIT ?`
		if last == nil {
			rows, err = sp.tx.QueryContext(ctx, cols+order, batch)
		} else {
			rows, err = sp.tx.QueryContext(ctx, cols+` WHERE sev < ? OR (sev = ? AND (domain > ? OR (domain = ? AND seq > ?)))`+order,
				last.sev, last.sev, last.domain, last.domain, last.seq, batch)
		}
		if err != nil {
			return fmt.Errorf("report spool: %w", err)
		}
		for rows.Next() {
			var s staged
			if err := rows.Scan(&s.k.sev, &s.k.domain, &s.k.seq, &s.body); err != nil {
				rows.Close()
				return fmt.Errorf("report spool: %w", err)
			}
			buf = append(buf, s)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("report spool: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("report spool: %w", err)
		}
		if len(buf) == 0 {
			// The staging copy is no longer needed: its pages are reused
			// by the rows written after it, so the spool stays smaller.
			return sp.exec(ctx, `DROP TABLE findings_stage`)
		}
		for i := range buf {
			var f Finding
			if err := json.Unmarshal(buf[i].body, &f); err != nil {
				return fmt.Errorf("report spool: %w", err)
			}
			judge(&f)
			body, err := json.Marshal(&f)
			if err != nil {
				return fmt.Errorf("report spool: %w", err)
			}
			sp.findingsN++
			if err := sp.exec(ctx, `INSERT INTO findings(pos, sev, domain, code, open, accepted, overdue, body) VALUES(?,?,?,?,?,?,?,?)`,
				sp.findingsN, f.SeverityNum, f.Domain, f.Code, f.SeverityNum > 0 && !f.Accepted(), f.Accepted(), f.Overdue, body); err != nil {
				return err
			}
		}
		k := buf[len(buf)-1].k
		last = &k
	}
}

// putChange writes one change: group 0 holds the exceptions that ended
// (ord orders them), group 1 the run's changes, bad first, then by domain.
func (sp *spool) putChange(ctx context.Context, grp int, ord int64, c *Change) error {
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	sp.changesN++
	return sp.exec(ctx, `INSERT INTO changes(seq, grp, nbad, domain, ord, body) VALUES(?,?,?,?,?,?)`, sp.next(), grp, !c.Bad, c.Domain, ord, body)
}

// putBody writes one row of a table served in the order written
// (vendor_changes, controls).
func (sp *spool) putBody(ctx context.Context, table string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return sp.exec(ctx, `INSERT INTO `+table+`(seq, body) VALUES(?,?)`, sp.next(), body)
}

// domainRef is what a domain's view needs besides its stored evidence:
// how the list wrote it, its vendors, its evidence digest and the grade
// carried for it.
type domainRef struct {
	Input   string   `json:"input,omitempty"`
	Vendors []string `json:"vendors"`
	Digest  string   `json:"digest,omitempty"`
	Carried *Carried `json:"carried,omitempty"`
}

func (sp *spool) putRef(ctx context.Context, domain string, ref *domainRef) error {
	body, err := json.Marshal(ref)
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return sp.exec(ctx, `INSERT OR REPLACE INTO views(domain, body) VALUES(?,?)`, domain, body)
}

// ref reads a domain's domainRef; ok is false for a domain the run did not store.
func (sp *spool) ref(ctx context.Context, domain string) (ref domainRef, ok bool, err error) {
	var body []byte
	err = sp.querier().QueryRowContext(ctx, `SELECT body FROM views WHERE domain = ?`, domain).Scan(&body)
	if err == sql.ErrNoRows {
		return ref, false, nil
	}
	if err != nil {
		return ref, false, fmt.Errorf("report spool: %w", err)
	}
	if err := json.Unmarshal(body, &ref); err != nil {
		return ref, false, fmt.Errorf("report spool: %w", err)
	}
	return ref, true, nil
}

// putProg keeps what the programme needs of one domain (progDomain).
func (sp *spool) putProg(ctx context.Context, domain string, d *progDomain) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return sp.exec(ctx, `INSERT OR REPLACE INTO domains(domain, seq, body) VALUES(?,?,?)`, domain, sp.next(), body)
}

// eachProg calls fn with each domain's progDomain, in the order stored.
func (sp *spool) eachProg(ctx context.Context, fn func(domain string, d *progDomain) error) error {
	rows, err := sp.querier().QueryContext(ctx, `SELECT domain, body FROM domains ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var body []byte
		if err := rows.Scan(&name, &body); err != nil {
			return fmt.Errorf("report spool: %w", err)
		}
		var d progDomain
		if err := json.Unmarshal(body, &d); err != nil {
			return fmt.Errorf("report spool: %w", err)
		}
		if err := fn(name, &d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return nil
}

// prog reads one domain's progDomain; ok is false for a domain not stored.
func (sp *spool) prog(ctx context.Context, domain string) (*progDomain, bool, error) {
	return spoolBody[progDomain](ctx, sp, `SELECT body FROM domains WHERE domain = ?`, domain)
}

// spoolBody reads and decodes the JSON body query selects for domain; ok
// is false when no row matches.
func spoolBody[T any](ctx context.Context, sp *spool, query, domain string) (*T, bool, error) {
	var body []byte
	err := sp.querier().QueryRowContext(ctx, query, domain).Scan(&body)
	if err == sql.ErrNoRows {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("report spool: %w", err)
	}
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, false, fmt.Errorf("report spool: %w", err)
	}
	return &v, true, nil
}

// The rowSource of a built report.

func (sp *spool) vendors(q VendorQuery, fn func(*VendorRow) error) error {
	// Only the filters asked for, so a domain's or a vendor's rows are
	// read through their index (a tracker asks once per finding).
	where := []string{"1"}
	var args []any
	if q.Domain != "" {
		where, args = append(where, "domain = ?"), append(args, q.Domain)
	}
	if q.Vendor != "" {
		where, args = append(where, "vendor = ?"), append(args, q.Vendor)
	}
	query := `SELECT body FROM vendors WHERE ` + strings.Join(where, " AND ")
	if q.Order == ByOwner {
		query += ` ORDER BY olast, olower, regressed DESC, rank, vlower, vendor, domain, seq`
	} else {
		query += vendorRiskOrder
	}
	return eachBody(sp, query, args, fn)
}

func (sp *spool) vendorCount() int { return sp.vendorsN }

// findingWhere is the filter of q over the findings table (aliased f).
func findingWhere(q FindingQuery) (string, []any) {
	where := []string{"1"}
	var args []any
	if q.Domain != "" {
		where, args = append(where, "f.domain = ?"), append(args, q.Domain)
	}
	if q.Code != "" {
		where, args = append(where, "f.code = ?"), append(args, q.Code)
	}
	if q.Open {
		where = append(where, "f.open")
	}
	if q.Accepted {
		where = append(where, "f.accepted")
	}
	return strings.Join(where, " AND "), args
}

func (sp *spool) findings(q FindingQuery, fn func(*Finding) error) error {
	where, args := findingWhere(q)
	var query string
	switch q.Order {
	case ByCode:
		// Codes in the order of their first finding among those selected.
		query = `SELECT body FROM (SELECT f.body, f.pos, min(f.pos) OVER (PARTITION BY f.code) AS cr FROM findings f WHERE ` + where +
			`) ORDER BY cr, pos`
	case ByDeadline:
		query = `SELECT f.body FROM findings f LEFT JOIN owners o ON o.domain = f.domain WHERE ` + where +
			` ORDER BY f.overdue DESC, coalesce(o.olast, 1), coalesce(o.olower, ''), coalesce(o.tlast, 1), coalesce(o.tier, 0), f.sev DESC, f.pos`
	default:
		query = `SELECT f.body FROM findings f WHERE ` + where + ` ORDER BY f.pos`
	}
	return eachBody(sp, query, args, fn)
}

func (sp *spool) countFindings(q FindingQuery) (int, error) {
	where, args := findingWhere(q)
	var n int
	if err := sp.querier().QueryRowContext(context.Background(), `SELECT count(*) FROM findings f WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("report spool: %w", err)
	}
	return n, nil
}

func (sp *spool) changes(fn func(*Change) error) error {
	return eachBody(sp, `SELECT body FROM changes ORDER BY grp, nbad, domain, ord`, nil, fn)
}

func (sp *spool) changeCount() int { return sp.changesN }

func (sp *spool) vendorChanges(fn func(*VendorChange) error) error {
	return eachBody(sp, `SELECT body FROM vendor_changes ORDER BY seq`, nil, fn)
}

func (sp *spool) vendorChangeCount() int { return sp.vendorChangesN }

func (sp *spool) controls(fn func(*VendorControls) error) error {
	return eachBody(sp, `SELECT body FROM controls ORDER BY seq`, nil, fn)
}

func (sp *spool) controlCount() int { return sp.controlsN }

// putDomainView keeps one domain's view as the JSON report's element of
// it (escaped as WriteJSON writes it, probes named by ref): WriteJSON
// copies it, and the other readers decode it instead of the evidence.
func (sp *spool) putDomainView(ctx context.Context, domain string, elem []byte) error {
	return sp.exec(ctx, `INSERT INTO dviews(seq, domain, body) VALUES(?,?,?)`, sp.next(), domain, elem)
}

// eachDomainView calls fn with each domain's element, in the order written.
func (sp *spool) eachDomainView(ctx context.Context, fn func(elem []byte) error) error {
	rows, err := sp.querier().QueryContext(ctx, `SELECT body FROM dviews ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	defer rows.Close()
	var body []byte
	for rows.Next() {
		if err := rows.Scan(&body); err != nil {
			return fmt.Errorf("report spool: %w", err)
		}
		if err := fn(body); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return nil
}

// domainView reads one domain's element; ok is false for a domain not stored.
func (sp *spool) domainView(ctx context.Context, domain string) (elem []byte, ok bool, err error) {
	err = sp.querier().QueryRowContext(ctx, `SELECT body FROM dviews WHERE domain = ? ORDER BY seq LIMIT 1`, domain).Scan(&elem)
	if err == sql.ErrNoRows {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("report spool: %w", err)
	}
	return elem, true, nil
}

// putMXRow writes one MX address row, its probe left out (AddressView
// does not encode it): the reader joins it back by ProbeRef.
func (sp *spool) putMXRow(ctx context.Context, body []byte) error {
	sp.mxRowsN++
	return sp.exec(ctx, `INSERT INTO mxrows(seq, body) VALUES(?,?)`, sp.next(), body)
}

// factsRow is facts as the spool keeps them.
type factsRow struct {
	Grade        grade.Grade       `json:"grade"`
	Incomplete   bool              `json:"incomplete,omitempty"`
	Forced       grade.ForcedTLS   `json:"forced"`
	PortBlocked  bool              `json:"port_blocked,omitempty"`
	HTTPSBlocked bool              `json:"https_blocked,omitempty"`
	STS          string            `json:"sts"`
	DANE         string            `json:"dane"`
	Findings     int               `json:"findings"`
	Top          *grade.Finding    `json:"top,omitempty"`
	Expiry       *time.Time        `json:"expiry,omitempty"`
	SPF          string            `json:"spf"`
	DMARC        string            `json:"dmarc"`
	SenderAuth   string            `json:"sender_auth"`
	Frameworks   []FrameworkStatus `json:"frameworks,omitempty"`
	Why          string            `json:"why,omitempty"`
	Score        *int              `json:"score,omitempty"`
}

// putFacts keeps one domain's facts (the builder reads them back by domain).
func (sp *spool) putFacts(ctx context.Context, domain string, f *facts) error {
	body, err := json.Marshal(&factsRow{Grade: f.grade, Incomplete: f.incomplete, Forced: f.forced, PortBlocked: f.portBlocked,
		HTTPSBlocked: f.httpsBlocked, STS: f.sts, DANE: f.dane, Findings: f.findings, Top: f.top, Expiry: f.expiry,
		SPF: f.spf, DMARC: f.dmarc, SenderAuth: f.senderAuth, Frameworks: f.frameworks, Why: f.why, Score: f.score})
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return sp.exec(ctx, `INSERT OR REPLACE INTO facts(domain, grade, body) VALUES(?,?,?)`, domain, string(f.grade), body)
}

// facts reads one domain's facts; ok is false for a domain not stored.
func (sp *spool) facts(ctx context.Context, domain string) (*facts, bool, error) {
	r, ok, err := spoolBody[factsRow](ctx, sp, `SELECT body FROM facts WHERE domain = ?`, domain)
	if !ok || err != nil {
		return nil, ok, err
	}
	return &facts{grade: r.Grade, incomplete: r.Incomplete, forced: r.Forced, portBlocked: r.PortBlocked, httpsBlocked: r.HTTPSBlocked,
		sts: r.STS, dane: r.DANE, findings: r.Findings, top: r.Top, expiry: r.Expiry, spf: r.SPF, dmarc: r.DMARC,
		senderAuth: r.SenderAuth, frameworks: r.Frameworks, why: r.Why, score: r.Score}, true, nil
}

// eachGrade calls fn with each stored domain's grade, in domain order.
func (sp *spool) eachGrade(ctx context.Context, fn func(domain string, g grade.Grade)) error {
	rows, err := sp.querier().QueryContext(ctx, `SELECT domain, grade FROM facts ORDER BY domain`)
	if err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, g string
		if err := rows.Scan(&d, &g); err != nil {
			return fmt.Errorf("report spool: %w", err)
		}
		fn(d, grade.Grade(g))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	return nil
}
