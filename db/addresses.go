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

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// addressCacheSize is how many decoded address evidences a DB keeps. A
// walk over a run meets each shared provider address once per domain that
// uses it; the cache decodes it once. 1,024 holds every shared address of
// the 10,000-domain benchmark fleet (309) with room, at some 15 KB each.
const addressCacheSize = 1024

// addressKey names one stored address evidence.
type addressKey struct {
	run    int64
	sha256 string
}

func newAddressCache() *lru.Cache[addressKey, *evidence.Address] {
	c, err := lru.New[addressKey, *evidence.Address](addressCacheSize)
	if err != nil {
		// Only a size below one is refused.
		panic(fmt.Sprintf("db: address cache: %v", err))
	}
	return c
}

// splitAddresses stores the evidence of every address of ev once per run
// (content-addressed) within tx, and returns ev's JSON with each address
// reduced to its IP, and the references that restore them. An address w
// stored already (see RunWriter) is referred to without being encoded;
// those encoded and stored here are added to fresh.
func (d *DB) splitAddresses(ctx context.Context, tx *sql.Tx, runID int64, ev *evidence.Domain, w *RunWriter, fresh *[]storedAddress) (evJSON, refsJSON []byte, refs [][]string, err error) {
	slim := *ev
	slim.Hosts = make([]evidence.Host, len(ev.Hosts))
	refs = make([][]string, len(ev.Hosts))
	for i, h := range ev.Hosts {
		slim.Hosts[i] = h
		slim.Hosts[i].Addresses = make([]evidence.Address, len(h.Addresses))
		refs[i] = make([]string, len(h.Addresses))
		for j := range h.Addresses {
			a := &h.Addresses[j]
			slim.Hosts[i].Addresses[j] = evidence.Address{IP: a.IP}
			id, key, ok := w.known(a)
			if !ok {
				var b []byte
				if key, b, err = AddressDigest(a); err != nil {
					return nil, nil, nil, err
				}
				if _, err := d.txExec(ctx, tx, insertAddressEvidence, runID, key, string(b)); err != nil {
					return nil, nil, nil, fmt.Errorf("store evidence of %s: %w", a.IP, err)
				}
				if w != nil {
					*fresh = append(*fresh, storedAddress{id: id, key: key})
				}
			}
			refs[i][j] = key
		}
	}
	if evJSON, err = json.Marshal(&slim); err != nil {
		return nil, nil, nil, fmt.Errorf("encode evidence of %s: %w", ev.Domain, err)
	}
	if refsJSON, err = json.Marshal(refs); err != nil {
		return nil, nil, nil, err
	}
	return evJSON, refsJSON, refs, nil
}

// AddressDigest is the JSON of an address evidence as it is stored, and
// its key: the hex SHA-256 of that JSON. The same observation stored by
// several domains of a run has one key, so the key names a probe in
// reports (the JSON report's probe refs) as it does in address_refs and
// the run's manifest.
func AddressDigest(a *evidence.Address) (key string, b []byte, err error) {
	if b, err = json.Marshal(a); err != nil {
		return "", nil, fmt.Errorf("encode evidence of %s: %w", a.IP, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), b, nil
}

// joinAddresses puts back into ev the address evidence refs names, and
// returns the references decoded (nil for evidence stored whole). An
// address shared by several domains is decoded once (see addressCacheSize)
// and its Probe, Cert and DANE are shared between them: callers treat
// loaded evidence as read-only.
func (d *DB) joinAddresses(ctx context.Context, runID int64, ev *evidence.Domain, refs string) ([][]string, error) {
	if refs == "" {
		return nil, nil // stored whole, before schema version 2
	}
	var keys [][]string
	if err := json.Unmarshal([]byte(refs), &keys); err != nil {
		return nil, fmt.Errorf("decode address references: %w", err)
	}
	if len(keys) != len(ev.Hosts) {
		return nil, fmt.Errorf("address references for %d hosts, evidence has %d", len(keys), len(ev.Hosts))
	}
	for i := range ev.Hosts {
		h := &ev.Hosts[i]
		if len(keys[i]) != len(h.Addresses) {
			return nil, fmt.Errorf("%s: address references for %d addresses, evidence has %d", h.Name, len(keys[i]), len(h.Addresses))
		}
		for j, key := range keys[i] {
			a, err := d.address(ctx, runID, key)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", h.Name, h.Addresses[j].IP, err)
			}
			if a.IP != h.Addresses[j].IP {
				return nil, fmt.Errorf("%s: address reference %s holds %s, want %s", h.Name, key, a.IP, h.Addresses[j].IP)
			}
			h.Addresses[j] = *a
		}
	}
	return keys, nil
}

