package mtasts

import (
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name         string
		body         string
		want         evidence.STSPolicy // compared only when wantErrs is empty
		wantProblems []string
		wantErrs     []string // the messages of the joined error, in order
	}{
		{
			name: "rfc example crlf",
			body: "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n",
			want: evidence.STSPolicy{Version: "STSv1", Mode: "enforce", MX: []string{"mail.example.com", "*.example.net", "backupmx.example.com"}, MaxAge: 604800},
		},
		{
			name: "lf no final terminator",
			body: "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400",
			want: evidence.STSPolicy{Version: "STSv1", Mode: "testing", MX: []string{"mx.example.com"}, MaxAge: 86400},
		},
		{
			name: "no space after colon and trailing wsp",
			body: "version:STSv1 \nmode:\tenforce\t\nmx:MX.Example.COM\nmax_age:31557600\n",
			want: evidence.STSPolicy{Version: "STSv1", Mode: "enforce", MX: []string{"MX.Example.COM"}, MaxAge: MaxMaxAge},
		},
		{
			name: "mode none without mx",
			body: "version: STSv1\nmode: none\nmax_age: 300\n",
			want: evidence.STSPolicy{Version: "STSv1", Mode: "none", MaxAge: 300},
		},
		{
			name: "unknown keys ignored",
			body: "version: STSv1\nmode: enforce\nfoo_bar: anything at all\nmx: a.example\nmax_age: 604800\n",
			want: evidence.STSPolicy{Version: "STSv1", Mode: "enforce", MX: []string{"a.example"}, MaxAge: 604800},
		},
		{
			name:         "duplicates first wins",
			body:         "version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\nmax_age: 604800\nmax_age: 1\n",
			want:         evidence.STSPolicy{Version: "STSv1", Mode: "testing", MX: []string{"a.example"}, MaxAge: 604800},
			wantProblems: []string{"line 3: repeated mode ignored (the first one applies)", "line 6: repeated max_age ignored (the first one applies)"},
		},
		{
			name:         "short max_age",
			body:         "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 3600\n",
			want:         evidence.STSPolicy{Version: "STSv1", Mode: "enforce", MX: []string{"a.example"}, MaxAge: 3600},
			wantProblems: []string{"max_age 3600 is below one day (86400)"},
		},
		{
			name:         "malformed lines skipped",
			body:         "version: STSv1\n\nmode: enforce\njunk\n_bad: x\nmx: a.example\nmax_age: 604800\n",
			want:         evidence.STSPolicy{Version: "STSv1", Mode: "enforce", MX: []string{"a.example"}, MaxAge: 604800},
			wantProblems: []string{"line 2: empty line", `line 4: no ":" after a key; line ignored`, `line 5: invalid key "_bad"; line ignored`},
		},
		{
			name:     "max_age too large",
			body:     "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n",
			wantErrs: []string{"line 4: max_age 31557601 is above the maximum 31557600"},
		},
		{
			name:     "max_age eleven digits",
			body:     "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 00000086400\n",
			wantErrs: []string{`line 4: max_age "00000086400" is not 1 to 10 digits`},
		},
		{
			name:     "max_age negative",
			body:     "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
			wantErrs: []string{`line 4: max_age "-1" is not 1 to 10 digits`},
		},
		{
			name:     "mx missing in enforce",
			body:     "version: STSv1\nmode: enforce\nmax_age: 604800\n",
			wantErrs: []string{"mode enforce needs at least one valid mx"},
		},
		{
			name:     "mx missing in testing",
			body:     "version: STSv1\nmode: testing\nmax_age: 604800\n",
			wantErrs: []string{"mode testing needs at least one valid mx"},
		},
		{
			name:     "required fields missing",
			body:     "mx: a.example\n",
			wantErrs: []string{"version missing", "mode missing", "max_age missing"},
		},
		{
			name:     "wrong version and mode",
			body:     "version: STSv2\nmode: Enforce\nmx: a.example\nmax_age: 604800\n",
			wantErrs: []string{`line 1: version "STSv2" is not STSv1`, `line 2: mode "Enforce" is not enforce, testing or none`},
		},
		{
			name: "bad mx patterns",
			body: "version: STSv1\nmode: enforce\nmx: mail.*.example.com\nmx: *mail.example.com\nmx: mail.example.com.\nmx: -a.example\nmx: bücher.example\nmx: ok.example\nmax_age: 604800\n",
			wantErrs: []string{
				`line 3: mx "mail.*.example.com": a wildcard is only allowed as the whole left-most label "*."`,
				`line 4: mx "*mail.example.com": a wildcard is only allowed as the whole left-most label "*."`,
				`line 5: mx "mail.example.com.": trailing dot is not allowed`,
				`line 6: mx "-a.example": label "-a" must begin and end with a letter or digit`,
				`line 7: mx "bücher.example": not ASCII; internationalised names must be written as A-labels (xn--)`,
			},
		},
		{
			name:     "space before colon hides the key",
			body:     "version: STSv1\nmode : enforce\nmx: a.example\nmax_age: 604800\n",
			wantErrs: []string{"mode missing"},
		},
		{
			name:     "empty body",
			body:     "",
			wantErrs: []string{"empty policy"},
		},
		{
			name:     "byte order mark",
			body:     "\ufeffversion: STSv1\nmode: enforce\nmx: a.example\nmax_age: 604800\n",
			wantErrs: []string{"version missing"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, problems, err := ParsePolicy(tc.body)
			if len(tc.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if got.Version != tc.want.Version || got.Mode != tc.want.Mode || got.MaxAge != tc.want.MaxAge || !slices.Equal(got.MX, tc.want.MX) {
					t.Fatalf("policy = %+v, want %+v", got, tc.want)
				}
				if !slices.Equal(problems, tc.wantProblems) {
					t.Fatalf("problems = %q, want %q", problems, tc.wantProblems)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; policy %+v", got)
			}
			if msgs := errorList(err); !slices.Equal(msgs, tc.wantErrs) {
				t.Fatalf("errors = %q, want %q", msgs, tc.wantErrs)
			}
		})
	}
}

