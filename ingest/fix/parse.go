package fix

import (
	"bytes"
	"strconv"
)

// frame locates a message's body in the bytes that start with the message.
type frame struct {
	bodyStart int // first byte after the SOH that ends 9=
	bodyEnd   int // first byte of 10=
	total     int // bytes of the whole message; 0 while BodyLength is unread
}

// checksumTag is how the CheckSum field starts, with the SOH before it.
const checksumTag = "\x0110="

// Parse parses the message at the start of b, which must start with
// 8=FIX.4.4. It returns the message, whose fields point into b, and the
// number of bytes it takes. A message missing its end is an error wrapping
// ErrTruncated; use a Scanner to read messages from a stream.
//
// When the error is about a message whose frame is sound (BodyLength places
// the CheckSum field right, but the checksum or a field is wrong), n is the
// message's length, so the caller may skip it; otherwise n is 0.
//
// Parse makes one allocation, for the fields; (*Message).Parse makes none
// once its message has held as many fields.
func Parse(b []byte) (m Message, n int, err error) {
	f, perr := parseFrame(b, 0, true)
	if perr == nil {
		// One SOH per body field, plus 8=, 9= and 10=.
		m.fields = make([]field, 0, bytes.Count(b[f.bodyStart:f.bodyEnd], []byte{SOH})+3)
	}
	n, err = m.parse(b, f, perr)
	return m, n, err
}

// Parse is the package's Parse reusing m's storage: it parses the message
// at the start of b into m, replacing what m held, and returns its length.
// On an error m is empty.
func (m *Message) Parse(b []byte) (n int, err error) {
	f, perr := parseFrame(b, 0, true)
	return m.parse(b, f, perr)
}

// parse finishes Parse and (*Message).Parse once the frame is checked.
func (m *Message) parse(b []byte, f frame, perr *ParseError) (int, error) {
	m.buf, m.fields = nil, m.fields[:0]
	if perr == nil {
		perr = m.parseFields(b, f)
	}
	if perr == nil {
		return f.total, nil
	}
	m.buf, m.fields = nil, m.fields[:0]
	if perr.Err == ErrTruncated {
		return 0, perr
	}
	return f.total, perr
}

// parseFrame checks the frame of the message that starts at b[0]:
// BeginString, BodyLength, and, once b holds the whole message, the place
// and value of the CheckSum field. For an error about a message whose
// frame is sound, and for ErrTruncated once BodyLength is read, it returns
// f.total; otherwise it returns a zero frame.
//
// The frame is sound when the first CheckSum field (<SOH>10=) after
// BodyLength is where BodyLength puts it. A truncated message is searched
// too, so a BodyLength too large fails as soon as the CheckSum field
// arrives, not when all the bytes it claims have. b[:scanFrom] is known not
// to hold the start of a CheckSum field. Unless describe is set, a
// truncated message gives errIncomplete.
//
// Whatever the prefix of a message parseFrame is given, it gives either a
// truncation or the error (or frame) that the whole message gives: so a
// Scanner's results do not depend on how the stream is cut into reads.
func parseFrame(b []byte, scanFrom int, describe bool) (frame, *ParseError) {
	if err := checkBeginString(b, describe); err != nil {
		return frame{}, err
	}
	bodyLen, bodyStart, err := readBodyLength(b, describe)
	if err != nil {
		return frame{}, err
	}
	f := frame{bodyStart: bodyStart, bodyEnd: bodyStart + bodyLen}
	f.total = f.bodyEnd + checksumFieldBytes
	if f.total > MessageBytesMax {
		return frame{}, &ParseError{Offset: len(beginString) + 2, Tag: TagBodyLength, Err: ErrTooLarge,
			Reason: "BodyLength " + strconv.Itoa(bodyLen) + " makes the message " + strconv.Itoa(f.total) +
				" bytes, more than MessageBytesMax " + strconv.Itoa(MessageBytesMax)}
	}
	if bodyLen < bodyBytesMin {
		return frame{}, &ParseError{Offset: len(beginString) + 2, Tag: TagBodyLength, Err: ErrGarbled,
			Reason: "BodyLength " + strconv.Itoa(bodyLen) + " is less than the " + strconv.Itoa(bodyBytesMin) +
				" bytes of the shortest body (35=0<SOH>)"}
	}
	// The first <SOH>10= after BodyLength must be the one that ends the body.
	from, to := max(scanFrom, f.bodyStart-1), min(len(b), f.bodyEnd+len(checksumTag)-1)
	i := -1
	if from < to {
		i = bytes.Index(b[from:to], []byte(checksumTag))
	}
	switch {
	case i >= 0 && from+i+1 < f.bodyEnd:
		return frame{}, bodyLengthMismatch(f, bodyLen, from+i+1)
	case len(b) < f.total && !describe:
		return f, errIncomplete
	case len(b) < f.total:
		return f, &ParseError{Offset: len(b), Tag: TagBodyLength, Err: ErrTruncated,
			Reason: "message ends after " + strconv.Itoa(len(b)) + " bytes; BodyLength " +
				strconv.Itoa(bodyLen) + " makes it " + strconv.Itoa(f.total)}
	case i < 0:
		return frame{}, bodyLengthError(b, f, bodyLen)
	}
	return checkChecksum(b, f)
}

