package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ManifestVersion is the version of the canonical form below; it rises
// when the bytes digested change.
const ManifestVersion = 1

// Manifest vouches for a run's stored evidence: a digest of each domain's
// stored rows and one root digest over them, the input list's and the
// scan settings'. Anyone with the database (sqlite3 and sha256sum are
// enough) can recompute it; the README, "Verifying a report", gives the
// canonical form, which ComputeManifest implements:
//
// A domain's digest is the SHA-256, in lower-case hex, of these lines,
// each ending in "\n":
//
//	mxaudit-domain-v1
//	domain <domain_results.domain>
//	row <grade> <incomplete 0|1> <forced_tls>
//	evidence <sha256 of evidence_json, as stored>
//	address <address_evidence.sha256>     one per reference in address_refs, in order
//	grade <sha256 of grade_json, as stored>
//
// where each address_evidence row must itself hash to its key. The root
// digest is the SHA-256 of:
//
//	mxaudit-manifest-v1
//	run <runs.id>
//	input <runs.input_sha256>
//	settings <sha256 of runs.settings_json, as stored>
//	vendors <sha256 of the vendor rows>
//	<domain> <digest>                     one per domain, in byte order of the name
//
// The vendor rows digest is the SHA-256 of one line per run_vendors row
// in (row_num, vendor, domain) order: the JSON array [vendor, domain,
// input, owner, tier, tags, notes, contact, sheet, row_num] as Go's
// encoding/json writes it, then "\n".
type Manifest struct {
	Version     int    `json:"version"`
	RunID       int64  `json:"run_id"`
	InputSHA256 string `json:"input_sha256"`
	// SettingsSHA256 and VendorsSHA256 digest the scan settings and the
	// vendor list as stored.
	SettingsSHA256 string `json:"settings_sha256"`
	VendorsSHA256  string `json:"vendors_sha256"`
	// Domains are the digests of each domain's stored evidence, by name.
	Domains []DomainDigest `json:"domains"`
	// RootDigest is the digest over all of the above.
	RootDigest string `json:"root_digest"`
}