const addressEvidenceQuery = `SELECT json FROM address_evidence WHERE run_id = ? AND sha256 = ?`

// address loads one stored address evidence, from the cache when it can.
func (d *DB) address(ctx context.Context, runID int64, key string) (*evidence.Address, error) {
	k := addressKey{run: runID, sha256: key}
	if a, ok := d.addresses.Get(k); ok {
		return a, nil
	}
	var s string
	err := d.sql.QueryRowContext(ctx, addressEvidenceQuery, runID, key).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("address evidence %s of run %d: %w", key, runID, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	a := &evidence.Address{}
	if err := json.Unmarshal([]byte(s), a); err != nil {
		return nil, fmt.Errorf("decode address evidence %s: %w", key, err)
	}
	d.addresses.Add(k, a)
	return a, nil
}

// The queries of the run's address evidence walk (EachAddressEvidence).
const (
	// addressRefsQuery lists the distinct references of a run's domains:
	// only evidence some stored domain names, not rows left behind by a
	// domain stored again with other evidence.
	addressRefsQuery = `SELECT DISTINCT a.value FROM domain_results d, json_each(d.address_refs) h, json_each(h.value) a
		WHERE d.run_id = ? AND d.address_refs != '' ORDER BY a.value`
	// wholeEvidenceQuery counts a run's domains stored whole, whose
	// addresses have no stored evidence of their own.
	wholeEvidenceQuery = `SELECT COUNT(*) FROM domain_results WHERE run_id = ? AND address_refs = ''`
)

// addressBatch is how many address evidences EachAddressEvidence reads per
// query: a batch of provider probes is a few MB of JSON.
const addressBatch = 128

// AddressRefs lists, in key order, the distinct address evidence keys the
// run's domains name (StoredDomain.AddressRefs), and whether they cover
// every address of the run: complete is false when some domain was stored
// whole (before schema version 2), its addresses keyless.
func (d *DB) AddressRefs(ctx context.Context, runID int64) (keys []string, complete bool, err error) {
	var whole int
	if err := d.sql.QueryRowContext(ctx, wholeEvidenceQuery, runID).Scan(&whole); err != nil {
		return nil, false, fmt.Errorf("address references of run %d: %w", runID, err)
	}
	rows, err := d.sql.QueryContext(ctx, addressRefsQuery, runID)
	if err != nil {
		return nil, false, fmt.Errorf("address references of run %d: %w", runID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, false, err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("address references of run %d: %w", runID, err)
	}
	return keys, whole == 0, nil
}

// EachAddressEvidence calls fn with each address evidence of keys (as
// AddressRefs lists them), in the order given, reading them in batches:
// each distinct probe of a run once, however many domains share it. No
// query is open while fn runs. The evidence is shared with the cache
// (read-only to fn).
func (d *DB) EachAddressEvidence(ctx context.Context, runID int64, keys []string, fn func(key string, a *evidence.Address) error) error {
	for start := 0; start < len(keys); start += addressBatch {
		batch := keys[start:min(start+addressBatch, len(keys))]
		got, err := d.addressBatch(ctx, runID, batch)
		if err != nil {
			return err
		}
		for _, k := range batch {
			a, ok := got[k]
			if !ok {
				return fmt.Errorf("address evidence %s of run %d: %w", k, runID, ErrNotFound)
			}
			if err := fn(k, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// addressBatch reads the address evidence of keys, from the cache when it can.
func (d *DB) addressBatch(ctx context.Context, runID int64, keys []string) (map[string]*evidence.Address, error) {
	got := make(map[string]*evidence.Address, len(keys))
	var missing []any
	for _, k := range keys {
		if a, ok := d.addresses.Get(addressKey{run: runID, sha256: k}); ok {
			got[k] = a
		} else {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return got, nil
	}
	q := `SELECT sha256, json FROM address_evidence WHERE run_id = ? AND sha256 IN (?` + strings.Repeat(",?", len(missing)-1) + `)`
	rows, err := d.sql.QueryContext(ctx, q, append([]any{runID}, missing...)...)
	if err != nil {
		return nil, fmt.Errorf("address evidence of run %d: %w", runID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, s string
		if err := rows.Scan(&k, &s); err != nil {
			return nil, err
		}
		a := &evidence.Address{}
		if err := json.Unmarshal([]byte(s), a); err != nil {
			return nil, fmt.Errorf("decode address evidence %s: %w", k, err)
		}
		got[k] = a
	}
	return got, rows.Err()
}