// errIncomplete is what a Scanner, which asks often about messages not
// whole yet, gets instead of an error that takes allocations to describe.
var errIncomplete = &ParseError{Offset: -1, Err: ErrTruncated, Reason: "message is not whole yet"}

// checkBeginString checks that b starts with 8=FIX.4.4<SOH>.
func checkBeginString(b []byte, describe bool) *ParseError {
	n := min(len(b), len(beginString))
	for i := range n {
		if b[i] == beginString[i] {
			continue
		}
		if i < 2 {
			return &ParseError{Offset: i, Err: ErrGarbled,
				Reason: "message must start with 8=FIX.4.4<SOH>, found " + describeByte(b[i])}
		}
		// Quote the value to its SOH, or as much as an error quotes.
		v := b[2:]
		if end := bytes.IndexByte(v, SOH); end >= 0 {
			v = v[:end]
		} else if len(v) <= quoteValueBytesMax {
			return truncatedBeginString(len(b), describe)
		}
		return &ParseError{Offset: 2, Tag: TagBeginString, Err: ErrGarbled,
			Reason: "BeginString " + quote(v) + " is not FIX.4.4"}
	}
	if n < len(beginString) {
		return truncatedBeginString(n, describe)
	}
	return nil
}

func truncatedBeginString(n int, describe bool) *ParseError {
	if !describe {
		return errIncomplete
	}
	return &ParseError{Offset: n, Tag: TagBeginString, Err: ErrTruncated,
		Reason: "message ends after " + strconv.Itoa(n) + " bytes, inside BeginString"}
}

// readBodyLength reads the 9= field after BeginString and returns its value
// and the offset after its SOH.
func readBodyLength(b []byte, describe bool) (bodyLen, next int, err *ParseError) {
	p := len(beginString)
	for i, c := range []byte("9=") {
		if p+i == len(b) && !describe {
			return 0, 0, errIncomplete
		}
		if p+i == len(b) {
			return 0, 0, &ParseError{Offset: p + i, Tag: TagBodyLength, Err: ErrTruncated,
				Reason: "message ends after " + strconv.Itoa(p+i) + " bytes, before BodyLength"}
		}
		if b[p+i] != c {
			return 0, 0, &ParseError{Offset: p, Err: ErrGarbled,
				Reason: "BodyLength (9=) must be the second field, found " + describeByte(b[p+i]) +
					" at byte " + strconv.Itoa(p+i)}
		}
	}
	q := p + 2
	for i := q; ; i++ {
		if i == len(b) && !describe {
			return 0, 0, errIncomplete
		}
		if i == len(b) {
			return 0, 0, &ParseError{Offset: i, Tag: TagBodyLength, Err: ErrTruncated,
				Reason: "message ends after " + strconv.Itoa(i) + " bytes, inside BodyLength"}
		}
		c := b[i]
		switch {
		case c == SOH && i == q:
			return 0, 0, &ParseError{Offset: q, Tag: TagBodyLength, Err: ErrGarbled, Reason: "BodyLength is empty"}
		case c == SOH && b[q] == '0':
			return 0, 0, &ParseError{Offset: q, Tag: TagBodyLength, Err: ErrGarbled,
				Reason: "BodyLength " + quote(b[q:i]) + " has a leading zero"}
		case c == SOH:
			return bodyLen, i + 1, nil
		case c < '0' || c > '9':
			return 0, 0, &ParseError{Offset: i, Tag: TagBodyLength, Err: ErrGarbled,
				Reason: "BodyLength holds " + describeByte(c) + ", not a digit"}
		case i-q == bodyLengthDigitsMax:
			return 0, 0, &ParseError{Offset: q, Tag: TagBodyLength, Err: ErrTooLarge,
				Reason: "BodyLength has more than " + strconv.Itoa(bodyLengthDigitsMax) +
					" digits: the message would exceed MessageBytesMax " + strconv.Itoa(MessageBytesMax)}
		}
		bodyLen = bodyLen*10 + int(c-'0')
	}
}

