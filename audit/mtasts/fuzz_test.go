package mtasts

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// fuzzSep separates the TXT records packed into one fuzz input.
const fuzzSep = "\x00"

func FuzzParseSTSRecord(f *testing.F) {
	f.Fuzz(func(t *testing.T, txt string) {
		id, err := ParseSTSRecord(txt)
		if err != nil {
			if id != "" {
				t.Fatalf("id %q returned with error %v", id, err)
			}
			return
		}
		if !validID(id) || !hasVersion(txt, stsVersion) || !strings.Contains(txt, "id="+id) {
			t.Fatalf("accepted %q with id %q", txt, id)
		}
	})
}

func FuzzSelectSTSRecords(f *testing.F) {
	f.Fuzz(func(t *testing.T, packed string) {
		txts := strings.Split(packed, fuzzSep)
		records, id, err := SelectSTSRecords(txts)
		for _, r := range records {
			if !hasVersion(r, stsVersion) {
				t.Fatalf("kept %q", r)
			}
		}
		if err == nil && (len(records) != 1 || !validID(id)) {
			t.Fatalf("accepted %d records, id %q", len(records), id)
		}
		if err != nil && id != "" {
			t.Fatalf("id %q with error %v", id, err)
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	f.Fuzz(func(t *testing.T, body string) {
		p, _, err := ParsePolicy(body)
		if err != nil {
			return
		}
		if p.Version != policyVersion || p.MaxAge < 0 || p.MaxAge > MaxMaxAge {
			t.Fatalf("accepted %+v", p)
		}
		switch p.Mode {
		case ModeEnforce, ModeTesting:
			if len(p.MX) == 0 {
				t.Fatalf("mode %s without mx accepted", p.Mode)
			}
		case ModeNone:
		default:
			t.Fatalf("mode %q accepted", p.Mode)
		}
		for _, mx := range p.MX {
			if err := checkMXPattern(mx); err != nil {
				t.Fatalf("mx %q accepted: %v", mx, err)
			}
		}
	})
}

func FuzzMatchMX(f *testing.F) {
	f.Fuzz(func(t *testing.T, pattern, host string) {
		got, ok := MatchMX([]string{pattern}, host)
		if !ok {
			if got != "" {
				t.Fatalf("no match but pattern %q", got)
			}
			if h := normName(host); h != "" && h == normName(pattern) {
				t.Fatalf("%q does not match itself (%q)", host, pattern)
			}
			return
		}
		if got != pattern {
			t.Fatalf("returned %q, not the pattern %q", got, pattern)
		}
		h, p := normName(host), normName(pattern)
		if h != p {
			rest, wild := strings.CutPrefix(p, "*.")
			_, parent, _ := strings.Cut(h, ".")
			if !wild || parent != rest {
				t.Fatalf("%q matched %q", pattern, host)
			}
		}
	})
}

func FuzzParseTLSRPT(f *testing.F) {
	f.Fuzz(func(t *testing.T, packed string) {
		records, rua, err := ParseTLSRPT(strings.Split(packed, fuzzSep))
		for _, r := range records {
			if !hasVersion(r, tlsrptVersion) {
				t.Fatalf("kept %q", r)
			}
		}
		if err != nil {
			if rua != nil {
				t.Fatalf("rua %q with error %v", rua, err)
			}
			return
		}
		if len(records) != 1 || len(rua) == 0 {
			t.Fatalf("accepted %d records with %d URIs", len(records), len(rua))
		}
		for _, u := range rua {
			scheme, _, _ := strings.Cut(strings.ToLower(u), ":")
			if (scheme != schemeMailto && scheme != schemeHTTPS) || strings.ContainsAny(u, ",!; \t") {
				t.Fatalf("accepted URI %q", u)
			}
		}
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func FuzzReadConnectAnswer(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		cr := &countingReader{r: bytes.NewReader(data)}
		ans, err := readConnectAnswer(cr, connectRequest(goodTarget, ""))
		if cr.n > maxProxyAnswerBytes {
			t.Fatalf("read %d bytes, cap %d", cr.n, maxProxyAnswerBytes)
		}
		if err != nil {
			if ans != nil {
				t.Fatalf("answer %+v with error %v", ans, err)
			}
			if errors.As(err, new(answerTooLongError)) && cr.n != maxProxyAnswerBytes {
				t.Fatalf("too long after %d bytes", cr.n)
			}
			return
		}
		if ans.code < 0 || ans.code > 999 {
			t.Fatalf("code %d", ans.code)
		}
		if len(ans.status) > maxProxyStatusLen+len(capMarker) || sanitize(ans.status, len(ans.status)) != ans.status {
			t.Fatalf("status %q not sanitized", ans.status)
		}
		if !bytes.HasSuffix(data[:cr.n], ans.leftover) {
			t.Fatalf("leftover %q is not the end of what was read", ans.leftover)
		}
	})
}
