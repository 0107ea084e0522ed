package fleet

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/smtp/smtptest"
)

// httpsServer serves every MTA-STS policy of the fleet from one address,
// choosing the certificate by SNI the way a hosting provider does.
type httpsServer struct {
	srv  *http.Server
	ln   net.Listener
	port int
}

const (
	httpReadTimeout = 10 * time.Second
	stsPath         = "/.well-known/mta-sts.txt"
)

func startHTTPS(d *Definition, ca *issuer, opt Options, now time.Time) (*httpsServer, error) {
	type site struct {
		cert tls.Certificate
		sts  *STS
	}
	sites := map[string]site{}
	for _, dom := range d.Domains {
		if dom.MTASTS == nil {
			continue
		}
		host := "mta-sts." + dom.Name
		var cert tls.Certificate
		var err error
		switch dom.MTASTS.Cert {
		case "", "valid":
			cert, err = validCert(ca, []string{host}, now)
		case "wrong-name":
			cert, err = validCert(ca, []string{"www." + dom.Name}, now)
		case "self-signed":
			cert, err = smtptest.SelfSignedCert([]string{host}, now.Add(-24*time.Hour), now.Add(year))
		default:
			return nil, fmt.Errorf("domain %s: unknown mta_sts cert %q", dom.Name, dom.MTASTS.Cert)
		}
		if err != nil {
			return nil, err
		}
		sites[host] = site{cert: cert, sts: dom.MTASTS}
	}
	if len(sites) == 0 {
		return nil, nil
	}
	port := d.HTTPSPort
	if opt.HTTPSPort != 0 {
		port = opt.HTTPSPort
	}
	if port < 0 {
		port = 0
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(d.HTTPS, fmt.Sprint(port)))
	if err != nil {
		return nil, fmt.Errorf("start https on %s: %w", d.HTTPS, err)
	}
	cfg := &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		s, ok := sites[strings.ToLower(hello.ServerName)]
		if !ok {
			return nil, fmt.Errorf("no site %q", hello.ServerName)
		}
		return &s.cert, nil
	}}
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		s, ok := sites[strings.ToLower(host)]
		if !ok || r.URL.Path != stsPath {
			http.NotFound(w, r)
			return
		}
		ct := s.sts.ContentType
		if ct == "" {
			ct = "text/plain"
		}
		w.Header().Set("Content-Type", ct)
		if s.sts.Location != "" {
			w.Header().Set("Location", s.sts.Location)
		}
		status := s.sts.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(s.sts.Policy))
	})
	h := &httpsServer{
		srv:  &http.Server{Handler: mux, TLSConfig: cfg, ReadHeaderTimeout: httpReadTimeout, ReadTimeout: httpReadTimeout},
		ln:   ln,
		port: ln.Addr().(*net.TCPAddr).Port,
	}
	go func() { _ = h.srv.Serve(tls.NewListener(ln, cfg)) }()
	return h, nil
}

func (h *httpsServer) close() { _ = h.srv.Close() }