// DomainDigest is the digest of one domain's stored evidence and grade.
type DomainDigest struct {
	Domain string `json:"domain"`
	Digest string `json:"digest"`
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

const manifestDomainsQuery = `SELECT domain, grade, incomplete, forced_tls, evidence_json, grade_json, address_refs
		FROM domain_results WHERE run_id = ? ORDER BY domain`

// ComputeManifest digests what the database holds for a run now, every
// domain from its stored bytes (what mxaudit verify holds a run to).
func (d *DB) ComputeManifest(ctx context.Context, runID int64) (Manifest, error) {
	m, addrs, err := d.manifestHead(ctx, runID)
	if err != nil {
		return m, err
	}
	// The domains stream in domain order from the (run_id, domain) index:
	// one row in memory at a time, whatever the length of the list.
	rows, err := d.sql.QueryContext(ctx, manifestDomainsQuery, runID)
	if err != nil {
		return m, err
	}
	defer rows.Close()
	for rows.Next() {
		var domain, grade, forced, ev, g, refs string
		var incomplete int
		if err := rows.Scan(&domain, &grade, &incomplete, &forced, &ev, &g, &refs); err != nil {
			return m, err
		}
		digest, err := storedDomainDigest(addrs, domain, grade, incomplete, forced, ev, g, refs)
		if err != nil {
			return m, err
		}
		m.Domains = append(m.Domains, DomainDigest{Domain: domain, Digest: digest})
	}
	if err := rows.Err(); err != nil {
		return m, err
	}
	m.RootDigest = m.root()
	return m, nil
}

// manifestHead is a run's manifest without its domains, and the check of
// its address evidence rows.
func (d *DB) manifestHead(ctx context.Context, runID int64) (Manifest, addressDigests, error) {
	m := Manifest{Version: ManifestVersion, RunID: runID, Domains: []DomainDigest{}}
	var settings string
	err := d.sql.QueryRowContext(ctx, `SELECT input_sha256, settings_json FROM runs WHERE id = ?`, runID).Scan(&m.InputSHA256, &settings)
	if errors.Is(err, sql.ErrNoRows) {
		return m, nil, fmt.Errorf("run %d: %w", runID, ErrNotFound)
	}
	if err != nil {
		return m, nil, err
	}
	m.SettingsSHA256 = hexSHA([]byte(settings))
	if m.VendorsSHA256, err = d.vendorsDigest(ctx, runID); err != nil {
		return m, nil, err
	}
	// Each shared address evidence row is held to its key once, not once
	// per domain referring to it: a provider address serves thousands of
	// domains. What is kept is bounded by the run's addresses.
	addrs, err := d.addressDigests(ctx, runID)
	return m, addrs, err
}

// storedDomainDigest is the digest of one stored domain_results row, each
// address reference held to its row's key.
func storedDomainDigest(addrs addressDigests, domain, grade string, incomplete int, forced, ev, g, refs string) (string, error) {
	var keys [][]string
	if refs != "" {
		if err := json.Unmarshal([]byte(refs), &keys); err != nil {
			return "", fmt.Errorf("%s: address references: %w", domain, err)
		}
		for _, host := range keys {
			for _, key := range host {
				if err := addrs.check(key); err != nil {
					return "", fmt.Errorf("%s: %w", domain, err)
				}
			}
		}
	}
	return domainDigest(domain, grade, incomplete, forced, []byte(ev), []byte(g), keys), nil
}

// domainDigest is a domain's digest (mxaudit-domain-v1, see Manifest)
// from its row's values: ev and g are the evidence and grade JSON as
// stored, keys the address references in order.
func domainDigest(domain, grade string, incomplete int, forced string, ev, g []byte, keys [][]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "mxaudit-domain-v1\ndomain %s\nrow %s %d %s\nevidence %s\n", domain, grade, incomplete, forced, hexSHA(ev))
	for _, host := range keys {
		for _, key := range host {
			fmt.Fprintf(&b, "address %s\n", key)
		}
	}
	fmt.Fprintf(&b, "grade %s\n", hexSHA(g))
	return hexSHA([]byte(b.String()))
}

// The queries of sealing (see sealManifest).
const (
	// A run's domains in domain order with the digest stored with each,
	// from a covering (run_id, domain) index and domain_digests' key.
	sealDomainsQuery = `SELECT r.id, r.domain, COALESCE(g.digest, '') FROM domain_results r
		LEFT JOIN domain_digests g ON g.domain_result_id = r.id WHERE r.run_id = ? ORDER BY r.domain`
	// One row, whole, for a domain stored without its digest.
	sealRowQuery = `SELECT grade, incomplete, forced_tls, evidence_json, grade_json, address_refs FROM domain_results WHERE id = ?`
)

// sealManifest is ComputeManifest from the digests stored with the rows
// (domain_digests), computed from the bytes they were written with: no
// domain's evidence is read but those stored without one (before schema
// version 19). The run's address evidence rows are held to their keys,
// as ComputeManifest holds them.
func (d *DB) sealManifest(ctx context.Context, runID int64) (Manifest, error) {
	m, addrs, err := d.manifestHead(ctx, runID)
	if err != nil {
		return m, err
	}
	for key, ok := range addrs {
		if !ok {
			return m, fmt.Errorf("address evidence %s no longer hashes to its key: %w", key, ErrEvidenceAltered)
		}
	}
	rows, err := d.sql.QueryContext(ctx, sealDomainsQuery, runID)
	if err != nil {
		return m, err
	}
	var undigested []int // indexes in m.Domains, read after the walk
	var ids []int64
	for rows.Next() {
		var id int64
		var dd DomainDigest
		if err := rows.Scan(&id, &dd.Domain, &dd.Digest); err != nil {
			rows.Close()
			return m, err
		}
		if dd.Digest == "" {
			undigested = append(undigested, len(m.Domains))
			ids = append(ids, id)
		}
		m.Domains = append(m.Domains, dd)
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return m, err
	}
	// No query is open while the rows without a digest are read.
	for i, at := range undigested {
		var grade, forced, ev, g, refs string
		var incomplete int
		if err := d.sql.QueryRowContext(ctx, sealRowQuery, ids[i]).Scan(&grade, &incomplete, &forced, &ev, &g, &refs); err != nil {
			return m, fmt.Errorf("%s: %w", m.Domains[at].Domain, err)
		}
		if m.Domains[at].Digest, err = storedDomainDigest(addrs, m.Domains[at].Domain, grade, incomplete, forced, ev, g, refs); err != nil {
			return m, err
		}
	}
	m.RootDigest = m.root()
	return m, nil
}

