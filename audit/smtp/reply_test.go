package smtp

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

func TestParseReply(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  evidence.Reply
		kind  evidence.ErrorKind // "" when no error is expected
	}{
		{"single", []string{"220 mx.example.com ESMTP"}, evidence.Reply{Code: 220, Lines: []string{"mx.example.com ESMTP"}}, ""},
		{"code only", []string{"250"}, evidence.Reply{Code: 250, Lines: []string{""}}, ""},
		{"code and space", []string{"250 "}, evidence.Reply{Code: 250, Lines: []string{""}}, ""},
		{"multi", []string{"250-mx.example.com", "250-PIPELINING", "250 STARTTLS"}, evidence.Reply{Code: 250, Lines: []string{"mx.example.com", "PIPELINING", "STARTTLS"}}, ""},
		{"empty continuation text", []string{"250-", "250 x"}, evidence.Reply{Code: 250, Lines: []string{"", "x"}}, ""},
		{"text kept verbatim", []string{"554  two  spaces\t"}, evidence.Reply{Code: 554, Lines: []string{" two  spaces\t"}}, ""},
		{"no lines", nil, evidence.Reply{}, evidence.ErrProtocol},
		{"empty line", []string{""}, evidence.Reply{}, evidence.ErrProtocol},
		{"short", []string{"22"}, evidence.Reply{}, evidence.ErrProtocol},
		{"letters", []string{"abc hello"}, evidence.Reply{}, evidence.ErrProtocol},
		{"first digit 1", []string{"199 x"}, evidence.Reply{}, evidence.ErrProtocol},
		{"first digit 6", []string{"600 x"}, evidence.Reply{}, evidence.ErrProtocol},
		{"bad separator", []string{"220:x"}, evidence.Reply{}, evidence.ErrProtocol},
		{"four digits", []string{"2200 x"}, evidence.Reply{}, evidence.ErrProtocol},
		{"ends with continuation", []string{"250-a", "250-b"}, evidence.Reply{}, evidence.ErrProtocol},
		{"final in the middle", []string{"250 a", "250 b"}, evidence.Reply{}, evidence.ErrProtocol},
		{"code changes", []string{"250-a", "251 b"}, evidence.Reply{}, evidence.ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReply(tt.lines)
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("ParseReply(%q) error %v", tt.lines, err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("ParseReply(%q) = %+v, want %+v", tt.lines, got, tt.want)
				}
				return
			}
			var ev *evidence.Error
			if !errors.As(err, &ev) || ev.Kind != tt.kind {
				t.Fatalf("ParseReply(%q) error %v, want kind %q", tt.lines, err, tt.kind)
			}
		})
	}
}

func TestParseReplyQuotesOffendingLine(t *testing.T) {
	line := "\x1b[31mevil\r" + strings.Repeat("x", 200)
	_, err := ParseReply([]string{line})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\x1b\r") {
		t.Fatalf("control bytes reached the message: %q", msg)
	}
	if !strings.Contains(msg, `"\x1b[31mevil\r`) {
		t.Fatalf("message does not quote the line: %q", msg)
	}
	if len(msg) > 2*quoteCap {
		t.Fatalf("message not capped (%d bytes): %q", len(msg), msg)
	}
}

func TestReaderReadLine(t *testing.T) {
	const maxLine = 10
	type result struct {
		line      string
		truncated bool
		err       error // compared with errors.Is, or by kind for *evidence.Error
		kind      evidence.ErrorKind
	}
	tests := []struct {
		name  string
		input string
		want  []result
	}{
		{"crlf", "220 a\r\n250 b\r\n", []result{{line: "220 a"}, {line: "250 b"}, {err: io.EOF}}},
		{"bare lf", "220 a\n250 b\n", []result{{line: "220 a"}, {line: "250 b"}, {err: io.EOF}}},
		{"bare cr is not a line end", "220 a\rb\r\n", []result{{line: "220 a\rb"}, {err: io.EOF}}},
		{"exactly the cap", "0123456789\r\n", []result{{line: "0123456789"}, {err: io.EOF}}},
		{"exactly the cap, bare lf", "0123456789\n", []result{{line: "0123456789"}, {err: io.EOF}}},
		{"one over the cap", "0123456789A\r\n", []result{{line: "0123456789", truncated: true, kind: evidence.ErrTooLong}}},
		{"no line end beyond the cap", "0123456789ABCDEF", []result{{line: "0123456789", truncated: true, kind: evidence.ErrTooLong}}},
		{"cap then cr then no lf", "0123456789\rX", []result{{line: "0123456789", truncated: true, kind: evidence.ErrTooLong}}},
		{"partial at eof", "220 ab", []result{{line: "220 ab", err: io.ErrUnexpectedEOF}}},
		{"empty", "", []result{{err: io.EOF}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.input), maxLine, 0)
			var seen []result
			r.onLine = func(line string, truncated bool) { seen = append(seen, result{line: line, truncated: truncated}) }
			var wantSeen []result
			for i, w := range tt.want {
				line, err := r.ReadLine()
				if line != w.line {
					t.Fatalf("line %d = %q, want %q", i, line, w.line)
				}
				switch {
				case w.kind != "":
					var ev *evidence.Error
					if !errors.As(err, &ev) || ev.Kind != w.kind {
						t.Fatalf("line %d error %v, want kind %q", i, err, w.kind)
					}
				case w.err != nil:
					if !errors.Is(err, w.err) {
						t.Fatalf("line %d error %v, want %v", i, err, w.err)
					}
				case err != nil:
					t.Fatalf("line %d error %v", i, err)
				}
				if w.line != "" || w.err == nil {
					wantSeen = append(wantSeen, result{line: w.line, truncated: w.truncated})
				}
			}
			if !reflect.DeepEqual(seen, wantSeen) {
				t.Fatalf("observed lines %+v, want %+v", seen, wantSeen)
			}
		})
	}
}

