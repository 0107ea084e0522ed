package fleet

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/resolve/dnstest"
	"github.com/mxaudit/mxaudit/audit/smtp/smtptest"
)

// tlsaOwner is the TLSA owner name of an MX host (RFC 7672 §2.2.3).
func tlsaOwner(host string) string { return "_25._tcp." + dns.Fqdn(host) }

// addTLSA computes the TLSA records a server publishes, from its own
// certificate where a record says "self".
func addTLSA(out map[string][]string, s Server, b smtptest.Behavior) error {
	if len(s.TLSA) == 0 {
		return nil
	}
	var leaf []byte
	if b.TLS != nil && len(b.TLS.Certificates) > 0 && len(b.TLS.Certificates[0].Certificate) > 0 {
		leaf = b.TLS.Certificates[0].Certificate[0]
	}
	for _, spec := range s.TLSA {
		var usage, selector, mtype uint8
		var what string
		if _, err := fmt.Sscanf(spec, "%d %d %d %s", &usage, &selector, &mtype, &what); err != nil {
			return fmt.Errorf("server %s: tlsa %q: want \"U S M self|wrong|hex\"", s.IP, spec)
		}
		var data string
		switch what {
		case "self":
			if leaf == nil {
				return fmt.Errorf("server %s: tlsa %q needs a crypto/tls profile with a certificate", s.IP, spec)
			}
			d, err := tlsaData(leaf, selector, mtype)
			if err != nil {
				return fmt.Errorf("server %s: %w", s.IP, err)
			}
			data = d
		case "wrong":
			n := sha256.Size
			if mtype == 2 {
				n = sha512.Size
			}
			b := make([]byte, n)
			_, _ = rand.Read(b)
			data = hex.EncodeToString(b)
		default:
			data = what
		}
		for _, name := range s.Names {
			out[tlsaOwner(name)] = append(out[tlsaOwner(name)], fmt.Sprintf("%d %d %d %s", usage, selector, mtype, data))
		}
	}
	return nil
}

func tlsaData(der []byte, selector, mtype uint8) (string, error) {
	sel := der
	if selector == 1 {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return "", err
		}
		sel = c.RawSubjectPublicKeyInfo
	}
	switch mtype {
	case 0:
		return hex.EncodeToString(sel), nil
	case 1:
		h := sha256.Sum256(sel)
		return hex.EncodeToString(h[:]), nil
	case 2:
		h := sha512.Sum512(sel)
		return hex.EncodeToString(h[:]), nil
	}
	return "", fmt.Errorf("tlsa matching type %d unknown", mtype)
}

// signedZones splits the fleet's records into zones: one per domain (the
// records at or below the domain's name), one per top-level label for the
// rest, and a root, each signed (a domain marked Unsigned stays unsigned,
// with no DS at its parent) and delegated from its parent with NS and DS.
// It returns the zones and the root's KSK as the trust anchor.
func signedZones(d *Definition, rrs []dns.RR, now time.Time) ([]*dnstest.Zone, []dns.RR, error) {
	unsigned := map[string]bool{}
	var domainZones []string
	for _, dom := range d.Domains {
		z := dns.Fqdn(strings.ToLower(dom.Name))
		domainZones = append(domainZones, z)
		unsigned[z] = dom.Unsigned
	}
	// Longer names first, so a record lands in its closest enclosing zone.
	sort.Slice(domainZones, func(i, j int) bool { return dns.CountLabel(domainZones[i]) > dns.CountLabel(domainZones[j]) })
	records := map[string][]dns.RR{}
	parentOf := map[string]string{}
	zoneOf := func(name string) string {
		name = dns.Fqdn(strings.ToLower(name))
		for _, z := range domainZones {
			if dns.IsSubDomain(z, name) {
				return z
			}
		}
		labels := dns.SplitDomainName(name)
		return dns.Fqdn(labels[len(labels)-1])
	}
	for _, rr := range rrs {
		z := zoneOf(rr.Header().Name)
		records[z] = append(records[z], rr)
	}
	for _, z := range domainZones {
		parentOf[z] = zoneOf(strings.SplitN(z, ".", 2)[1])
		if parentOf[z] == z {
			parentOf[z] = "."
		}
		// Every zone and every parent zone exists, even without records
		// of its own, so that the chain of delegations is complete.
		for _, zz := range []string{z, parentOf[z]} {
			if _, ok := records[zz]; !ok {
				records[zz] = nil
			}
		}
	}
	for z := range records {
		if _, ok := parentOf[z]; !ok && z != "." {
			parentOf[z] = "." // a top-level zone
		}
	}
	if _, ok := records["."]; !ok {
		records["."] = nil
	}
	// Sign children before parents, so each parent can carry its children's DS.
	order := make([]string, 0, len(records))
	for z := range records {
		order = append(order, z)
	}
	sort.Slice(order, func(i, j int) bool {
		ci, cj := dns.CountLabel(order[i]), dns.CountLabel(order[j])
		if ci != cj {
			return ci > cj
		}
		return order[i] < order[j]
	})
	opts := dnstest.SignOptions{Inception: now.Add(-24 * time.Hour), Expiration: now.Add(30 * 24 * time.Hour)}
	var zones []*dnstest.Zone
	var anchors []dns.RR
	for _, z := range order {
		apex, err := apexRecords(z)
		if err != nil {
			return nil, nil, err
		}
		recs := append(apex, records[z]...)
		var zone *dnstest.Zone
		if unsigned[z] {
			zone = &dnstest.Zone{Origin: z, Records: recs}
		} else if zone, err = dnstest.NewSignedZone(z, recs, opts); err != nil {
			return nil, nil, fmt.Errorf("sign %s: %w", z, err)
		}
		zones = append(zones, zone)
		if z == "." {
			anchors = []dns.RR{zone.Keys.KSK}
			continue
		}
		cut, err := dnstest.ParseZone(fmt.Sprintf("%[1]s 300 IN NS ns.%[1]s\nns.%[1]s 300 IN A 127.0.0.53\n", z))
		if err != nil {
			return nil, nil, err
		}
		p := parentOf[z]
		records[p] = append(append(records[p], cut...), zone.DS...)
	}
	return zones, anchors, nil
}

func apexRecords(origin string) ([]dns.RR, error) {
	ns, mbox := "ns."+origin, "hostmaster."+origin
	if origin == "." {
		ns, mbox = "ns.root-servers.test.", "hostmaster.root-servers.test."
	}
	return dnstest.ParseZone(fmt.Sprintf("%[1]s 300 IN SOA %[2]s %[3]s 1 3600 600 86400 60\n%[1]s 300 IN NS %[2]s\n", origin, ns, mbox))
}
