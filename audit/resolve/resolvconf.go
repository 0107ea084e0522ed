package resolve

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
)

// maxResolvConfLine caps one line of resolv.conf; a longer line is an error
// rather than a silent end of parsing.
const maxResolvConfLine = 64 << 10

// ParseResolvConf reads resolv.conf text and returns its nameservers as
// host:53, IPv6 addresses bracketed, in file order. Comment lines (# or ;)
// and other keywords are ignored. A nameserver value that is not an IP
// address is an error (the C library ignores it silently; an audit should
// not), as is a line longer than 64 KiB. A file without nameserver lines
// gives an empty list and no error.
//
// It does not use dns.ClientConfigFromReader, which accepts any word as a
// nameserver and drops read errors.
func ParseResolvConf(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, bufio.MaxScanTokenSize), maxResolvConfLine)
	var servers []string
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "nameserver" {
			continue
		}
		if len(f) < 2 {
			return servers, fmt.Errorf("line %d: nameserver without an address", line)
		}
		a, err := netip.ParseAddr(f[1])
		if err != nil {
			return servers, fmt.Errorf("line %d: nameserver %q is not an ip address", line, f[1])
		}
		servers = append(servers, net.JoinHostPort(a.String(), dnsPort))
	}
	if err := sc.Err(); err != nil {
		return servers, fmt.Errorf("line %d: %w", line+1, err)
	}
	return servers, nil
}
