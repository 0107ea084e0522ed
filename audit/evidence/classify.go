package evidence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// Error makes *Error usable as a Go error, so a probe can return the
// classified failure and callers can recover it with errors.As.
func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	if e.Step != "" {
		return e.Step + ": " + e.Message
	}
	return e.Message
}

// Errorf returns a classified error with a formatted message.
func Errorf(kind ErrorKind, step, format string, args ...any) *Error {
	return &Error{Kind: kind, Step: step, Message: fmt.Sprintf(format, args...)}
}

// Classify turns a Go error from a dial, read, write or handshake into a
// classified Error for the given step. An error that already is (or wraps)
// an *Error keeps its classification; its step is filled in when empty.
// Classify returns nil for a nil error.
func Classify(step string, err error) *Error {
	if err == nil {
		return nil
	}
	var ev *Error
	if errors.As(err, &ev) {
		c := *ev
		if c.Step == "" {
			c.Step = step
		}
		return &c
	}
	return &Error{Kind: kindOf(err), Step: step, Message: err.Error()}
}

func kindOf(err error) ErrorKind {
	var timeout interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.Canceled):
		return ErrCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ErrTimeout
	case errors.As(err, &timeout) && timeout.Timeout():
		return ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return ErrReset
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		return ErrUnreach
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrClosed
	}
	return ErrProtocol
}
