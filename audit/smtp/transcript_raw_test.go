package smtp

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// TestTranscriptKeepsRawBytes: a line that is not valid UTF-8 keeps its
// exact bytes through the JSON the database stores; a valid line needs
// no copy.
func TestTranscriptKeepsRawBytes(t *testing.T) {
	c, err := New(Config{EHLOName: "scanner.example"})
	if err != nil {
		t.Fatal(err)
	}
	sess := &evidence.SMTPSession{}
	d := &dialogue{c: c, sess: sess, start: time.Now()}
	bad := "220 mx\xff\xfe \x1b[2J ready"
	d.record("S", bad, false)
	d.record("C", "EHLO scanner.example", false)
	b, err := json.Marshal(sess)
	if err != nil {
		t.Fatal(err)
	}
	var back evidence.SMTPSession
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Transcript) != 2 || string(back.Transcript[0].Raw) != bad {
		t.Fatalf("stored transcript %+v lost the raw bytes of %q", back.Transcript, bad)
	}
	if back.Transcript[1].Raw != nil || back.Transcript[1].Line != "EHLO scanner.example" {
		t.Errorf("valid line stored as %+v", back.Transcript[1])
	}
}
