// Package canon orders DNS names canonically (RFC 4034 §6.1), the order of
// NSEC chains, for the validator in package resolve and the signer in
// package dnstest.
package canon

import (
	"bytes"

	"github.com/miekg/dns"
)

// maxWireName is the longest name in wire form (RFC 1035 §2.3.4).
const maxWireName = 255

// Compare orders two names in presentation form (miekg/dns escapes
// allowed, trailing dot optional) canonically: label by label from the
// right, each label as lower-cased octets, a missing label first. It
// returns -1, 0 or +1. A name that cannot be put in wire form sorts by its
// lower-cased text after every valid name, so the order stays total.
func Compare(a, b string) int {
	la, oka := Labels(a)
	lb, okb := Labels(b)
	switch {
	case !oka && !okb:
		return bytes.Compare([]byte(dns.CanonicalName(a)), []byte(dns.CanonicalName(b)))
	case !oka:
		return 1
	case !okb:
		return -1
	}
	for i, j := len(la)-1, len(lb)-1; ; i, j = i-1, j-1 {
		switch {
		case i < 0 && j < 0:
			return 0
		case i < 0:
			return -1
		case j < 0:
			return 1
		}
		if c := bytes.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
}

// Labels returns the labels of name as lower-cased wire octets, leftmost
// first (none for the root); false when name is not a valid domain name.
func Labels(name string) ([][]byte, bool) {
	buf := make([]byte, maxWireName)
	n, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return nil, false
	}
	buf = buf[:n]
	// Only US-ASCII letters fold (RFC 4034 §6.2); bytes.ToLower would
	// rewrite octets that are not UTF-8.
	for i, c := range buf {
		if c >= 'A' && c <= 'Z' {
			buf[i] = c + 'a' - 'A'
		}
	}
	var labels [][]byte
	for off := 0; off < len(buf); {
		l := int(buf[off])
		if l == 0 {
			break
		}
		if off+1+l > len(buf) {
			return nil, false
		}
		labels = append(labels, buf[off+1:off+1+l])
		off += 1 + l
	}
	return labels, true
}
