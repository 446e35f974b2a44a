package fix

import (
	"strconv"
	"strings"
)

// Header is the standard header of a message to send.
type Header struct {
	MsgType       string // 35
	SenderCompID  string // 49
	TargetCompID  string // 56
	MsgSeqNum     int    // 34, 1 to SeqNumMax
	SendingTs     int64  // 52, ns since the Unix epoch, UTC; written to the millisecond
	PossDup       bool   // writes 43=Y and 122=OrigSendingTs, as a resent message needs
	OrigSendingTs int64  // 122 when PossDup
}

// Append appends a message to dst: 8=FIX.4.4, 9=BodyLength, the header
// fields 35, 49, 56, 34, 43 (when PossDup), 52, 122 (when PossDup), the
// body fields in order, and 10=CheckSum. It allocates only when dst lacks
// room.
//
// Fields are the sender's own making, so a bad one is a bug and panics: a
// header or body value that is empty or holds SOH, a tag outside 1 to
// TagMax, a body tag 8, 9 or 10, MsgSeqNum outside 1 to SeqNumMax.
func Append(dst []byte, h Header, body []Field) []byte {
	checkHeader(h)
	checkFields(body)
	bodyLen := fieldBytes(TagMsgType, len(h.MsgType)) +
		fieldBytes(TagSenderCompID, len(h.SenderCompID)) +
		fieldBytes(TagTargetCompID, len(h.TargetCompID)) +
		fieldBytes(TagMsgSeqNum, intBytes(h.MsgSeqNum)) +
		fieldBytes(TagSendingTime, timestampBytes) + fieldsBytes(body)
	if h.PossDup {
		bodyLen += fieldBytes(TagPossDupFlag, 1) + fieldBytes(TagOrigSendingTime, timestampBytes)
	}
	start := len(dst)
	dst = appendBodyLength(append(dst, beginString...), bodyLen)
	bodyStart := len(dst)
	dst = appendField(dst, TagMsgType, h.MsgType)
	dst = appendField(dst, TagSenderCompID, h.SenderCompID)
	dst = appendField(dst, TagTargetCompID, h.TargetCompID)
	dst = appendTag(dst, TagMsgSeqNum)
	dst = append(strconv.AppendInt(append(dst, '='), int64(h.MsgSeqNum), 10), SOH)
	if h.PossDup {
		dst = appendField(dst, TagPossDupFlag, "Y")
	}
	dst = appendTimestampField(dst, TagSendingTime, h.SendingTs)
	if h.PossDup {
		dst = appendTimestampField(dst, TagOrigSendingTime, h.OrigSendingTs)
	}
	for _, f := range body {
		dst = appendField(dst, f.Tag, f.Value)
	}
	return appendChecksum(dst, start, bodyStart, bodyLen)
}

// AppendFrame appends a message made of the given fields, which start with
// MsgType (35), framed by 8=FIX.4.4, 9=BodyLength and 10=CheckSum. It
// writes fields as given, header or not, in order: for replaying what was
// parsed and for tests. Bad fields panic as in Append.
func AppendFrame(dst []byte, fields []Field) []byte {
	if len(fields) == 0 || fields[0].Tag != TagMsgType {
		panic("BUG: fix: AppendFrame: the first field must be MsgType (35)")
	}
	checkFields(fields)
	bodyLen := fieldsBytes(fields)
	start := len(dst)
	dst = appendBodyLength(append(dst, beginString...), bodyLen)
	bodyStart := len(dst)
	for _, f := range fields {
		dst = appendField(dst, f.Tag, f.Value)
	}
	return appendChecksum(dst, start, bodyStart, bodyLen)
}

func checkHeader(h Header) {
	for _, f := range [...]Field{{TagMsgType, h.MsgType}, {TagSenderCompID, h.SenderCompID}, {TagTargetCompID, h.TargetCompID}} {
		checkValue(f)
	}
	if h.MsgSeqNum < 1 || h.MsgSeqNum > SeqNumMax {
		panic("BUG: fix: MsgSeqNum " + strconv.Itoa(h.MsgSeqNum) + " is not between 1 and SeqNumMax")
	}
}

func checkFields(fields []Field) {
	for _, f := range fields {
		if f.Tag < 1 || f.Tag > TagMax || f.Tag == TagBeginString || f.Tag == TagBodyLength || f.Tag == TagCheckSum {
			panic("BUG: fix: cannot append a field with tag " + strconv.Itoa(f.Tag))
		}
		checkValue(f)
	}
}

func checkValue(f Field) {
	if f.Value == "" || strings.IndexByte(f.Value, SOH) >= 0 {
		panic("BUG: fix: the value of tag " + strconv.Itoa(f.Tag) + " is empty or holds SOH: " + strconv.Quote(f.Value))
	}
}

// fieldBytes is the length of a field "tag=value<SOH>".
func fieldBytes(tag, valueBytes int) int { return intBytes(tag) + 1 + valueBytes + 1 }

func fieldsBytes(fields []Field) int {
	n := 0
	for _, f := range fields {
		n += fieldBytes(f.Tag, len(f.Value))
	}
	return n
}

// intBytes is the number of digits of v >= 0.
func intBytes(v int) int {
	n := 1
	for ; v >= 10; v /= 10 {
		n++
	}
	return n
}

func appendBodyLength(dst []byte, bodyLen int) []byte {
	dst = append(dst, "9="...)
	return append(strconv.AppendInt(dst, int64(bodyLen), 10), SOH)
}

func appendTag(dst []byte, tag int) []byte { return strconv.AppendInt(dst, int64(tag), 10) }

func appendField(dst []byte, tag int, value string) []byte {
	dst = append(appendTag(dst, tag), '=')
	return append(append(dst, value...), SOH)
}

func appendTimestampField(dst []byte, tag int, ts int64) []byte {
	dst = append(appendTag(dst, tag), '=')
	return append(appendTimestamp(dst, ts), SOH)
}

// appendChecksum checks that the body written from dst[bodyStart] has
// bodyLen bytes and appends 10= with the checksum of dst[start:].
func appendChecksum(dst []byte, start, bodyStart, bodyLen int) []byte {
	if len(dst)-bodyStart != bodyLen {
		panic("BUG: fix: wrote a body of " + strconv.Itoa(len(dst)-bodyStart) + " bytes, computed " + strconv.Itoa(bodyLen))
	}
	dst = append(dst, "10="...)
	return append(appendDigits(dst, checksum(dst[start:len(dst)-3]), 3), SOH)
}