// bodyLengthError explains a CheckSum field missing where BodyLength puts
// it, in a body without one. It looks no further than BodyLength says, so
// the error does not depend on what follows the message.
func bodyLengthError(b []byte, f frame, bodyLen int) *ParseError {
	found := b[f.bodyEnd : f.bodyEnd+3]
	if b[f.bodyEnd-1] != SOH {
		found = b[f.bodyEnd-1 : f.bodyEnd+3]
	}
	return &ParseError{Offset: len(beginString) + 2, Tag: TagBodyLength, Err: ErrGarbled,
		Reason: "BodyLength " + strconv.Itoa(bodyLen) + " puts the CheckSum field (<SOH>10=) at byte " +
			strconv.Itoa(f.bodyEnd) + ", which holds " + quote(found)}
}

// bodyLengthMismatch says that the CheckSum field starting at byte at does
// not end the body BodyLength gives.
func bodyLengthMismatch(f frame, bodyLen, at int) *ParseError {
	return &ParseError{Offset: len(beginString) + 2, Tag: TagBodyLength, Err: ErrGarbled,
		Reason: "BodyLength " + strconv.Itoa(bodyLen) + " does not match the " + strconv.Itoa(at-f.bodyStart) +
			" bytes before the CheckSum field at byte " + strconv.Itoa(at)}
}

// checkChecksum checks the CheckSum field, which starts at f.bodyEnd.
func checkChecksum(b []byte, f frame) (frame, *ParseError) {
	d := b[f.bodyEnd+3 : f.total]
	if !isDigit(d[0]) || !isDigit(d[1]) || !isDigit(d[2]) || d[3] != SOH {
		return frame{}, &ParseError{Offset: f.bodyEnd + 3, Tag: TagCheckSum, Err: ErrGarbled,
			Reason: "CheckSum must be three digits and SOH, found " + quote(d)}
	}
	got := int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
	if want := checksum(b[:f.bodyEnd]); got != want {
		return f, &ParseError{Offset: f.bodyEnd, Tag: TagCheckSum, Err: ErrGarbled,
			Reason: "CheckSum " + string(d[:3]) + " does not match computed " + pad3(want)}
	}
	return f, nil
}

// checksum is the sum of b's bytes modulo 256.
func checksum(b []byte) int {
	var s0, s1, s2, s3 uint
	for len(b) >= 4 {
		s0 += uint(b[0])
		s1 += uint(b[1])
		s2 += uint(b[2])
		s3 += uint(b[3])
		b = b[4:]
	}
	for _, c := range b {
		s0 += uint(c)
	}
	return int((s0 + s1 + s2 + s3) & 0xff)
}

