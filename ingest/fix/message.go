package fix

import (
	"iter"
	"strconv"
)

// field locates one field of a message: its tag and its value's bytes.
type field struct {
	tag        int32
	start, end int32 // the value is buf[start:end]
}

// Message is one parsed message. It copies nothing: its values are slices
// of the bytes it was parsed from, valid while those are. Fields keep the
// order of the wire, 8= first and 10= last, so repeating groups (268
// NoMDEntries and its 269, 270, 271, ...) read in order with Field or
// Fields.
type Message struct {
	buf    []byte  // the message's bytes, 8= to the SOH after 10=
	fields []field // every field in order
}

// Bytes returns the message's bytes, from 8= to the SOH after 10=.
func (m *Message) Bytes() []byte { return m.buf }

// Len returns the number of fields, 8=, 9= and 10= included.
func (m *Message) Len() int { return len(m.fields) }

// Field returns the tag and value of field i, 0 <= i < Len(): field 0 is
// BeginString, 1 BodyLength, 2 MsgType, Len()-1 CheckSum.
func (m *Message) Field(i int) (tag int, value []byte) {
	f := m.fields[i]
	return int(f.tag), m.buf[f.start:f.end]
}

// Fields yields every field's tag and value in order.
func (m *Message) Fields() iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		for _, f := range m.fields {
			if !yield(int(f.tag), m.buf[f.start:f.end]) {
				return
			}
		}
	}
}

// Get returns the value of the first field with tag. For tags in repeating
// groups use Fields.
func (m *Message) Get(tag int) ([]byte, bool) {
	if i := m.index(tag); i >= 0 {
		f := m.fields[i]
		return m.buf[f.start:f.end], true
	}
	return nil, false
}

// index returns the index of the first field with tag, or -1.
func (m *Message) index(tag int) int {
	for i, f := range m.fields {
		if int(f.tag) == tag {
			return i
		}
	}
	return -1
}

// MsgType returns the value of 35=, or nil for an empty Message.
func (m *Message) MsgType() []byte {
	if len(m.fields) < 3 {
		return nil
	}
	_, v := m.Field(2)
	return v
}

// Int returns the value of the first field with tag as an integer: an
// optional '-' and up to 18 digits, leading zeros allowed as FIX allows
// them. A missing field is an error.
func (m *Message) Int(tag int) (int, error) {
	i := m.index(tag)
	if i < 0 {
		return 0, missing(tag)
	}
	f := m.fields[i]
	v, ok := parseInt(m.buf[f.start:f.end])
	if !ok {
		return 0, m.valueError(i, "is not an integer")
	}
	return v, nil
}

// SeqNum returns MsgSeqNum (34=), which must be 1 to SeqNumMax.
func (m *Message) SeqNum() (int, error) { return m.seqNum(TagMsgSeqNum, 1) }

// seqNum returns the sequence number in the first field with tag, which
// must be least to SeqNumMax.
func (m *Message) seqNum(tag, least int) (int, error) {
	v, err := m.Int(tag)
	if err != nil {
		return 0, err
	}
	if v < least || v > SeqNumMax {
		return 0, m.valueError(m.index(tag),
			"is not between "+strconv.Itoa(least)+" and SeqNumMax "+strconv.Itoa(SeqNumMax))
	}
	return v, nil
}

// Bool returns the value of the first field with tag as a FIX Boolean:
// true for Y, false for N or a missing field.
func (m *Message) Bool(tag int) (bool, error) {
	i := m.index(tag)
	if i < 0 {
		return false, nil
	}
	f := m.fields[i]
	switch string(m.buf[f.start:f.end]) {
	case "Y":
		return true, nil
	case "N":
		return false, nil
	}
	return false, m.valueError(i, "is not Y or N")
}

// Ts returns the value of the first field with tag as a UTCTimestamp
// (YYYYMMDD-HH:MM:SS with 0 to 9 decimals of the second) in ns since the
// Unix epoch. A missing field is an error.
func (m *Message) Ts(tag int) (int64, error) {
	i := m.index(tag)
	if i < 0 {
		return 0, missing(tag)
	}
	f := m.fields[i]
	ts, ok := parseTimestamp(m.buf[f.start:f.end])
	if !ok {
		return 0, m.valueError(i, "is not a UTCTimestamp "+timestampLayout)
	}
	return ts, nil
}

// missing is the error for a required field that is absent.
func missing(tag int) *ParseError {
	return &ParseError{Offset: -1, Tag: tag, Err: ErrMalformed, Reason: label(tag) + " is missing"}
}

// valueError is the error for the value of field i: `MsgSeqNum "x" is not
// an integer`.
func (m *Message) valueError(i int, what string) *ParseError {
	f := m.fields[i]
	return &ParseError{Offset: int(f.start), Tag: int(f.tag), Err: ErrMalformed,
		Reason: label(int(f.tag)) + " " + quote(m.buf[f.start:f.end]) + " " + what}
}

// label names a tag's value in an error: its field name, or "value".
func label(tag int) string {
	if name := tagName(tag); name != "" {
		return name
	}
	return "value"
}

// parseInt parses an optional '-' and 1 to intDigitsMax digits into a
// value that fits an int.
func parseInt(v []byte) (int, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > intDigitsMax {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return int(n), int64(int(n)) == n
}