// root is the root digest of the manifest's parts.
func (m Manifest) root() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mxaudit-manifest-v1\nrun %d\ninput %s\nsettings %s\nvendors %s\n", m.RunID, m.InputSHA256, m.SettingsSHA256, m.VendorsSHA256)
	for _, dd := range m.Domains {
		fmt.Fprintf(&b, "%s %s\n", dd.Domain, dd.Digest)
	}
	return hexSHA([]byte(b.String()))
}

// ErrEvidenceAltered is returned when a stored address evidence row no
// longer hashes to its key.
var ErrEvidenceAltered = errors.New("stored evidence altered")

// addressDigests records, for each address evidence row of a run, whether
// it still hashes to its key (the SHA-256 of its JSON).
type addressDigests map[string]bool

// check holds a reference to an address evidence row to its key.
func (a addressDigests) check(key string) error {
	ok, found := a[key]
	switch {
	case !found:
		return fmt.Errorf("address evidence %s: %w", key, ErrNotFound)
	case !ok:
		return fmt.Errorf("address evidence %s no longer hashes to its key: %w", key, ErrEvidenceAltered)
	}
	return nil
}

// addressDigests hashes every address evidence row of a run once.
func (d *DB) addressDigests(ctx context.Context, runID int64) (addressDigests, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT sha256, json FROM address_evidence WHERE run_id = ?`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := addressDigests{}
	for rows.Next() {
		var key string
		var js []byte
		if err := rows.Scan(&key, &js); err != nil {
			return nil, err
		}
		out[key] = hexSHA(js) == key
	}
	return out, rows.Err()
}

func (d *DB) vendorsDigest(ctx context.Context, runID int64) (string, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT vendor, domain, input, owner, tier, tags, notes, contact, sheet, row_num
		FROM run_vendors WHERE run_id = ? ORDER BY row_num, vendor, domain`, runID)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var f [9]string
		var row int64
		if err := rows.Scan(&f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &row); err != nil {
			return "", err
		}
		line, err := json.Marshal([]any{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], row})
		if err != nil {
			return "", err
		}
		h.Write(append(line, '\n'))
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// StoredManifest returns the manifest recorded for a run; ErrNotFound
// when none was.
func (d *DB) StoredManifest(ctx context.Context, runID int64) (Manifest, error) {
	var m Manifest
	var js string
	err := d.sql.QueryRowContext(ctx, `SELECT manifest_json FROM run_manifests WHERE run_id = ?`, runID).Scan(&js)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("manifest of run %d: %w", runID, ErrNotFound)
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		return m, fmt.Errorf("manifest of run %d: %w", runID, err)
	}
	return m, nil
}

// Manifest returns the run's recorded manifest, or, for a run without
// one, the manifest of what it holds now.
func (d *DB) Manifest(ctx context.Context, runID int64) (Manifest, error) {
	m, err := d.StoredManifest(ctx, runID)
	if errors.Is(err, ErrNotFound) {
		return d.ComputeManifest(ctx, runID)
	}
	return m, err
}