// pad3 writes a checksum as FIX does: three digits.
func pad3(v int) string {
	return string([]byte{byte('0' + v/100), byte('0' + v/10%10), byte('0' + v%10)})
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseFields records the fields of a message whose frame f is checked, and
// checks each: a tag without leading zero up to TagMax, '=', a value that is
// not empty; MsgType first in the body; BeginString and BodyLength nowhere
// in it (parseFrame has made sure CheckSum is not); at most FieldsMax
// fields.
func (m *Message) parseFields(b []byte, f frame) *ParseError {
	fs := append(m.fields[:0],
		field{tag: TagBeginString, start: 2, end: int32(len(beginString) - 1)},
		field{tag: TagBodyLength, start: int32(len(beginString) + 2), end: int32(f.bodyStart - 1)})
	// b[f.bodyEnd-1] is SOH: the loops below end there at the latest.
	for p := f.bodyStart; p < f.bodyEnd; {
		tag, v, err := readTag(b, p)
		if err != nil {
			return err
		}
		end := v
		for b[end] != SOH {
			end++
		}
		// The common field passes the first test; checkField sorts the rest.
		if end == v || tag <= TagCheckSum || len(fs) == 2 || len(fs) == FieldsMax-1 {
			if err := checkField(len(fs), p, tag, v, end); err != nil {
				return err
			}
		}
		fs = append(fs, field{tag: int32(tag), start: int32(v), end: int32(end)})
		p = end + 1
	}
	fs = append(fs, field{tag: TagCheckSum, start: int32(f.bodyEnd + 3), end: int32(f.total - 1)})
	m.buf, m.fields = b[:f.total:f.total], fs
	return nil
}

// checkField checks the field that is field number i of a message, with
// its tag at byte p and its value at bytes v to end.
func checkField(i, p, tag, v, end int) *ParseError {
	switch {
	case end == v:
		return &ParseError{Offset: v, Tag: tag, Err: ErrMalformed, Reason: "value is empty"}
	case i == FieldsMax-1:
		return &ParseError{Offset: p, Tag: tag, Err: ErrTooLarge,
			Reason: "message has more than FieldsMax " + strconv.Itoa(FieldsMax) + " fields"}
	case i == 2 && tag != TagMsgType:
		return &ParseError{Offset: p, Tag: tag, Err: ErrMalformed,
			Reason: "MsgType (35=) must be the third field, after BeginString and BodyLength"}
	case tag == TagBeginString || tag == TagBodyLength:
		return &ParseError{Offset: p, Tag: tag, Err: ErrMalformed,
			Reason: tagName(tag) + " must appear once, at the start of the message"}
	case tag == TagCheckSum:
		panic("BUG: fix: parseFrame let a CheckSum field through at byte " + strconv.Itoa(p))
	}
	return nil
}

// readTag reads the tag of the field at b[p], which lies before a SOH, and
// returns it with the offset of the value after its '='.
func readTag(b []byte, p int) (tag, v int, err *ParseError) {
	c := b[p]
	if c < '1' || c > '9' {
		return 0, 0, tagStartError(b, p)
	}
	tag = int(c - '0')
	for i := p + 1; ; i++ {
		c = b[i]
		switch {
		case c == '=':
			return tag, i + 1, nil
		case c == SOH:
			return 0, 0, &ParseError{Offset: p, Err: ErrMalformed,
				Reason: "field " + quote(b[p:i]) + " has no '='"}
		case c < '0' || c > '9':
			return 0, 0, &ParseError{Offset: i, Err: ErrMalformed,
				Reason: "tag " + quote(b[p:i+1]) + " holds " + describeByte(c) + ", not a digit"}
		case i-p == tagDigitsMax:
			return 0, 0, &ParseError{Offset: p, Err: ErrTooLarge,
				Reason: "tag " + quote(b[p:i+1]) + "... exceeds TagMax " + strconv.Itoa(TagMax)}
		}
		tag = tag*10 + int(c-'0')
	}
}

// tagStartError explains a field that does not start with a digit 1-9.
func tagStartError(b []byte, p int) *ParseError {
	switch c := b[p]; c {
	case '0':
		end := p
		for isDigit(b[end]) && end-p <= tagDigitsMax {
			end++
		}
		return &ParseError{Offset: p, Err: ErrMalformed, Reason: "tag " + quote(b[p:end]) + " has a leading zero"}
	case '=':
		return &ParseError{Offset: p, Err: ErrMalformed, Reason: "field has no tag before '='"}
	case SOH:
		return &ParseError{Offset: p, Err: ErrMalformed, Reason: "empty field: SOH follows SOH"}
	default:
		return &ParseError{Offset: p, Err: ErrMalformed, Reason: "tag starts with " + describeByte(c) + ", not a digit"}
	}
}
