package fix

import (
	"errors"
	"strconv"
)

// Kinds of parse errors. Every *ParseError wraps one of them, so a caller
// tells them apart with errors.Is.
var (
	// ErrTruncated: the input ends inside a message. A Scanner reads on; it
	// returns this only when the stream ends inside a message.
	ErrTruncated = errors.New("fix: truncated message")
	// ErrGarbled: the frame is wrong (BeginString, BodyLength or CheckSum),
	// or bytes between messages are not a message. FIX says to ignore such a
	// message without consuming a MsgSeqNum.
	ErrGarbled = errors.New("fix: garbled message")
	// ErrMalformed: the frame is right but a field is not tag=value as FIX
	// wants, a required field is missing, or a value is not of its type.
	ErrMalformed = errors.New("fix: malformed message")
	// ErrTooLarge: a message exceeds MessageBytesMax, FieldsMax or TagMax.
	ErrTooLarge = errors.New("fix: message exceeds a limit")
)

// ParseError says where and why bytes are not a FIX 4.4 message:
//
//	fix: byte 57, tag 10: CheckSum 123 does not match computed 118
type ParseError struct {
	Offset int    // from the message's first byte; -1 when not about one place (a missing field)
	Tag    int    // the field's tag; 0 when no tag could be read
	Reason string // what is wrong
	Err    error  // ErrTruncated, ErrGarbled, ErrMalformed or ErrTooLarge
}

func (e *ParseError) Error() string {
	b := make([]byte, 0, 32+len(e.Reason))
	b = append(b, "fix: "...)
	if e.Offset >= 0 {
		b = append(b, "byte "...)
		b = strconv.AppendInt(b, int64(e.Offset), 10)
	}
	if e.Tag > 0 {
		if e.Offset >= 0 {
			b = append(b, ", "...)
		}
		b = append(b, "tag "...)
		b = strconv.AppendInt(b, int64(e.Tag), 10)
	}
	if e.Offset >= 0 || e.Tag > 0 {
		b = append(b, ": "...)
	}
	return string(append(b, e.Reason...))
}

// Unwrap returns the kind of error, for errors.Is.
func (e *ParseError) Unwrap() error { return e.Err }

// EntryError says which market-data entry (1-based, in message order) and
// which tag stop a message from mapping to entries; Entry is 0 when the
// problem is the message's, not one entry's:
//
//	fix: entry 3: tag 270 MDEntryPx "12.3.4" is not a decimal
type EntryError struct {
	Entry  int
	Tag    int
	Reason string // follows the tag and its name: `"12.3.4" is not a decimal`, `is missing`
}

func (e *EntryError) Error() string {
	b := make([]byte, 0, 48+len(e.Reason))
	b = append(b, "fix: "...)
	if e.Entry > 0 {
		b = append(b, "entry "...)
		b = strconv.AppendInt(b, int64(e.Entry), 10)
		b = append(b, ": "...)
	}
	b = appendTagName(b, e.Tag)
	b = append(b, ' ')
	return string(append(b, e.Reason...))
}

// appendTagName appends "tag 270 MDEntryPx", or "tag 9999" for a tag without a
// name here.
func appendTagName(b []byte, tag int) []byte {
	b = append(b, "tag "...)
	b = strconv.AppendInt(b, int64(tag), 10)
	if name := tagName(tag); name != "" {
		b = append(b, ' ')
		b = append(b, name...)
	}
	return b
}

// quoteValueBytesMax is how many bytes of a value an error quotes.
const quoteValueBytesMax = 40

// quote quotes a value for an error, cut to quoteValueBytesMax bytes.
func quote(v []byte) string {
	if len(v) <= quoteValueBytesMax {
		return strconv.Quote(string(v))
	}
	return strconv.Quote(string(v[:quoteValueBytesMax])) + "..."
}

// describeByte names a byte for an error: 'x' when printable, else SOH or
// its hex code.
func describeByte(c byte) string {
	switch {
	case c == SOH:
		return "SOH"
	case c > ' ' && c < 0x7f:
		return "'" + string(rune(c)) + "'"
	}
	const hex = "0123456789abcdef"
	return "byte 0x" + string([]byte{hex[c>>4], hex[c&15]})
}
