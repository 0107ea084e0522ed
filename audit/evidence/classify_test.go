package evidence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want ErrorKind
	}{
		{"refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), ErrRefused},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), ErrReset},
		{"deadline", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), ErrTimeout},
		{"context deadline", context.DeadlineExceeded, ErrTimeout},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), ErrCanceled},
		{"eof", io.EOF, ErrClosed},
		{"other", errors.New("bad bytes"), ErrProtocol},
		{"already classified", fmt.Errorf("wrap: %w", Errorf(ErrSMTPReject, "banner", "421 busy")), ErrSMTPReject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify("step", tt.err)
			if got.Kind != tt.want {
				t.Fatalf("Classify(%v).Kind = %q, want %q", tt.err, got.Kind, tt.want)
			}
			if got.Step == "" {
				t.Fatalf("step not filled in: %+v", got)
			}
		})
	}
	if Classify("x", nil) != nil {
		t.Fatal("Classify(nil) must be nil")
	}
}

func TestInconclusive(t *testing.T) {
	if !(&Error{Kind: ErrSMTPReject, Code: 421}).Inconclusive() {
		t.Error("421 must be inconclusive")
	}
	if (&Error{Kind: ErrSMTPReject, Code: 554}).Inconclusive() {
		t.Error("554 is a permanent answer, not inconclusive")
	}
	if (&Error{Kind: ErrTLSAlert, Code: 40}).Inconclusive() {
		t.Error("an alert is an answer")
	}
	if !(&Error{Kind: ErrTimeout}).Inconclusive() {
		t.Error("a timeout is inconclusive")
	}
}
