package dnstest

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

// recorder is a dns.ResponseWriter that keeps the reply.
type recorder struct {
	remote net.Addr
	reply  *dns.Msg
}

func (w *recorder) LocalAddr() net.Addr  { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53} }
func (w *recorder) RemoteAddr() net.Addr { return w.remote }
func (w *recorder) WriteMsg(m *dns.Msg) error {
	w.reply = m
	return nil
}
func (w *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (w *recorder) Close() error                { return nil }
func (w *recorder) TsigStatus() error           { return nil }
func (w *recorder) TsigTimersOnly(bool)         {}
func (w *recorder) Hijack()                     {}

// FuzzServe feeds any query miekg/dns can unpack to the handler, over UDP
// and TCP, of a flat server and of a server of signed and unsigned zones,
// and checks that the reply fits the client's buffer over UDP and answers
// the question asked.
func FuzzServe(f *testing.F) {
	f.Add([]byte{})
	records, err := ParseZone(testZone)
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{faults: map[string]fault{"trunc.example.test.": faultTruncate, "fail.example.test.": faultServFail}}
	s.SetRecords(records)
	// The same questions go to a server of signed and unsigned zones.
	zs := newServer()
	child, err := NewSignedZone("signed.example.test.", mustParseF(f, signedText), SignOptions{})
	if err != nil {
		f.Fatal(err)
	}
	nsec3 := &NSEC3Options{OptOut: true}
	parent, err := NewSignedZone("example.test.", append(mustParseF(f, parentText), child.DS...), SignOptions{NSEC3: nsec3})
	if err != nil {
		f.Fatal(err)
	}
	if err := zs.SetZones(parent, child, &Zone{Origin: "plain.example.test.", Records: mustParseF(f, plainText)}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(dns.Msg)
		if err := req.Unpack(data); err != nil {
			return
		}
		for _, srv := range []*Server{s, zs} {
			serveOnce(t, srv, req)
		}
	})
}

func mustParseF(f *testing.F, text string) []dns.RR {
	rrs, err := ParseZone(text)
	if err != nil {
		f.Fatal(err)
	}
	return rrs
}

// serveOnce answers req over UDP and TCP and checks the replies.
func serveOnce(t *testing.T, s *Server, req *dns.Msg) {
	t.Helper()
	for _, remote := range []net.Addr{&net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}} {
		w := &recorder{remote: remote}
		s.serve(w, req)
		if w.reply == nil {
			t.Fatalf("no reply")
		}
		b, err := w.reply.Pack()
		if err != nil {
			t.Fatalf("reply does not pack: %v", err)
		}
		if _, udp := remote.(*net.UDPAddr); udp {
			size := dns.MinMsgSize
			if opt := req.IsEdns0(); opt != nil {
				size = max(int(opt.UDPSize()), dns.MinMsgSize)
			}
			if len(b) > size {
				t.Fatalf("udp reply of %d bytes for a %d-byte buffer", len(b), size)
			}
		}
		if w.reply.Id != req.Id || !w.reply.Response {
			t.Fatalf("reply id %d response %v for query %d", w.reply.Id, w.reply.Response, req.Id)
		}
	}
}