// SealRun records the manifest of a run that is no longer running, once:
// a run already sealed keeps its first manifest, which is what later
// evidence is held to. A run still running is not sealed (its evidence is
// not final) and its manifest is returned unrecorded.
func (d *DB) SealRun(ctx context.Context, runID int64, at time.Time) (Manifest, error) {
	if m, err := d.StoredManifest(ctx, runID); err == nil || !errors.Is(err, ErrNotFound) {
		return m, err
	}
	var status string
	if err := d.sql.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = ?`, runID).Scan(&status); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Manifest{}, fmt.Errorf("run %d: %w", runID, ErrNotFound)
		}
		return Manifest{}, err
	}
	if status == StatusRunning || status == StatusInterrupted {
		return d.ComputeManifest(ctx, runID)
	}
	m, err := d.sealManifest(ctx, runID)
	if err != nil {
		return m, err
	}
	js, err := json.Marshal(m)
	if err != nil {
		return m, err
	}
	_, err = d.sql.ExecContext(ctx, `INSERT OR IGNORE INTO run_manifests (run_id, root_digest, manifest_json, created_at) VALUES (?,?,?,?)`,
		runID, m.RootDigest, string(js), ts(at))
	return m, err
}

// ReportFile is one report file written from a run, as recorded.
type ReportFile struct {
	RunID      int64
	Kind, Path string
	SHA256     string
	Size       int64
	// RootDigest is the manifest root the file was made from.
	RootDigest string
	WrittenAt  time.Time
}

// RecordReportFile records a report file the database's run was rendered to.
func (d *DB) RecordReportFile(ctx context.Context, f ReportFile) error {
	_, err := d.sql.ExecContext(ctx, `INSERT INTO report_files (run_id, kind, path, sha256, size, root_digest, written_at) VALUES (?,?,?,?,?,?,?)`,
		f.RunID, f.Kind, f.Path, f.SHA256, f.Size, f.RootDigest, ts(f.WrittenAt))
	if err != nil {
		return fmt.Errorf("record report file %s: %w", f.Path, err)
	}
	return nil
}

// ReportFilesBySHA256 returns the recorded report files with that content.
func (d *DB) ReportFilesBySHA256(ctx context.Context, sum string) ([]ReportFile, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT run_id, kind, path, sha256, size, root_digest, written_at FROM report_files
		WHERE sha256 = ? ORDER BY id`, strings.ToLower(sum))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReportFile
	for rows.Next() {
		var f ReportFile
		var at string
		if err := rows.Scan(&f.RunID, &f.Kind, &f.Path, &f.SHA256, &f.Size, &f.RootDigest, &at); err != nil {
			return nil, err
		}
		f.WrittenAt = parseTS(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// DiffManifests says, in plain words, how a manifest differs from the one
// recorded: which domains' evidence changed, appeared or went, and
// whether the input, settings or vendor list differ.
func DiffManifests(recorded, now Manifest) []string {
	var out []string
	if recorded.InputSHA256 != now.InputSHA256 {
		out = append(out, "the input list's digest changed")
	}
	if recorded.SettingsSHA256 != now.SettingsSHA256 {
		out = append(out, "the stored scan settings changed")
	}
	if recorded.VendorsSHA256 != now.VendorsSHA256 {
		out = append(out, "the stored vendor list changed")
	}
	was := map[string]string{}
	for _, dd := range recorded.Domains {
		was[dd.Domain] = dd.Digest
	}
	seen := map[string]bool{}
	for _, dd := range now.Domains {
		seen[dd.Domain] = true
		switch old, ok := was[dd.Domain]; {
		case !ok:
			out = append(out, "domain "+dd.Domain+" was added to the stored evidence")
		case old != dd.Digest:
			out = append(out, "the stored evidence or grade of "+dd.Domain+" changed (digest "+short(old)+", now "+short(dd.Digest)+")")
		}
	}
	for _, dd := range recorded.Domains {
		if !seen[dd.Domain] {
			out = append(out, "domain "+dd.Domain+" was removed from the stored evidence")
		}
	}
	if len(out) == 0 && recorded.RootDigest != now.RootDigest {
		out = append(out, "root digest "+short(recorded.RootDigest)+" recorded, "+short(now.RootDigest)+" now")
	}
	return out
}

func short(digest string) string {
	if len(digest) > 16 {
		return digest[:16]
	}
	return digest
}