func TestReaderReadReply(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		maxLines int
		want     []evidence.Reply
		kind     evidence.ErrorKind // error after the replies in want; "" for io.EOF
	}{
		{"two replies", "220-a\r\n220 b\r\n250 ok\r\n", 0, []evidence.Reply{{Code: 220, Lines: []string{"a", "b"}}, {Code: 250, Lines: []string{"ok"}}}, ""},
		{"at the line cap", "250-1\n250-2\n250 3\n", 3, []evidence.Reply{{Code: 250, Lines: []string{"1", "2", "3"}}}, ""},
		{"over the line cap", "250-1\n250-2\n250-3\n250 4\n", 3, nil, evidence.ErrTooLong},
		{"code change stops at once", "220-a\r\n221-b\r\n", 0, nil, evidence.ErrProtocol},
		{"garbage", "\x16\x03\x01\x00\xa5\n", 0, nil, evidence.ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.input), 0, tt.maxLines)
			for i, w := range tt.want {
				got, err := r.ReadReply()
				if err != nil {
					t.Fatalf("reply %d: %v", i, err)
				}
				if !reflect.DeepEqual(got, w) {
					t.Fatalf("reply %d = %+v, want %+v", i, got, w)
				}
			}
			_, err := r.ReadReply()
			if tt.kind == "" {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("final error %v, want EOF", err)
				}
				return
			}
			var ev *evidence.Error
			if !errors.As(err, &ev) || ev.Kind != tt.kind {
				t.Fatalf("final error %v, want kind %q", err, tt.kind)
			}
		})
	}
}

func TestExtensions(t *testing.T) {
	tests := []struct {
		name     string
		lines    []string
		want     []string
		starttls bool
	}{
		{"typical", []string{"mx.example.com Hello", "PIPELINING", "SIZE 10240000", "STARTTLS"}, []string{"PIPELINING", "SIZE 10240000", "STARTTLS"}, true},
		{"lower case keyword", []string{"mx", "starttls"}, []string{"STARTTLS"}, true},
		{"parameters kept as sent", []string{"mx", "auth  PLAIN login", "size\t1000 "}, []string{"AUTH PLAIN login", "SIZE 1000"}, false},
		{"trailing space", []string{"mx", "STARTTLS "}, []string{"STARTTLS"}, true},
		{"greeting line is not a keyword", []string{"STARTTLS"}, nil, false},
		{"keyword inside parameters", []string{"mx", "AUTH PLAIN STARTTLS"}, []string{"AUTH PLAIN STARTTLS"}, false},
		{"prefixed keyword", []string{"mx", "X-STARTTLS"}, []string{"X-STARTTLS"}, false},
		{"non-ascii long s", []string{"mx", "ſtarttls"}, []string{"ſTARTTLS"}, false},
		{"empty lines skipped", []string{"mx", "", "8BITMIME"}, []string{"8BITMIME"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, starttls := extensions(evidence.Reply{Code: codeOK, Lines: tt.lines})
			if !reflect.DeepEqual(got, tt.want) || starttls != tt.starttls {
				t.Fatalf("extensions(%q) = %q, %v; want %q, %v", tt.lines, got, starttls, tt.want, tt.starttls)
			}
		})
	}
}

func TestValidFQDN(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"scanner.example.com", true},
		{"a-b.c1.example", true},
		{"x.y", true},
		{"", false},
		{"localhost", false},
		{"example.com.", false},
		{".example.com", false},
		{"a..example.com", false},
		{"-a.example.com", false},
		{"a-.example.com", false},
		{"under_score.example.com", false},
		{"sp ace.example.com", false},
		{"192.0.2.1", false},
		{"[192.0.2.1]", false},
		{"bücher.example", false},
		{strings.Repeat("a", 64) + ".example", false},
		{strings.Repeat("a", 63) + ".example", true},
		{strings.Repeat("a.", 126) + "ab", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validFQDN(tt.name)
			if (err == nil) != tt.ok {
				t.Fatalf("validFQDN(%q) = %v, want ok=%v", tt.name, err, tt.ok)
			}
		})
	}
}

func BenchmarkReadReply(b *testing.B) {
	input := strings.Repeat("250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n", 1)
	for b.Loop() {
		r := NewReader(strings.NewReader(input), 0, 0)
		if _, err := r.ReadReply(); err != nil {
			b.Fatal(err)
		}
	}
}
