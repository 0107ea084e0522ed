package smtp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Caps used by the fuzz targets: small, so the fuzzer reaches them.
const (
	fuzzMaxLine  = 64
	fuzzMaxLines = 8
)

// printable reports whether s holds only printable ASCII, as every error
// message quoting remote bytes must.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// checkParsed asserts the invariants of a parsed reply.
func checkParsed(t *testing.T, r evidence.Reply, lines int) {
	t.Helper()
	if r.Code < 200 || r.Code > 599 {
		t.Fatalf("code %d out of range", r.Code)
	}
	if len(r.Lines) != lines {
		t.Fatalf("%d text lines from %d lines", len(r.Lines), lines)
	}
}

// render writes a reply back in wire form.
func render(r evidence.Reply) []string {
	out := make([]string, len(r.Lines))
	for i, l := range r.Lines {
		sep := "-"
		if i == len(r.Lines)-1 {
			sep = " "
		}
		out[i] = fmt.Sprintf("%d%s%s", r.Code, sep, l)
	}
	return out
}

func FuzzParseReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, data string) {
		lines := strings.Split(data, "\n")
		r, err := ParseReply(lines)
		if err != nil {
			var ev *evidence.Error
			if !errors.As(err, &ev) || ev.Kind != evidence.ErrProtocol {
				t.Fatalf("error %v is not a protocol error", err)
			}
			if !printable(ev.Message) {
				t.Fatalf("message with unprintable bytes: %q", ev.Message)
			}
			return
		}
		checkParsed(t, r, len(lines))
		again, err := ParseReply(render(r))
		if err != nil {
			t.Fatalf("rendered reply does not parse: %v", err)
		}
		if again.Code != r.Code || strings.Join(again.Lines, "\n") != strings.Join(r.Lines, "\n") {
			t.Fatalf("round trip %+v -> %+v", r, again)
		}
	})
}

func FuzzReadReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), fuzzMaxLine, fuzzMaxLines)
		r.onLine = func(line string, truncated bool) {
			if len(line) > fuzzMaxLine {
				t.Fatalf("observed line of %d bytes over the cap", len(line))
			}
		}
		// Each reply consumes at least one byte, so this bound is never the
		// reason the loop ends.
		for range len(data) + 1 {
			reply, err := r.ReadReply()
			if err != nil {
				var ev *evidence.Error
				switch {
				case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				case errors.As(err, &ev) && (ev.Kind == evidence.ErrProtocol || ev.Kind == evidence.ErrTooLong):
					if !printable(ev.Message) {
						t.Fatalf("message with unprintable bytes: %q", ev.Message)
					}
				default:
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			checkParsed(t, reply, len(reply.Lines))
			if len(reply.Lines) > fuzzMaxLines {
				t.Fatalf("reply of %d lines over the cap", len(reply.Lines))
			}
			for _, l := range reply.Lines {
				if len(l) > fuzzMaxLine-codeLength {
					t.Fatalf("text line of %d bytes over the cap", len(l))
				}
			}
		}
		t.Fatal("reader made no progress")
	})
}
