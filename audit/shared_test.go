package audit

import (
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// TestDANEMatchStaysWithItsDomain: the certificate checks of an (address,
// MX name) are shared by every domain using them, read-only; the DANE
// match of a domain publishing TLSA records is its own and must not show
// in another domain's evidence through the shared other certificates.
func TestDANEMatchStaysWithItsDomain(t *testing.T) {
	a := &Auditor{cfg: Config{Now: time.Now}}
	chain := []evidence.Certificate{{DER: []byte{0x30, 0x01}}}
	primary := &evidence.CertCheck{Chain: chain}
	others := []evidence.CertCheck{{Chain: chain, Via: "ECDSA"}}
	domain := func(name string, tlsa *evidence.TLSALookup) *evidence.Domain {
		return &evidence.Domain{Domain: name, Hosts: []evidence.Host{{Name: "mx.shared.example", TLSA: tlsa,
			Addresses: []evidence.Address{{IP: "127.0.0.1", Cert: primary, OtherCerts: others}}}}}
	}
	withTLSA := domain("dane.example", &evidence.TLSALookup{Records: []evidence.TLSARecord{{Usage: 3, Selector: 1, MatchingType: 1, Data: "00"}}})
	without := domain("plain.example", nil)
	a.matchDANE(withTLSA)
	a.matchDANE(without)
	got := withTLSA.Hosts[0].Addresses[0]
	if got.DANE == nil || len(got.OtherCerts) != 1 || got.OtherCerts[0].DANE == nil {
		t.Fatalf("dane.example: DANE not matched: %+v", got)
	}
	if others[0].DANE != nil {
		t.Errorf("the shared other certificate was given dane.example's match: %+v", others[0].DANE)
	}
	if oc := without.Hosts[0].Addresses[0].OtherCerts; oc[0].DANE != nil {
		t.Errorf("plain.example shows dane.example's DANE match: %+v", oc[0].DANE)
	}
	if primary.Chain[0].DER[0] != 0x30 || got.Cert != primary {
		t.Errorf("the shared primary certificate check changed")
	}
}
