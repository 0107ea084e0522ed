package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Size caps of the reply reader.
const (
	// DefaultMaxLineLength caps one reply line, CRLF excluded. RFC 5321
	// §4.5.3.1.5 sets 512 octets; real servers send longer lines, so we
	// allow four times that before calling the line an attack or garbage.
	DefaultMaxLineLength = 2048
	// DefaultMaxReplyLines caps the lines of one (multi-line) reply.
	DefaultMaxReplyLines = 100
	// codeLength is the length of an SMTP reply code.
	codeLength = 3
	// quoteCap is how many bytes of an offending line an error message quotes.
	quoteCap = 80
)

// Separators after the reply code (RFC 5321 §4.2).
const (
	sepFinal        = ' '
	sepContinuation = '-'
)

// Reader reads SMTP reply lines and whole replies from a byte stream. It
// enforces the line length and reply size caps and never reads past the end
// of the reply it was asked for by more than its buffer holds: Buffered
// reports what was read ahead. A Reader is not safe for concurrent use.
type Reader struct {
	br       *bufio.Reader
	maxLine  int
	maxLines int
	// onLine, when set, sees every line read, complete or not, capped at
	// maxLine bytes; truncated is set when the line was cut at the cap.
	onLine func(line string, truncated bool)
}

// NewReader returns a Reader over r. A maxLineLength or maxReplyLines of
// zero or less selects DefaultMaxLineLength or DefaultMaxReplyLines.
func NewReader(r io.Reader, maxLineLength, maxReplyLines int) *Reader {
	if maxLineLength <= 0 {
		maxLineLength = DefaultMaxLineLength
	}
	if maxReplyLines <= 0 {
		maxReplyLines = DefaultMaxReplyLines
	}
	return &Reader{br: bufio.NewReader(r), maxLine: maxLineLength, maxLines: maxReplyLines}
}

// Buffered returns the bytes read from the stream but not yet consumed.
func (r *Reader) Buffered() []byte {
	b, _ := r.br.Peek(r.br.Buffered()) // Peek of what is buffered never fails
	return bytes.Clone(b)
}

// ReadLine reads one line ending in CRLF or a bare LF and returns it without
// the line ending. A line longer than the cap gives a *evidence.Error of kind
// ErrTooLong with the line's first bytes; a stream that ends mid-line gives
// io.ErrUnexpectedEOF with the partial line; a stream that ends between
// lines gives io.EOF.
func (r *Reader) ReadLine() (string, error) {
	line, truncated, err := r.readLine()
	if r.onLine != nil && (len(line) > 0 || err == nil || truncated) {
		r.onLine(line, truncated)
	}
	return line, err
}

func (r *Reader) readLine() (line string, truncated bool, err error) {
	var buf []byte
	for {
		frag, err := r.br.ReadSlice('\n')
		buf = append(buf, frag...)
		switch {
		case err == nil:
			buf = buf[:len(buf)-1]
			if n := len(buf); n > 0 && buf[n-1] == '\r' {
				buf = buf[:n-1]
			}
			if len(buf) > r.maxLine {
				return string(buf[:r.maxLine]), true, evidence.Errorf(evidence.ErrTooLong, "", "reply line longer than %d bytes", r.maxLine)
			}
			return string(buf), false, nil
		// One byte more than the cap may be the CR of the CRLF still to come.
		case len(buf) > r.maxLine+1:
			return string(buf[:r.maxLine]), true, evidence.Errorf(evidence.ErrTooLong, "", "reply line longer than %d bytes without a line end", r.maxLine)
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0:
			return string(buf[:min(len(buf), r.maxLine)]), false, io.ErrUnexpectedEOF
		default:
			return string(buf[:min(len(buf), r.maxLine)]), false, err
		}
	}
}

// ReadReply reads one complete reply: continuation lines ("250-...") up to
// and including the final line ("250 ..."). It stops at the first line that
// breaks the syntax or changes the code (ErrProtocol) and after
// MaxReplyLines lines without a final one (ErrTooLong), so a server that
// streams lines forever cannot hold it.
func (r *Reader) ReadReply() (evidence.Reply, error) {
	var lines []string
	first := 0
	for {
		line, err := r.ReadLine()
		if err != nil {
			return evidence.Reply{}, err
		}
		code, more, _, err := parseLine(line)
		if err != nil {
			return evidence.Reply{}, err
		}
		if len(lines) == 0 {
			first = code
		} else if code != first {
			return evidence.Reply{}, evidence.Errorf(evidence.ErrProtocol, "", "reply code changed from %d to %d in line %s", first, code, quote(line))
		}
		lines = append(lines, line)
		if !more {
			return ParseReply(lines)
		}
		if len(lines) >= r.maxLines {
			return evidence.Reply{}, evidence.Errorf(evidence.ErrTooLong, "", "reply longer than %d lines", r.maxLines)
		}
	}
}

// ParseReply parses the lines of one SMTP reply (without line endings):
// every line carries the same three-digit code, every line but the last has
// the separator '-', the last has ' ' or ends right after the code. Any other
// shape is a *evidence.Error of kind ErrProtocol quoting the offending line.
func ParseReply(lines []string) (evidence.Reply, error) {
	if len(lines) == 0 {
		return evidence.Reply{}, evidence.Errorf(evidence.ErrProtocol, "", "empty reply")
	}
	reply := evidence.Reply{Lines: make([]string, 0, len(lines))}
	for i, line := range lines {
		code, more, text, err := parseLine(line)
		if err != nil {
			return evidence.Reply{}, err
		}
		last := i == len(lines)-1
		switch {
		case i == 0:
			reply.Code = code
		case code != reply.Code:
			return evidence.Reply{}, evidence.Errorf(evidence.ErrProtocol, "", "reply code changed from %d to %d in line %s", reply.Code, code, quote(line))
		}
		if more && last {
			return evidence.Reply{}, evidence.Errorf(evidence.ErrProtocol, "", "reply ends with a continuation line %s", quote(line))
		}
		if !more && !last {
			return evidence.Reply{}, evidence.Errorf(evidence.ErrProtocol, "", "final reply line %s followed by more lines", quote(line))
		}
		reply.Lines = append(reply.Lines, text)
	}
	return reply, nil
}

// parseLine splits one reply line into its code, whether more lines follow,
// and its text. The first digit must be 2 to 5 (RFC 5321 §4.2.1).
func parseLine(line string) (code int, more bool, text string, err error) {
	if len(line) < codeLength {
		return 0, false, "", evidence.Errorf(evidence.ErrProtocol, "", "malformed reply line %s: shorter than a reply code", quote(line))
	}
	for i := range codeLength {
		c := line[i]
		if c < '0' || c > '9' || (i == 0 && (c < '2' || c > '5')) {
			return 0, false, "", evidence.Errorf(evidence.ErrProtocol, "", "malformed reply line %s: no reply code", quote(line))
		}
		code = code*10 + int(c-'0')
	}
	if len(line) == codeLength {
		return code, false, "", nil
	}
	switch line[codeLength] {
	case sepFinal:
		return code, false, line[codeLength+1:], nil
	case sepContinuation:
		return code, true, line[codeLength+1:], nil
	}
	return 0, false, "", evidence.Errorf(evidence.ErrProtocol, "", "malformed reply line %s: bad separator after the code", quote(line))
}

// quote makes untrusted bytes safe for an error message: capped and escaped
// to printable ASCII.
func quote(line string) string {
	if len(line) > quoteCap {
		return strconv.QuoteToASCII(line[:quoteCap]) + "..."
	}
	return strconv.QuoteToASCII(line)
}