func TestParsePolicyProblemsWithBOM(t *testing.T) {
	_, problems, _ := ParsePolicy("\ufeffversion: STSv1\n")
	want := []string{"the policy begins with a UTF-8 byte order mark", `line 1: invalid key "\ufeffversion"; line ignored`}
	if !slices.Equal(problems, want) {
		t.Fatalf("problems = %q, want %q", problems, want)
	}
}

func TestMatchMX(t *testing.T) {
	patterns := []string{"mail.example.com", "*.example.net", "Backup.Example.ORG."}
	tests := []struct {
		name   string
		host   string
		want   string
		wantOK bool
	}{
		{name: "exact", host: "mail.example.com", want: "mail.example.com", wantOK: true},
		{name: "exact case and trailing dot", host: "MAIL.example.COM.", want: "mail.example.com", wantOK: true},
		{name: "pattern with dot and case", host: "backup.example.org", want: "Backup.Example.ORG.", wantOK: true},
		{name: "wildcard one label", host: "mx1.example.net", want: "*.example.net", wantOK: true},
		{name: "wildcard upper case", host: "MX1.EXAMPLE.NET", want: "*.example.net", wantOK: true},
		{name: "wildcard not the bare domain", host: "example.net"},
		{name: "wildcard not two labels", host: "a.b.example.net"},
		{name: "wildcard empty first label", host: ".example.net"},
		{name: "not covered", host: "mx.other.example"},
		{name: "suffix is not a match", host: "xmail.example.com"},
		{name: "empty host", host: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := MatchMX(patterns, tc.host)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("MatchMX(%q) = %q, %v; want %q, %v", tc.host, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestMatchMXBareWildcard(t *testing.T) {
	if got, ok := MatchMX([]string{"*.", "*"}, "example"); ok {
		t.Fatalf("MatchMX matched %q for a bare wildcard", got)
	}
}

func TestParseTLSRPT(t *testing.T) {
	tests := []struct {
		name        string
		txts        []string
		wantRecords []string
		wantRUA     []string
		wantErr     string
	}{
		{
			name:        "mailto",
			txts:        []string{"v=spf1 -all", "v=TLSRPTv1;rua=mailto:reports@example.com"},
			wantRecords: []string{"v=TLSRPTv1;rua=mailto:reports@example.com"},
			wantRUA:     []string{"mailto:reports@example.com"},
		},
		{
			name:        "https",
			txts:        []string{"v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt"},
			wantRecords: []string{"v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt"},
			wantRUA:     []string{"https://reporting.example.com/v1/tlsrpt"},
		},
		{
			name:        "two uris with wsp and an extension",
			txts:        []string{"v=TLSRPTv1; x-ext=1; rua=mailto:a@example.com , HTTPS://r.example.com:8443/p?q=1;"},
			wantRecords: []string{"v=TLSRPTv1; x-ext=1; rua=mailto:a@example.com , HTTPS://r.example.com:8443/p?q=1;"},
			wantRUA:     []string{"mailto:a@example.com", "HTTPS://r.example.com:8443/p?q=1"},
		},
		{
			name:        "encoded comma and bang",
			txts:        []string{"v=TLSRPTv1;rua=mailto:a%21b@example.com%2Cc@example.com?subject=tls"},
			wantRecords: []string{"v=TLSRPTv1;rua=mailto:a%21b@example.com%2Cc@example.com?subject=tls"},
			wantRUA:     []string{"mailto:a%21b@example.com%2Cc@example.com?subject=tls"},
		},
		{
			name:        "address literal",
			txts:        []string{"v=TLSRPTv1;rua=mailto:tls@[IPv6:2001:db8::1]"},
			wantRecords: []string{"v=TLSRPTv1;rua=mailto:tls@[IPv6:2001:db8::1]"},
			wantRUA:     []string{"mailto:tls@[IPv6:2001:db8::1]"},
		},
		{
			name:        "no rua",
			txts:        []string{"v=TLSRPTv1; ruf=mailto:a@example.com"},
			wantRecords: []string{"v=TLSRPTv1; ruf=mailto:a@example.com"},
			wantErr:     "invalid TLS-RPT record: no rua field",
		},
		{
			name:        "bad scheme",
			txts:        []string{"v=TLSRPTv1; rua=http://r.example.com/"},
			wantRecords: []string{"v=TLSRPTv1; rua=http://r.example.com/"},
			wantErr:     `invalid TLS-RPT record: rua URI "http://r.example.com/": scheme "http" is not supported (only mailto and https)`,
		},
		{
			name:        "two records",
			txts:        []string{"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com"},
			wantRecords: []string{"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com"},
			wantErr:     "2 TLS-RPT records: senders ignore both",
		},
		{
			name:    "no record",
			txts:    []string{"v=TLSRPTv2; rua=mailto:a@example.com"},
			wantErr: "no TLS-RPT record",
		},
		{
			name:        "unencoded comma",
			txts:        []string{"v=TLSRPTv1; rua=mailto:a@example.com,b@example.com"},
			wantRecords: []string{"v=TLSRPTv1; rua=mailto:a@example.com,b@example.com"},
			wantErr:     `invalid TLS-RPT record: rua URI "b@example.com" has no scheme; if it continues the previous URI, the comma inside it must be encoded as %2C`,
		},
		{
			name:        "unencoded bang",
			txts:        []string{"v=TLSRPTv1; rua=mailto:a!b@example.com"},
			wantRecords: []string{"v=TLSRPTv1; rua=mailto:a!b@example.com"},
			wantErr:     `invalid TLS-RPT record: rua URI "mailto:a!b@example.com": unencoded "!" (must be %21)`,
		},
		{
			name:        "mailto without domain",
			txts:        []string{"v=TLSRPTv1; rua=mailto:reports"},
			wantRecords: []string{"v=TLSRPTv1; rua=mailto:reports"},
			wantErr:     `invalid TLS-RPT record: rua URI "mailto:reports": "reports" is not an address local@domain`,
		},
		{
			name:        "mailto with bad domain",
			txts:        []string{"v=TLSRPTv1; rua=mailto:r@exa_mple.com"},
			wantRecords: []string{"v=TLSRPTv1; rua=mailto:r@exa_mple.com"},
			wantErr:     `invalid TLS-RPT record: rua URI "mailto:r@exa_mple.com": address "r@exa_mple.com": label "exa_mple" has '_', not a letter, digit or hyphen`,
		},
		{
			name:        "https without host",
			txts:        []string{"v=TLSRPTv1; rua=https:/reports"},
			wantRecords: []string{"v=TLSRPTv1; rua=https:/reports"},
			wantErr:     `invalid TLS-RPT record: rua URI "https:/reports": no host`,
		},
		{
			name:        "empty rua",
			txts:        []string{"v=TLSRPTv1; rua="},
			wantRecords: []string{"v=TLSRPTv1; rua="},
			wantErr:     "invalid TLS-RPT record: empty rua URI",
		},
		{
			name:        "two rua fields",
			txts:        []string{"v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com"},
			wantRecords: []string{"v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com"},
			wantErr:     "invalid TLS-RPT record: rua appears more than once",
		},
		{
			name:        "bad percent escape",
			txts:        []string{"v=TLSRPTv1; rua=mailto:a%2@example.com"},
			wantRecords: []string{"v=TLSRPTv1; rua=mailto:a%2@example.com"},
			wantErr:     `invalid TLS-RPT record: rua URI "mailto:a%2@example.com": "%" not followed by two hex digits`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			records, rua, err := ParseTLSRPT(tc.txts)
			if !slices.Equal(records, tc.wantRecords) {
				t.Fatalf("records = %q, want %q", records, tc.wantRecords)
			}
			if !slices.Equal(rua, tc.wantRUA) {
				t.Fatalf("rua = %q, want %q", rua, tc.wantRUA)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestMediaTypeProblem(t *testing.T) {
	tests := []struct {
		name, ct, want string
	}{
		{name: "plain", ct: "text/plain"},
		{name: "charset", ct: "text/plain; charset=utf-8"},
		{name: "upper case", ct: "Text/Plain;charset=US-ASCII"},
		{name: "html", ct: "text/html", want: "media type text/html, not text/plain: senders that check it ignore the policy"},
		{name: "missing", ct: "", want: "no Content-Type: senders that check the media type expect text/plain"},
		{name: "garbage", ct: "text/plain; ;", want: `Content-Type "text/plain; ;" does not parse: mime: invalid media parameter`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := mediaTypeProblem(tc.ct); got != tc.want {
				t.Fatalf("mediaTypeProblem(%q) = %q, want %q", tc.ct, got, tc.want)
			}
		})
	}
}

func TestCountErrorText(t *testing.T) {
	for n, want := range map[int]string{0: "no X record", 1: "1 X records: senders ignore all of them", 2: "2 X records: senders ignore both"} {
		if got := (&CountError{Record: "X", Count: n}).Error(); got != want {
			t.Errorf("Count %d: %q, want %q", n, got, want)
		}
	}
	if strings.Contains((&CountError{Record: "X", Count: 5}).Error(), "both") {
		t.Error("5 records said both")
	}
}
