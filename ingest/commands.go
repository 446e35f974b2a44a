// Package ingest turns what clients send into ledgercore commands: a JSON
// array of command objects or NDJSON (one object per line).
package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/tape-ledger/tape/ledgercore"
)

// Limits of the command decoder. The caller limits commands per request.
const (
	// CommandBytesMax is the most bytes one NDJSON line or one array element
	// may hold.
	CommandBytesMax = 64 << 10
	// The read buffer starts at readBufferBytesMin and doubles while commands
	// are long, up to readBufferBytesMax: a longest command and room to read
	// the next.
	readBufferBytesMin = 16 << 10
	readBufferBytesMax = 2 * CommandBytesMax
	// readsEmptyMax is how many reads in a row may return neither data nor
	// an error before the decoder gives up (io.ErrNoProgress).
	readsEmptyMax = 100
)

// TimedCommand is one decoded command with the ts the client gave.
type TimedCommand struct {
	Cmd  ledgercore.Command
	Ts   int64 // ns since the Unix epoch, UTC; 0 when the client gave none
	Line int   // 1-based line (NDJSON) or element number (JSON array)
}

// CommandError says why one command, or the framing around it, is not a
// well-formed command; byte offsets in Msg count from the start of the line
// or array element. Semantic checks (does the account exist, does the
// amount fit the asset's scale) are the core's and come back as codes.
type CommandError struct {
	Line    int    // as in TimedCommand.Line
	Element bool   // Line counts array elements: printed as "command N"
	Field   string // e.g. "amount" or "commands[2].debit"; empty when not about one field
	Msg     string
}

func (e *CommandError) Error() string {
	b := make([]byte, 0, 32+len(e.Field)+len(e.Msg))
	if e.Element {
		b = append(b, "command "...)
	} else {
		b = append(b, "line "...)
	}
	b = strconv.AppendInt(b, int64(e.Line), 10)
	b = append(b, ": "...)
	if e.Field != "" {
		b = append(b, "field "...)
		b = strconv.AppendQuote(b, e.Field)
		b = append(b, ": "...)
	}
	return string(append(b, e.Msg...))
}

// decodeMode is where the decoder stands in its input.
type decodeMode uint8

const (
	modeStart       decodeMode = iota // nothing read yet
	modeNDJSON                        // one object per line
	modeArrayOpen                     // after '[': an element or ']'
	modeArrayNext                     // after an element: ',' or ']'
	modeArrayComma                    // after ',': an element
	modeArrayClosed                   // after ']': only space
	modeDone                          // io.EOF from now on
)

// CommandDecoder reads commands one at a time from a JSON array or NDJSON,
// told apart by the first byte that is not space. It holds at most
// readBufferBytesMax of input, so memory does not grow with the body.
//
// After an error Next may be called again: it goes on with the next command,
// or returns io.EOF when the error left no way to find one (a broken array,
// a read error). Each error is returned once, so a loop that reports errors
// and goes on always ends.
type CommandDecoder struct {
	r          io.Reader
	buf        []byte // unread input is buf[start:end]
	start, end int
	eof        bool // r has returned io.EOF
	mode       decodeMode
	n          int // lines (NDJSON) or elements (array) read so far
	scanned    int // NDJSON: bytes after start known to hold no '\n'
	p          parser
}

// NewCommandDecoder returns a decoder reading from r.
func NewCommandDecoder(r io.Reader) *CommandDecoder {
	d := &CommandDecoder{buf: make([]byte, readBufferBytesMin)}
	d.Reset(r)
	return d
}

// Reset makes d read from r as if new, keeping its buffers.
func (d *CommandDecoder) Reset(r io.Reader) {
	d.r, d.start, d.end, d.eof = r, 0, 0, false
	d.mode, d.n, d.scanned = modeStart, 0, 0
}

