package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/smtp/smtptest"
)

// relay is an in-process mail relay for the delivery tests: it requires
// STARTTLS before MAIL (530 otherwise), takes AUTH PLAIN only under TLS,
// and keeps each message it accepts.
type relay struct {
	ln       net.Listener
	cert     tls.Certificate
	caPEM    []byte
	noTLS    bool // never offer STARTTLS
	mu       sync.Mutex
	messages []relayed
	auth     string
}

type relayed struct {
	from, to string
	tls      bool
	data     []byte
}

func startRelay(t *testing.T, noTLS bool) *relay {
	t.Helper()
	ca, err := smtptest.NewCA("mxaudit test relay CA")
	if err != nil {
		t.Fatal(err)
	}
	ip := fmt.Sprintf("127.%d.%d.%d", 30+rand.IntN(100), rand.IntN(250), 1+rand.IntN(250))
	cert, err := ca.Issue([]string{ip}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), smtptest.KeyECDSA256)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, cert: cert, caPEM: ca.CertPEM(), noTLS: noTLS}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c)
		}
	}()
	return r
}

func (r *relay) hostPort() (string, int) {
	a := r.ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func (r *relay) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br, w := bufio.NewReader(c), c.(io.Writer)
	say := func(s string) { fmt.Fprintf(w, "%s\r\n", s) }
	say("220 relay.test ESMTP")
	inTLS := false
	var msg relayed
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch {
		case verb == "EHLO":
			if !inTLS && !r.noTLS {
				say("250-relay.test\r\n250-8BITMIME\r\n250 STARTTLS")
			} else {
				say("250-relay.test\r\n250-8BITMIME\r\n250 AUTH PLAIN")
			}
		case verb == "STARTTLS" && !inTLS && !r.noTLS:
			say("220 go ahead")
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{r.cert}})
			if err := tc.Handshake(); err != nil {
				return
			}
			c, inTLS = tc, true
			br, w = bufio.NewReader(tc), tc
		case verb == "AUTH":
			if !inTLS {
				say("538 encryption required")
				continue
			}
			r.mu.Lock()
			r.auth = strings.TrimPrefix(line, "AUTH PLAIN ")
			r.mu.Unlock()
			say("235 ok")
		case verb == "MAIL":
			if !inTLS {
				say("530 must issue STARTTLS first")
				continue
			}
			msg = relayed{from: line, tls: inTLS}
			say("250 ok")
		case verb == "RCPT":
			msg.to += line + "\n"
			say("250 ok")
		case verb == "DATA":
			say("354 go on")
			var data bytes.Buffer
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			msg.data = data.Bytes()
			r.mu.Lock()
			r.messages = append(r.messages, msg)
			r.mu.Unlock()
			say("250 queued")
		case verb == "RSET" || verb == "NOOP":
			say("250 ok")
		case verb == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

func (r *relay) got() []relayed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]relayed(nil), r.messages...)
}

// writeMailConfig writes a --config file naming the relay.
func writeMailConfig(t *testing.T, dir string, r *relay) string {
	t.Helper()
	ca := filepath.Join(dir, "relay-ca.pem")
	if err := os.WriteFile(ca, r.caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	host, port := r.hostPort()
	p := filepath.Join(dir, "mxaudit.yaml")
	body := fmt.Sprintf("organisation: Test Org\nformats: [pdf, json]\nmail:\n  host: %q\n  port: %d\n  user: audit\n  password_env: TEST_RELAY_PW\n  from: audit@example.org\n  ca_file: %s\n", host, port, ca)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// attachments returns the attached files of a MIME message by name.
func attachments(t *testing.T, raw []byte) (subject, body string, files map[string][]byte) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	files = map[string][]byte{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			b, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
			if err != nil {
				t.Fatal(err)
			}
		}
		if name := p.FileName(); name != "" {
			files[name] = b
		} else {
			body += string(b)
		}
	}
	return subject, body, files
}

