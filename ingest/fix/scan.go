package fix

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Limits of the Scanner.
const (
	// The read buffer starts at scanBufferBytesMin and doubles while
	// messages are long, up to scanBufferBytesMax: a longest message and
	// room to read the next.
	scanBufferBytesMin = 4 << 10
	scanBufferBytesMax = 2 * MessageBytesMax
	// readsEmptyMax is how many reads in a row may return neither data nor
	// an error before the Scanner gives up (io.ErrNoProgress).
	readsEmptyMax = 100
	// junkBytesMax is how many bytes without a BeginString the Scanner
	// skips before it reports them, and then again after each as many.
	junkBytesMax = MessageBytesMax
)

// Scanner reads messages one at a time from a stream, such as a TCP
// connection, finding each message's end from its BodyLength. It holds at
// most scanBufferBytesMax bytes of input, whatever the stream sends.
//
// After an error Next may be called again. A message whose frame is sound
// but whose checksum or fields are wrong is skipped whole; after any other
// bad bytes the Scanner skips to the next 8=FIX.4.4<SOH>, reporting once
// per junkBytesMax bytes it skips. Each error is returned once and every
// call consumes input, so a loop that reports errors and goes on always
// ends. A read error is returned once, and io.EOF after it.
//
// What Next returns does not depend on how the stream is cut into reads:
// a message, or the error about it, is the same whether it came in one
// read or a byte at a time.
type Scanner struct {
	r          io.Reader
	buf        []byte // unread input is buf[start:end]
	start, end int
	off        int64 // stream offset of buf[0]
	msgOff     int64 // stream offset of what Next returned last
	eof        bool  // r has returned io.EOF or an error
	resync     bool  // after bad bytes: skipping to the next BeginString
	junk       int   // bytes skipped while resyncing since msgOff
	tried      int   // a truncated message was parsed from this many unread bytes; 0 when none was
	scanned    int   // unread bytes known to hold no start of an early CheckSum field
	msg        Message
}

// NewScanner returns a Scanner reading from r.
func NewScanner(r io.Reader) *Scanner {
	s := &Scanner{buf: make([]byte, scanBufferBytesMin)}
	s.Reset(r)
	return s
}

// Reset makes s read from r as if new, keeping its buffers.
func (s *Scanner) Reset(r io.Reader) {
	s.r, s.start, s.end, s.off, s.msgOff = r, 0, 0, 0, 0
	s.eof, s.resync, s.junk, s.tried, s.scanned = false, false, 0, 0, 0
}

// Next returns the next message, or io.EOF after the last. The message and
// its values are valid until the next call of Next or Reset. Errors about
// the input are *ParseError; a stream that ends inside a message gives one
// wrapping ErrTruncated.
func (s *Scanner) Next() (*Message, error) {
	for {
		if s.resync {
			if junk := s.skipJunk(); junk > 0 {
				return nil, &ParseError{Offset: 0, Err: ErrGarbled,
					Reason: "no BeginString 8=FIX.4.4<SOH> in " + strconv.Itoa(junk) + " bytes"}
			}
		}
		if !s.resync && s.end-s.start > s.tried {
			if m, err := s.parse(); m != nil || err != nil {
				return m, err
			}
		}
		if s.eof {
			return s.atEOF()
		}
		if err := s.fill(); err != nil {
			s.eof, s.start = true, s.end
			return nil, err
		}
	}
}

// Offset returns the stream offset of the first byte of the message, or
// of the bad bytes, that Next returned last. Offsets in a *ParseError count
// from there.
func (s *Scanner) Offset() int64 { return s.msgOff }

// parse parses the unread bytes. It returns nil, nil when they hold only
// the start of a message.
func (s *Scanner) parse() (*Message, error) {
	data := s.buf[s.start:s.end]
	f, perr := parseFrame(data, s.scanned, false)
	if perr == nil {
		perr = s.msg.parseFields(data, f)
	}
	if perr != nil && perr.Err == ErrTruncated {
		// The next search for a CheckSum field may start where one could
		// begin in the bytes to come, or where the frame wants it.
		s.tried, s.scanned = len(data), 0
		if f.total > 0 {
			s.scanned = min(len(data)-len(checksumTag)+1, f.bodyEnd-1)
		}
		return nil, nil
	}
	s.msgOff = s.off + int64(s.start)
	s.tried, s.scanned = 0, 0
	if perr == nil {
		s.start += f.total
		return &s.msg, nil
	}
	if f.total > 0 {
		s.start += f.total
	} else {
		s.start++
		s.resync = true
	}
	return nil, perr
}

// skipJunk drops unread bytes up to the next BeginString, keeping what may
// be its start. When junkBytesMax bytes have gone without one, it returns
// junkBytesMax, and Offset is where they start: reports do not depend on
// how the stream is cut into reads.
func (s *Scanner) skipJunk() int {
	data := s.buf[s.start:s.end]
	if s.junk == 0 {
		s.msgOff = s.off + int64(s.start)
	}
	keep := min(len(data), len(beginString)-1)
	for ; keep > 0 && !bytes.HasPrefix([]byte(beginString), data[len(data)-keep:]); keep-- {
	}
	drop, found := len(data)-keep, false
	if i := bytes.Index(data, []byte(beginString)); i >= 0 {
		drop, found = i, true
	}
	if room := junkBytesMax - s.junk; drop >= room {
		s.start += room
		s.junk = 0
		return junkBytesMax
	}
	s.start += drop
	s.junk += drop
	if found {
		s.resync, s.junk = false, 0
	}
	return 0
}

// atEOF returns the error for unread bytes at the end of input, which start
// a message or a BeginString, or io.EOF when there are none.
func (s *Scanner) atEOF() (*Message, error) {
	if s.start == s.end {
		return nil, io.EOF
	}
	data := s.buf[s.start:s.end]
	s.msgOff = s.off + int64(s.start)
	s.start, s.resync, s.tried, s.scanned = s.end, false, 0, 0
	if _, perr := parseFrame(data, 0, true); perr != nil && perr.Err == ErrTruncated {
		return nil, perr
	}
	panic("BUG: fix: unread bytes at the end of input are not a truncated message")
}

// fill reads more input after the unread bytes.
func (s *Scanner) fill() error {
	// Moving the unread bytes only when the buffer's end is reached, and
	// growing the buffer when they fill more than half of it, keeps the
	// copying linear however small the reads. Unread bytes are at most
	// MessageBytesMax, half of scanBufferBytesMax: a message not whole yet.
	if s.start == s.end || s.end == len(s.buf) {
		s.off += int64(s.start)
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
		if s.end > len(s.buf)/2 && len(s.buf) < scanBufferBytesMax {
			buf := make([]byte, min(2*len(s.buf), scanBufferBytesMax))
			copy(buf, s.buf[:s.end])
			s.buf = buf
		}
	}
	if s.end == len(s.buf) {
		panic("BUG: fix: fill with a full buffer")
	}
	for range readsEmptyMax {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if errors.Is(err, io.EOF) {
			s.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("fix: reading messages: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
	return fmt.Errorf("fix: reading messages: %w", io.ErrNoProgress)
}
