package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

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
// reduced to its IP, and the references that restore them.
func splitAddresses(ctx context.Context, tx *sql.Tx, runID int64, ev *evidence.Domain) (evJSON, refsJSON []byte, err error) {
	slim := *ev
	slim.Hosts = make([]evidence.Host, len(ev.Hosts))
	refs := make([][]string, len(ev.Hosts))
	for i, h := range ev.Hosts {
		slim.Hosts[i] = h
		slim.Hosts[i].Addresses = make([]evidence.Address, len(h.Addresses))
		refs[i] = make([]string, len(h.Addresses))
		for j := range h.Addresses {
			a := &h.Addresses[j]
			b, err := json.Marshal(a)
			if err != nil {
				return nil, nil, fmt.Errorf("encode evidence of %s: %w", a.IP, err)
			}
			sum := sha256.Sum256(b)
			key := hex.EncodeToString(sum[:])
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO address_evidence (run_id, sha256, json) VALUES (?,?,?)`,
				runID, key, string(b)); err != nil {
				return nil, nil, fmt.Errorf("store evidence of %s: %w", a.IP, err)
			}
			slim.Hosts[i].Addresses[j] = evidence.Address{IP: a.IP}
			refs[i][j] = key
		}
	}
	if evJSON, err = json.Marshal(&slim); err != nil {
		return nil, nil, fmt.Errorf("encode evidence of %s: %w", ev.Domain, err)
	}
	if refsJSON, err = json.Marshal(refs); err != nil {
		return nil, nil, err
	}
	return evJSON, refsJSON, nil
}

// joinAddresses puts back into ev the address evidence refs names. An
// address shared by several domains is decoded once (see addressCacheSize)
// and its Probe, Cert and DANE are shared between them: callers treat
// loaded evidence as read-only.
func (d *DB) joinAddresses(ctx context.Context, runID int64, ev *evidence.Domain, refs string) error {
	if refs == "" {
		return nil // stored whole, before schema version 2
	}
	var keys [][]string
	if err := json.Unmarshal([]byte(refs), &keys); err != nil {
		return fmt.Errorf("decode address references: %w", err)
	}
	if len(keys) != len(ev.Hosts) {
		return fmt.Errorf("address references for %d hosts, evidence has %d", len(keys), len(ev.Hosts))
	}
	for i := range ev.Hosts {
		h := &ev.Hosts[i]
		if len(keys[i]) != len(h.Addresses) {
			return fmt.Errorf("%s: address references for %d addresses, evidence has %d", h.Name, len(keys[i]), len(h.Addresses))
		}
		for j, key := range keys[i] {
			a, err := d.address(ctx, runID, key)
			if err != nil {
				return fmt.Errorf("%s %s: %w", h.Name, h.Addresses[j].IP, err)
			}
			if a.IP != h.Addresses[j].IP {
				return fmt.Errorf("%s: address reference %s holds %s, want %s", h.Name, key, a.IP, h.Addresses[j].IP)
			}
			h.Addresses[j] = *a
		}
	}
	return nil
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