func TestRunMailAndNotify(t *testing.T) {
	c := startCLIFleet(t, smallFleet())
	rl := startRelay(t, false)
	cfg := writeMailConfig(t, c.dir, rl)
	var hookMu sync.Mutex
	var hook []byte
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		hookMu.Lock()
		hook = b
		hookMu.Unlock()
		if r.Header.Get("Content-Type") != "application/json" || r.Method != http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(hookSrv.Close)
	list := writeList(t, c.dir, "Old Ltd,old.example,Bob,2", "Plain Inc,plain.example,Di,1")
	dbPath, out := filepath.Join(c.dir, "h.db"), filepath.Join(c.dir, "reports")
	base := append([]string{"run", "--db", dbPath, "--out", out, "--config", cfg}, c.flags()...)

	// No password in the environment: refused before the audit.
	if code, _, stderr := runCLI(t, append(base, "--mail-to", "ciso@example.org", list)...); code != exitUsage || !strings.Contains(stderr, "$TEST_RELAY_PW") {
		t.Fatalf("without a password: exit %d %s", code, stderr)
	}
	t.Setenv("TEST_RELAY_PW", "s3cret")
	code, stdout, stderr := runCLI(t, append(base, "--mail-to", "ciso@example.org,cio@example.org", "--notify", hookSrv.URL+"/hook?token=x", list)...)
	if code != exitOK {
		t.Fatalf("run: exit %d %s %s", code, stdout, stderr)
	}
	msgs := rl.got()
	if len(msgs) != 1 || !msgs[0].tls || strings.Count(msgs[0].to, "RCPT") != 2 {
		t.Fatalf("relay got %+v; want one message over TLS to two recipients", msgs)
	}
	rl.mu.Lock()
	auth := rl.auth
	rl.mu.Unlock()
	if want := base64.StdEncoding.EncodeToString([]byte("\x00audit\x00s3cret")); auth != want {
		t.Errorf("AUTH PLAIN %q, want %q", auth, want)
	}
	subject, body, files := attachments(t, msgs[0].data)
	if !strings.HasPrefix(subject, "mxaudit run 1: 2 vendors") || !strings.Contains(body, "Findings:") || !strings.Contains(body, "Vendors: 2") {
		t.Errorf("subject %q body %q", subject, body)
	}
	pdfs, _ := filepath.Glob(filepath.Join(out, "*.pdf"))
	if len(pdfs) != 1 || len(files) != 1 {
		t.Fatalf("pdfs written %v, attachments %d", pdfs, len(files))
	}
	want, _ := os.ReadFile(pdfs[0])
	if got := files[filepath.Base(pdfs[0])]; !bytes.Equal(got, want) || !bytes.HasPrefix(got, []byte("%PDF-")) {
		t.Errorf("the attachment is not the PDF written (%d bytes, want %d)", len(got), len(want))
	}
	var n notice
	hookMu.Lock()
	err := json.Unmarshal(hook, &n)
	hookMu.Unlock()
	if err != nil || n.Run.ID != 1 || n.Vendors != 2 || len(n.Grades) == 0 || n.OverdueList == nil || len(n.Reports) != 2 {
		t.Errorf("webhook got %s (%v)", hook, err)
	}

	// A relay without STARTTLS is never used in clear: exit 4, nothing sent,
	// the run and its reports kept.
	plain := startRelay(t, true)
	cfg2 := writeMailConfig(t, t.TempDir(), plain)
	code, _, stderr = runCLI(t, append(append([]string{"run", "--db", dbPath, "--out", out, "--config", cfg2}, c.flags()...), "--mail-to", "ciso@example.org", list)...)
	if code != exitDelivery || !strings.Contains(stderr, "delivery failed") || len(plain.got()) != 0 {
		t.Errorf("relay without STARTTLS: exit %d %s; messages %d", code, stderr, len(plain.got()))
	}
	if code, out, _ := runCLI(t, "runs", "--db", dbPath); code != exitOK || strings.Count(out, "completed") != 2 {
		t.Errorf("the run is not kept:\n%s", out)
	}
	// A webhook that answers 500, with its token kept out of the message.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	t.Cleanup(bad.Close)
	code, _, stderr = runCLI(t, append(append([]string{"run", "--db", dbPath, "--no-report"}, c.flags()...), "--notify", bad.URL+"/h?token=SECRET", list)...)
	if code != exitDelivery || !strings.Contains(stderr, "500") || strings.Contains(stderr, "SECRET") {
		t.Errorf("failing webhook: exit %d %s", code, stderr)
	}
	for _, bad := range [][]string{{"--notify", "ftp://x"}, {"--mail-to", "not an address"}} {
		if code, _, stderr := runCLI(t, append(append([]string{"run", "--db", dbPath, "--config", cfg}, bad...), list)...); code != exitUsage {
			t.Errorf("%v: exit %d %s", bad, code, stderr)
		}
	}
}
