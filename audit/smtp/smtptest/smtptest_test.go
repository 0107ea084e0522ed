package smtptest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const clientTimeout = 5 * time.Second

func TestCAIssue(t *testing.T) {
	ca, err := NewCA("Test Root")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tests := []struct {
		keyType string
		algo    x509.PublicKeyAlgorithm
		bits    int
	}{
		{KeyRSA2048, x509.RSA, 2048},
		{KeyECDSA256, x509.ECDSA, 256},
		{KeyRSA1024, x509.RSA, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.keyType, func(t *testing.T) {
			cert, err := ca.Issue([]string{"mx.example.com", "192.0.2.25"}, now.Add(-time.Hour), now.Add(time.Hour), tt.keyType)
			if err != nil {
				t.Fatal(err)
			}
			if len(cert.Certificate) != 2 {
				t.Fatalf("chain of %d certificates, want leaf and CA", len(cert.Certificate))
			}
			leaf := cert.Leaf
			if leaf.PublicKeyAlgorithm != tt.algo {
				t.Fatalf("key algorithm %v, want %v", leaf.PublicKeyAlgorithm, tt.algo)
			}
			var bits int
			switch k := leaf.PublicKey.(type) {
			case *rsa.PublicKey:
				bits = k.N.BitLen()
			case *ecdsa.PublicKey:
				bits = k.Curve.Params().BitSize
			}
			if bits != tt.bits {
				t.Fatalf("key of %d bits, want %d", bits, tt.bits)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "mx.example.com", Roots: ca.Pool()}); err != nil {
				t.Fatalf("verify against the CA: %v", err)
			}
			if !reflect.DeepEqual(leaf.DNSNames, []string{"mx.example.com"}) || len(leaf.IPAddresses) != 1 || leaf.IPAddresses[0].String() != "192.0.2.25" {
				t.Fatalf("SANs %v %v", leaf.DNSNames, leaf.IPAddresses)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "other.example.com", Roots: ca.Pool()}); err == nil {
				t.Fatal("verified for a name it does not carry")
			}
		})
	}
	t.Run("unknown key type", func(t *testing.T) {
		if _, err := ca.Issue([]string{"mx.example.com"}, now, now.Add(time.Hour), "dsa512"); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("no names", func(t *testing.T) {
		if _, err := ca.Issue(nil, now, now.Add(time.Hour), KeyECDSA256); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("pem", func(t *testing.T) {
		block, rest := pem.Decode(ca.CertPEM())
		if block == nil || block.Type != "CERTIFICATE" || len(rest) != 0 {
			t.Fatalf("bad PEM: %v rest %d", block, len(rest))
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if !c.IsCA || c.Subject.CommonName != "Test Root" {
			t.Fatalf("CA certificate: IsCA %v CN %q", c.IsCA, c.Subject.CommonName)
		}
	})
}

func TestSelfSignedCert(t *testing.T) {
	nb := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	na := nb.Add(48 * time.Hour)
	cert, err := SelfSignedCert([]string{"mx.example.org"}, nb, na)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if leaf.Subject.String() != leaf.Issuer.String() || leaf.Subject.CommonName != "mx.example.org" {
		t.Fatalf("subject %q issuer %q", leaf.Subject, leaf.Issuer)
	}
	if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}
	if !leaf.NotBefore.Equal(nb) || !leaf.NotAfter.Equal(na) {
		t.Fatalf("validity %v to %v, want %v to %v", leaf.NotBefore, leaf.NotAfter, nb, na)
	}
}

// dialog is a raw SMTP client for testing the server.
type dialog struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, s *Server) *dialog {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.SetDeadline(time.Now().Add(clientTimeout)); err != nil {
		t.Fatal(err)
	}
	return &dialog{t: t, c: c, r: bufio.NewReader(c)}
}

// reply reads one whole reply and returns its lines.
func (d *dialog) reply() []string {
	d.t.Helper()
	var lines []string
	for {
		l, err := d.r.ReadString('\n')
		if err != nil {
			d.t.Fatalf("read reply after %q: %v", lines, err)
		}
		l = strings.TrimSuffix(l, "\r\n")
		lines = append(lines, l)
		if len(l) < 4 || l[3] != '-' {
			return lines
		}
	}
}

func (d *dialog) send(s string) {
	d.t.Helper()
	if _, err := io.WriteString(d.c, s); err != nil {
		d.t.Fatal(err)
	}
}

func start(t *testing.T, addr string, b Behavior) *Server {
	t.Helper()
	s, err := Start(addr, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestServerDialogue(t *testing.T) {
	type exchange struct {
		send string
		want []string
	}
	tests := []struct {
		name      string
		b         Behavior
		greeting  []string
		exchanges []exchange
		commands  map[string]int
		pipelined int
	}{
		{
			name:     "every verb counted",
			greeting: []string{"220 " + DefaultHostname + " ESMTP smtptest"},
			exchanges: []exchange{
				{"EHLO client.example\r\n", []string{"250-" + DefaultHostname, "250-PIPELINING", "250-SIZE 10240000", "250-8BITMIME", "250 STARTTLS"}},
				{"HELO client.example\r\n", []string{"250 " + DefaultHostname}},
				{"MAIL FROM:<>\r\n", []string{"502 command not implemented"}},
				{"rcpt TO:<a@b>\r\n", []string{"502 command not implemented"}},
				{"DATA\r\n", []string{"502 command not implemented"}},
				{"NOOP\r\n", []string{"250 2.0.0 Ok"}},
				{"VRFY postmaster\r\n", []string{"502 command not implemented"}},
				{"QUIT\r\n", []string{"221 bye"}},
			},
			commands: map[string]int{VerbEHLO: 1, VerbHELO: 1, VerbMAIL: 1, VerbRCPT: 1, VerbDATA: 1, VerbNOOP: 1, OtherVerb: 1, VerbQUIT: 1},
		},
		{
			name:     "pipelined commands noticed",
			greeting: []string{"220 " + DefaultHostname + " ESMTP smtptest"},
			exchanges: []exchange{
				// One write: the second command is buffered behind the first.
				{"RSET\r\nQUIT\r\n", []string{"502 command not implemented"}},
				{"", []string{"221 bye"}},
			},
			commands:  map[string]int{OtherVerb: 1, VerbQUIT: 1},
			pipelined: 1,
		},
		{
			name:     "554 greeting waits for quit",
			b:        Behavior{BannerCode: 554, Banner: []string{"no", "service"}},
			greeting: []string{"554-no", "554 service"},
			exchanges: []exchange{
				{"EHLO client.example\r\n", []string{"503 bad sequence of commands"}},
				{"QUIT\r\n", []string{"221 bye"}},
			},
			commands: map[string]int{VerbEHLO: 1, VerbQUIT: 1},
		},
		{
			name:     "ehlo rejected, no starttls, custom extensions",
			b:        Behavior{RejectEHLO: true, NoSTARTTLS: true, Hostname: "mx.test.example", Extensions: []string{"SMTPUTF8"}},
			greeting: []string{"220 mx.test.example ESMTP smtptest"},
			exchanges: []exchange{
				{"EHLO client.example\r\n", []string{"502 command not implemented"}},
				{"STARTTLS\r\n", []string{"502 command not implemented"}},
				{"QUIT\r\n", []string{"221 bye"}},
			},
			commands: map[string]int{VerbEHLO: 1, VerbSTARTTLS: 1, VerbQUIT: 1},
		},
		{
			name:     "starttls refused with 454",
			b:        Behavior{STARTTLSCode: 454, Extensions: []string{}},
			greeting: []string{"220 " + DefaultHostname + " ESMTP smtptest"},
			exchanges: []exchange{
				{"EHLO client.example\r\n", []string{"250-" + DefaultHostname, "250 STARTTLS"}},
				{"STARTTLS\r\n", []string{"454 TLS not available"}},
				{"QUIT\r\n", []string{"221 bye"}},
			},
			commands: map[string]int{VerbEHLO: 1, VerbSTARTTLS: 1, VerbQUIT: 1},
		},
		{
			name:     "overlong command line",
			greeting: []string{"220 " + DefaultHostname + " ESMTP smtptest"},
			exchanges: []exchange{
				{strings.Repeat("X", MaxCommandLine+3) + "\r\n", []string{"500 line too long"}},
			},
			commands: map[string]int{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, "127.0.9.1:0", tt.b)
			d := dial(t, s)
			if got := d.reply(); !reflect.DeepEqual(got, tt.greeting) {
				t.Fatalf("greeting %q, want %q", got, tt.greeting)
			}
			for _, ex := range tt.exchanges {
				if ex.send != "" {
					d.send(ex.send)
				}
				if got := d.reply(); !reflect.DeepEqual(got, ex.want) {
					t.Fatalf("reply to %q = %q, want %q", ex.send, got, ex.want)
				}
			}
			// The server closes after the last exchange of every case.
			if _, err := d.r.ReadByte(); !errors.Is(err, io.EOF) {
				t.Fatalf("after the dialogue: %v, want EOF", err)
			}
			st := s.Stats()
			if !reflect.DeepEqual(st.Commands, tt.commands) || st.Pipelined != tt.pipelined || st.Connections != 1 {
				t.Fatalf("stats %+v, want commands %v, %d pipelined, 1 connection", st, tt.commands, tt.pipelined)
			}
		})
	}
}

func TestServerTLS(t *testing.T) {
	ca, err := NewCA("Test Root")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cert, err := ca.Issue([]string{DefaultHostname}, now.Add(-time.Hour), now.Add(time.Hour), KeyECDSA256)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		b         Behavior
		handshake bool   // the handshake must succeed
		raw       string // what a raw read after 220 must return, when not a handshake
	}{
		{"crypto/tls", Behavior{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, true, ""},
		{"tls handler", Behavior{TLSHandler: func(c net.Conn) { _, _ = io.WriteString(c, "raw fake") }}, false, "raw fake"},
		{"broken tls", Behavior{BrokenTLS: true}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, "127.0.9.2:0", tt.b)
			d := dial(t, s)
			d.reply()
			d.send("EHLO client.example\r\n")
			d.reply()
			d.send("STARTTLS\r\n")
			if got := d.reply(); !reflect.DeepEqual(got, []string{"220 ready to start TLS"}) {
				t.Fatalf("reply to STARTTLS %q", got)
			}
			switch {
			case tt.raw != "":
				got, err := io.ReadAll(d.r)
				if err != nil || string(got) != tt.raw {
					t.Fatalf("after 220 read %q, %v; want %q", got, err, tt.raw)
				}
				return
			}
			tc := tls.Client(d.c, &tls.Config{ServerName: DefaultHostname, RootCAs: ca.Pool()})
			ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
			defer cancel()
			err := tc.HandshakeContext(ctx)
			if !tt.handshake {
				if err == nil {
					t.Fatal("handshake succeeded against broken TLS")
				}
				return
			}
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			td := &dialog{t: t, c: tc, r: bufio.NewReader(tc)}
			td.send("EHLO client.example\r\n")
			want := []string{"250-" + DefaultHostname, "250-PIPELINING", "250-SIZE 10240000", "250 8BITMIME"}
			if got := td.reply(); !reflect.DeepEqual(got, want) {
				t.Fatalf("EHLO inside TLS %q, want %q", got, want)
			}
			td.send("STARTTLS\r\n")
			if got := td.reply(); !reflect.DeepEqual(got, []string{"503 TLS already active"}) {
				t.Fatalf("STARTTLS inside TLS %q", got)
			}
			td.send("QUIT\r\n")
			if got := td.reply(); !reflect.DeepEqual(got, []string{"221 bye"}) {
				t.Fatalf("QUIT inside TLS %q", got)
			}
		})
	}
}

func TestServerHostileGreetings(t *testing.T) {
	t.Run("garbage", func(t *testing.T) {
		s := start(t, "127.0.9.3:0", Behavior{Garbage: true})
		d := dial(t, s)
		l, err := d.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if len(l) != garbageLength+2 || !strings.HasSuffix(l, "\r\n") {
			t.Fatalf("garbage line of %d bytes: %q", len(l), l)
		}
		for i := range garbageLength {
			if l[i] < 0x80 {
				t.Fatalf("byte %d is %#x, want a high byte", i, l[i])
			}
		}
	})
	t.Run("endless banner ends when the client leaves", func(t *testing.T) {
		s := start(t, "127.0.9.4:0", Behavior{EndlessBanner: true})
		d := dial(t, s)
		const lines = 1000
		for i := range lines {
			l, err := d.r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(l, "220-") {
				t.Fatalf("line %d %q", i, l)
			}
		}
		_ = d.c.Close()
		// Close waits for the handler: it must notice the client left.
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("close wakes a dripping handler", func(t *testing.T) {
		s := start(t, "127.0.9.5:0", Behavior{Drip: time.Hour})
		d := dial(t, s)
		b, err := d.r.ReadByte()
		if err != nil || b != '2' {
			t.Fatalf("first byte %q, %v", b, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := d.r.ReadByte(); !errors.Is(err, io.EOF) {
			t.Fatalf("after Close: %v, want EOF", err)
		}
	})
	t.Run("421 greeting closes", func(t *testing.T) {
		s := start(t, "127.0.9.6:0", Behavior{BannerCode: 421})
		d := dial(t, s)
		if got := d.reply(); !reflect.DeepEqual(got, []string{"421 " + DefaultHostname + " service not available, closing channel"}) {
			t.Fatalf("greeting %q", got)
		}
		if _, err := d.r.ReadByte(); !errors.Is(err, io.EOF) {
			t.Fatalf("after 421: %v, want EOF", err)
		}
	})
}

// waitRecorder stands in for the simulated round trips: it records each
// wait and returns at once, so latency is asserted without timing.
type waitRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *waitRecorder) wait(d time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
	return true
}

func (r *waitRecorder) got() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.waits)
}

func TestServerLatency(t *testing.T) {
	const rtt = 40 * time.Millisecond
	ca, err := NewCA("Test Root")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cert, err := ca.Issue([]string{DefaultHostname}, now.Add(-time.Hour), now.Add(time.Hour), KeyECDSA256)
	if err != nil {
		t.Fatal(err)
	}
	const hello, answer = "hello", "answer"
	handler := func(c net.Conn) {
		buf := make([]byte, len(hello))
		if _, err := io.ReadFull(c, buf); err == nil {
			_, _ = io.WriteString(c, answer)
		}
	}
	tests := []struct {
		name string
		b    Behavior
		// after runs the rest of the dialogue once STARTTLS got its 220
		// (nil: QUIT right after EHLO).
		after func(t *testing.T, d *dialog)
		// want are the exact waits; minWaits, when set instead, the least
		// number of waits, all one round trip after the greeting's.
		want     []time.Duration
		minWaits int
	}{
		{
			name: "smtp replies",
			want: []time.Duration{2 * rtt, rtt, rtt},
		},
		{
			name: "tls handler",
			b:    Behavior{TLSHandler: handler},
			after: func(t *testing.T, d *dialog) {
				d.send(hello)
				got, err := io.ReadAll(d.r)
				if err != nil || string(got) != answer {
					t.Fatalf("raw answer %q, %v; want %q", got, err, answer)
				}
			},
			want: []time.Duration{2 * rtt, rtt, rtt, rtt},
		},
		{
			name: "broken tls half-closes through the delay",
			b:    Behavior{BrokenTLS: true},
			after: func(t *testing.T, d *dialog) {
				d.send(hello)
				got, err := io.ReadAll(d.r)
				if err != nil || len(got) != garbageLength {
					t.Fatalf("read %d bytes, %v; want %d bytes then EOF", len(got), err, garbageLength)
				}
			},
			// The garbage answers the client's hello, one round trip later.
			want: []time.Duration{2 * rtt, rtt, rtt, rtt},
		},
		{
			name: "crypto/tls",
			b:    Behavior{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}},
			after: func(t *testing.T, d *dialog) {
				tc := tls.Client(d.c, &tls.Config{ServerName: DefaultHostname, RootCAs: ca.Pool()})
				ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
				defer cancel()
				if err := tc.HandshakeContext(ctx); err != nil {
					t.Fatalf("handshake: %v", err)
				}
				td := &dialog{t: t, c: tc, r: bufio.NewReader(tc)}
				td.send("QUIT\r\n")
				if got := td.reply(); !reflect.DeepEqual(got, []string{"221 bye"}) {
					t.Fatalf("QUIT inside TLS %q", got)
				}
			},
			// greeting, EHLO, STARTTLS, the server's handshake flight, QUIT.
			minWaits: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &waitRecorder{}
			b := tt.b
			b.Latency, b.latencyWait = rtt, rec.wait
			s := start(t, "127.0.9.3:0", b)
			d := dial(t, s)
			if got := d.reply(); !reflect.DeepEqual(got, []string{"220 " + DefaultHostname + " ESMTP smtptest"}) {
				t.Fatalf("greeting %q", got)
			}
			d.send("EHLO client.example\r\n")
			d.reply()
			if tt.after == nil {
				d.send("QUIT\r\n")
				d.reply()
			} else {
				d.send("STARTTLS\r\n")
				if got := d.reply(); !reflect.DeepEqual(got, []string{"220 ready to start TLS"}) {
					t.Fatalf("reply to STARTTLS %q", got)
				}
				tt.after(t, d)
			}
			_ = d.c.Close()
			_ = s.Close() // every handler has returned: the record is final
			got := rec.got()
			if tt.want != nil {
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("waits %v, want %v", got, tt.want)
				}
				return
			}
			if len(got) < tt.minWaits || got[0] != 2*rtt {
				t.Fatalf("waits %v, want at least %d starting with %v", got, tt.minWaits, 2*rtt)
			}
			for i, w := range got[1:] {
				if w != rtt {
					t.Fatalf("wait %d is %v, want %v (all: %v)", i+1, w, rtt, got)
				}
			}
		})
	}
}

func TestLatencyConnClosedServer(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	lc := &latencyConn{Conn: server, rtt: time.Millisecond, owed: time.Millisecond,
		wait: func(time.Duration) bool { return false }}
	n, err := lc.Write([]byte("x"))
	if n != 0 || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write while closing = %d, %v; want 0, net.ErrClosed", n, err)
	}
	// Nothing owed any more: the next write goes straight through.
	go func() { _, _ = io.ReadAll(client) }()
	if n, err := lc.Write([]byte("y")); n != 1 || err != nil {
		t.Fatalf("second write = %d, %v; want 1, nil", n, err)
	}
	_ = lc.Close()
}