// Next returns the next command, or io.EOF after the last one.
func (d *CommandDecoder) Next() (TimedCommand, error) {
	if d.mode == modeStart {
		if err := d.detect(); err != nil {
			return TimedCommand{}, d.stop(err)
		}
	}
	switch d.mode {
	case modeDone:
		return TimedCommand{}, io.EOF
	case modeNDJSON:
		return d.nextLine()
	}
	return d.nextElement()
}

// stop ends decoding: every later Next returns io.EOF.
func (d *CommandDecoder) stop(err error) error {
	d.mode = modeDone
	return err
}

// fail ends decoding with an error about the framing near command d.n+1.
func (d *CommandDecoder) fail(msg string) error {
	return d.stop(&CommandError{Line: d.n + 1, Element: d.mode != modeNDJSON, Msg: msg})
}

// fill reads more input after the unread bytes. At the end of input it
// sets d.eof and returns nil.
func (d *CommandDecoder) fill() error {
	if d.eof {
		panic("BUG: ingest: fill after the end of input")
	}
	// Moving the unread bytes only when the buffer's end is reached, and
	// growing the buffer when they fill more than half of it, keeps the
	// copying linear however small the reads. Callers fill only while the
	// unread bytes are at most CommandBytesMax, half of readBufferBytesMax.
	if d.start == d.end || d.end == len(d.buf) {
		d.end = copy(d.buf, d.buf[d.start:d.end])
		d.start = 0
		if d.end > len(d.buf)/2 && len(d.buf) < readBufferBytesMax {
			buf := make([]byte, min(2*len(d.buf), readBufferBytesMax))
			copy(buf, d.buf[:d.end])
			d.buf = buf
		}
	}
	if d.end == len(d.buf) {
		panic("BUG: ingest: fill with a full buffer")
	}
	for range readsEmptyMax {
		n, err := d.r.Read(d.buf[d.end:])
		d.end += n
		if errors.Is(err, io.EOF) {
			d.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("ingest: reading commands: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
	return fmt.Errorf("ingest: reading commands: %w", io.ErrNoProgress)
}

// skipSpace skips JSON space, counting newlines into d.n when count is set.
// It returns false at the end of input.
func (d *CommandDecoder) skipSpace(count bool) (bool, error) {
	for {
		for ; d.start < d.end; d.start++ {
			switch d.buf[d.start] {
			case '\n':
				if count {
					d.n++
				}
			case ' ', '\t', '\r':
			default:
				return true, nil
			}
		}
		if d.eof {
			return false, nil
		}
		if err := d.fill(); err != nil {
			return false, err
		}
	}
}

// detect chooses between array and NDJSON from the first byte not space.
func (d *CommandDecoder) detect() error {
	more, err := d.skipSpace(true)
	switch {
	case err != nil:
		return err
	case !more:
		d.mode = modeDone
	case d.buf[d.start] == '[':
		d.start++
		d.mode = modeArrayOpen
	default:
		d.mode = modeNDJSON
	}
	return nil
}

func (d *CommandDecoder) decode(b []byte) (TimedCommand, error) {
	cmd, ts, ok := d.p.command(b)
	if !ok {
		return TimedCommand{Line: d.n}, &CommandError{Line: d.n, Element: d.mode != modeNDJSON, Field: d.p.errField, Msg: d.p.errMsg}
	}
	return TimedCommand{Cmd: cmd, Ts: ts, Line: d.n}, nil
}

func (d *CommandDecoder) nextLine() (TimedCommand, error) {
	for {
		line, err := d.readLine()
		if err != nil {
			return TimedCommand{}, err
		}
		if len(bytes.TrimLeft(line, " \t\r")) > 0 {
			return d.decode(line)
		}
	}
}

// readLine returns the next line without its '\n'; it is valid until the
// next read.
func (d *CommandDecoder) readLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(d.buf[d.start+d.scanned:d.end], '\n'); i >= 0 {
			line := d.buf[d.start : d.start+d.scanned+i]
			d.start += d.scanned + i + 1
			d.scanned = 0
			d.n++
			if len(line) > CommandBytesMax {
				return nil, d.errLineTooLong()
			}
			return line, nil
		}
		d.scanned = d.end - d.start
		if d.scanned > CommandBytesMax {
			d.n++
			return nil, d.skipLine()
		}
		if d.eof {
			if d.start == d.end {
				return nil, d.stop(io.EOF)
			}
			line := d.buf[d.start:d.end]
			d.start, d.scanned = d.end, 0
			d.n++
			return line, nil
		}
		if err := d.fill(); err != nil {
			return nil, d.stop(err)
		}
	}
}

// skipLine drops the rest of a line that is too long and reports it.
func (d *CommandDecoder) skipLine() error {
	d.scanned = 0
	for {
		if i := bytes.IndexByte(d.buf[d.start:d.end], '\n'); i >= 0 {
			d.start += i + 1
			return d.errLineTooLong()
		}
		d.start = d.end
		if d.eof {
			return d.errLineTooLong()
		}
		if err := d.fill(); err != nil {
			return d.stop(err)
		}
	}
}

func (d *CommandDecoder) errLineTooLong() error {
	return &CommandError{Line: d.n, Msg: "line is longer than " + strconv.Itoa(CommandBytesMax) + " bytes"}
}

func (d *CommandDecoder) nextElement() (TimedCommand, error) {
	for {
		more, err := d.skipSpace(false)
		if err != nil {
			return TimedCommand{}, d.stop(err)
		}
		if d.mode == modeArrayClosed {
			if more {
				return TimedCommand{}, d.fail("unexpected data after the array's closing ']'")
			}
			return TimedCommand{}, d.stop(io.EOF)
		}
		if !more {
			return TimedCommand{}, d.fail("unexpected end of input: the array is not closed with ']'")
		}
		c := d.buf[d.start]
		switch {
		case c == ']' && d.mode != modeArrayComma:
			d.start++
			d.mode = modeArrayClosed
		case c == ',' && d.mode == modeArrayNext:
			d.start++
			d.mode = modeArrayComma
		case d.mode == modeArrayNext:
			return TimedCommand{}, d.fail("expected ',' or ']' after the previous command")
		case c != '{':
			return TimedCommand{}, d.fail("expected a command object, not " + describeByte(c))
		default:
			elem, err := d.readElement()
			if err != nil {
				return TimedCommand{}, err
			}
			d.mode = modeArrayNext
			return d.decode(elem)
		}
	}
}

// frame follows an array element from its '{' to its matching '}', through
// strings, across reads.
type frame struct {
	depth   int
	str     bool // inside a string
	escaped bool // after a backslash inside a string
}

// readElement returns the object starting at d.start; it is valid until
// the next read. Its syntax is checked when it is parsed.
func (d *CommandDecoder) readElement() ([]byte, error) {
	var f frame
	i := 0 // bytes after d.start already followed
	for {
		n, closed := f.scan(d.buf[d.start+i : d.end])
		i += n
		if closed && i <= CommandBytesMax {
			elem := d.buf[d.start : d.start+i]
			d.start += i
			d.n++
			return elem, nil
		}
		if i > CommandBytesMax {
			return nil, d.fail("command is longer than " + strconv.Itoa(CommandBytesMax) + " bytes")
		}
		if d.eof {
			return nil, d.fail("unexpected end of input inside a command")
		}
		if err := d.fill(); err != nil {
			return nil, d.stop(err)
		}
	}
}

// scan follows b and returns how many bytes it read: up to the byte that
// closed the element (closed is true) or all of b.
func (f *frame) scan(b []byte) (n int, closed bool) {
	depth, str, escaped := f.depth, f.str, f.escaped
	defer func() { f.depth, f.str, f.escaped = depth, str, escaped }()
	for i := 0; i < len(b); i++ {
		c := b[i]
		if str {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				str = false
			}
			continue
		}
		switch c {
		case '"':
			str = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return len(b), false
}
