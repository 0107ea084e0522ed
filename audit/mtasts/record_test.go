package mtasts

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseSTSRecord(t *testing.T) {
	id32 := strings.Repeat("a", maxIDLen)
	tests := []struct {
		name    string
		txt     string
		wantID  string
		wantErr string // substring of the error; "" means valid
	}{
		{name: "minimal", txt: "v=STSv1; id=20160831085700Z", wantID: "20160831085700Z"},
		{name: "no spaces", txt: "v=STSv1;id=abc123", wantID: "abc123"},
		{name: "trailing delimiter", txt: "v=STSv1; id=abc;", wantID: "abc"},
		{name: "trailing delimiter and wsp", txt: "v=STSv1; id=abc; \t", wantID: "abc"},
		{name: "wsp before delimiter", txt: "v=STSv1 ;\tid=abc", wantID: "abc"},
		{name: "extension ignored", txt: "v=STSv1; foo.bar-baz_1=x!y:z; id=abc", wantID: "abc"},
		{name: "id of 32", txt: "v=STSv1; id=" + id32, wantID: id32},
		{name: "id too long", txt: "v=STSv1; id=" + id32 + "b", wantErr: "is not 1 to 32 letters or digits"},
		{name: "id with punctuation", txt: "v=STSv1; id=2024-01-01", wantErr: `id "2024-01-01" is not 1 to 32`},
		{name: "id empty", txt: "v=STSv1; id=", wantErr: `id "" is not`},
		{name: "missing id", txt: "v=STSv1; foo=bar", wantErr: "no id field"},
		{name: "upper-case ID is an extension", txt: "v=STSv1; ID=abc", wantErr: "no id field"},
		{name: "duplicate id", txt: "v=STSv1; id=a; id=b", wantErr: "id appears more than once"},
		{name: "version only", txt: "v=STSv1", wantErr: `no field after "v=STSv1"`},
		{name: "version and delimiter only", txt: "v=STSv1;", wantErr: "empty field"},
		{name: "lower-case version", txt: "v=stsv1; id=abc", wantErr: `does not begin with "v=STSv1"`},
		{name: "version not first", txt: "id=abc; v=STSv1", wantErr: "does not begin"},
		{name: "junk after version", txt: "v=STSv10; id=abc", wantErr: `unexpected "0"`},
		{name: "empty field", txt: "v=STSv1;; id=abc", wantErr: "empty field"},
		{name: "trailing wsp without delimiter", txt: "v=STSv1; id=abc ", wantErr: "whitespace after the last field"},
		{name: "field without equals", txt: "v=STSv1; id=abc; foo", wantErr: `field "foo" has no "="`},
		{name: "bad extension name", txt: "v=STSv1; _x=1; id=abc", wantErr: `invalid field name "_x"`},
		{name: "extension value with space", txt: "v=STSv1; x=a b; id=abc", wantErr: `invalid value "a b"`},
		{name: "extension value with equals", txt: "v=STSv1; x=a=b; id=abc", wantErr: `invalid value "a=b"`},
		{name: "non-ascii", txt: "v=STSv1; id=abc; x=é", wantErr: "invalid value"},
		{name: "newline is not WSP", txt: "v=STSv1; id=abc\n", wantErr: `id "abc\n" is not`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := ParseSTSRecord(tc.txt)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseSTSRecord(%q) error %v", tc.txt, err)
				}
				if id != tc.wantID {
					t.Fatalf("id = %q, want %q", id, tc.wantID)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseSTSRecord(%q) = %q, want error containing %q", tc.txt, id, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q does not contain %q", err, tc.wantErr)
			}
			if id != "" {
				t.Fatalf("id = %q with an error", id)
			}
		})
	}
}

func TestSelectSTSRecords(t *testing.T) {
	tests := []struct {
		name        string
		txts        []string
		wantRecords []string
		wantID      string
		wantErr     string
		wantCount   int // -1: the error is not a *CountError
	}{
		{
			name:        "one among others",
			txts:        []string{"v=spf1 -all", "v=STSv1; id=abc", "google-site-verification=x"},
			wantRecords: []string{"v=STSv1; id=abc"},
			wantID:      "abc",
		},
		{name: "none", txts: nil, wantErr: "no MTA-STS record", wantCount: 0},
		{name: "only others", txts: []string{"v=spf1 -all", "v=STSv10; id=a"}, wantErr: "no MTA-STS record", wantCount: 0},
		{
			name:        "two records",
			txts:        []string{"v=STSv1; id=a", "v=STSv1; id=b"},
			wantRecords: []string{"v=STSv1; id=a", "v=STSv1; id=b"},
			wantErr:     "2 MTA-STS records: senders ignore both",
			wantCount:   2,
		},
		{
			name:        "three records",
			txts:        []string{"v=STSv1; id=a", "v=STSv1; id=b", "v=STSv1 ;id=c"},
			wantRecords: []string{"v=STSv1; id=a", "v=STSv1; id=b", "v=STSv1 ;id=c"},
			wantErr:     "3 MTA-STS records: senders ignore all of them",
			wantCount:   3,
		},
		{
			name:        "one invalid record",
			txts:        []string{"v=STSv1; id=a-b"},
			wantRecords: []string{"v=STSv1; id=a-b"},
			wantErr:     `invalid MTA-STS record: id "a-b"`,
			wantCount:   -1,
		},
		{
			name:        "bare version counts",
			txts:        []string{"v=STSv1", "v=STSv1; id=a"},
			wantRecords: []string{"v=STSv1", "v=STSv1; id=a"},
			wantErr:     "2 MTA-STS records",
			wantCount:   2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			records, id, err := SelectSTSRecords(tc.txts)
			if !slices.Equal(records, tc.wantRecords) {
				t.Fatalf("records = %q, want %q", records, tc.wantRecords)
			}
			if id != tc.wantID {
				t.Fatalf("id = %q, want %q", id, tc.wantID)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
			}
			var ce *CountError
			if got := errors.As(err, &ce); got != (tc.wantCount >= 0) {
				t.Fatalf("errors.As(*CountError) = %v, want %v", got, tc.wantCount >= 0)
			}
			if ce != nil && ce.Count != tc.wantCount {
				t.Fatalf("Count = %d, want %d", ce.Count, tc.wantCount)
			}
		})
	}
}
