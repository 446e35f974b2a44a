package fix

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const heartbeatBody = "35=0|49=VENUE|56=TAPE|34=4|52=20250314-13:30:30.000|"

func TestParseMalformed(t *testing.T) {
	good := framed(heartbeatBody) // 8=FIX.4.4|9=52|...|10=110|
	tests := []struct {
		name string
		in   string
		kind error
		want string
	}{
		{"empty", "", ErrTruncated, "fix: byte 0, tag 8: message ends after 0 bytes, inside BeginString"},
		{"not FIX", "GET / HTTP/1.1", ErrGarbled, "fix: byte 0: message must start with 8=FIX.4.4<SOH>, found 'G'"},
		{"other version", strings.Replace(good, "FIX.4.4", "FIX.4.2", 1), ErrGarbled,
			`fix: byte 2, tag 8: BeginString "FIX.4.2" is not FIX.4.4`},
		{"BodyLength not second", "8=FIX.4.4|35=0|", ErrGarbled,
			"fix: byte 10: BodyLength (9=) must be the second field, found '3' at byte 10"},
		{"BodyLength empty", "8=FIX.4.4|9=|35=0|", ErrGarbled, "fix: byte 12, tag 9: BodyLength is empty"},
		{"BodyLength leading zero", strings.Replace(good, "9=52", "9=052", 1), ErrGarbled,
			`fix: byte 12, tag 9: BodyLength "052" has a leading zero`},
		{"BodyLength not digits", "8=FIX.4.4|9=5x|", ErrGarbled, "fix: byte 13, tag 9: BodyLength holds 'x', not a digit"},
		{"BodyLength too long", "8=FIX.4.4|9=123456|", ErrTooLarge,
			"fix: byte 12, tag 9: BodyLength has more than 5 digits: the message would exceed MessageBytesMax 65536"},
		{"message too large", "8=FIX.4.4|9=65530|35=0|", ErrTooLarge,
			"fix: byte 12, tag 9: BodyLength 65530 makes the message 65555 bytes, more than MessageBytesMax 65536"},
		{"body too short", "8=FIX.4.4|9=4|35=|10=000|", ErrGarbled,
			"fix: byte 12, tag 9: BodyLength 4 is less than the 5 bytes of the shortest body (35=0<SOH>)"},
		{"BodyLength too small", strings.Replace(good, "9=52", "9=50", 1), ErrGarbled,
			`fix: byte 12, tag 9: BodyLength 50 puts the CheckSum field (<SOH>10=) at byte 65, which holds "00\x011"`},
		{"BodyLength too large", strings.Replace(good, "9=52", "9=53", 1) + "8=FIX", ErrGarbled,
			"fix: byte 12, tag 9: BodyLength 53 does not match the 52 bytes before the CheckSum field at byte 67"},
		{"BodyLength too large, seen early", strings.Replace(good, "9=52", "9=99", 1), ErrGarbled,
			"fix: byte 12, tag 9: BodyLength 99 does not match the 52 bytes before the CheckSum field at byte 67"},
		{"missing 10=", "8=FIX.4.4|9=5|35=0|58=hello|", ErrGarbled,
			`fix: byte 12, tag 9: BodyLength 5 puts the CheckSum field (<SOH>10=) at byte 19, which holds "58="`},
		{"truncated", good[:40], ErrTruncated, "fix: byte 40, tag 9: message ends after 40 bytes; BodyLength 52 makes it 74"},
		{"truncated in BodyLength", "8=FIX.4.4|9=5", ErrTruncated, "fix: byte 13, tag 9: message ends after 13 bytes, inside BodyLength"},
		{"truncated in CheckSum", good[:len(good)-1], ErrTruncated,
			"fix: byte 73, tag 9: message ends after 73 bytes; BodyLength 52 makes it 74"},
		{"wrong checksum", strings.Replace(good, "10=110", "10=123", 1), ErrGarbled,
			"fix: byte 67, tag 10: CheckSum 123 does not match computed 110"},
		{"checksum two digits", strings.Replace(good, "10=110|", "10=11|", 1) + "x", ErrGarbled,
			`fix: byte 70, tag 10: CheckSum must be three digits and SOH, found "11\x01x"`},
		{"tag with leading zero", framed("35=0|049=VENUE|"), ErrMalformed, `fix: byte 20: tag "049" has a leading zero`},
		{"empty value", framed("35=0|49=|"), ErrMalformed, "fix: byte 22, tag 49: value is empty"},
		{"empty field", framed("35=0||49=A|"), ErrMalformed, "fix: byte 20: empty field: SOH follows SOH"},
		{"no tag", framed("35=0|=A|"), ErrMalformed, "fix: byte 19: field has no tag before '='"},
		{"tag not digits", framed("35=0|4x=A|"), ErrMalformed, `fix: byte 21: tag "4x" holds 'x', not a digit`},
		{"no '='", framed("35=0|49|"), ErrMalformed, `fix: byte 19: field "49" has no '='`},
		{"tag above TagMax", framed("35=0|123456=A|"), ErrTooLarge, `fix: byte 20: tag "123456"... exceeds TagMax 99999`},
		{"MsgType not third", framed("49=VENUE|35=0|"), ErrMalformed,
			"fix: byte 15, tag 49: MsgType (35=) must be the third field, after BeginString and BodyLength"},
		{"MsgType missing", framed("49=VENUE|"), ErrMalformed,
			"fix: byte 14, tag 49: MsgType (35=) must be the third field, after BeginString and BodyLength"},
		{"BodyLength in body", framed("35=0|9=5|"), ErrMalformed,
			"fix: byte 19, tag 9: BodyLength must appear once, at the start of the message"},
		{"CheckSum in body", framed("35=0|10=000|58=x|"), ErrGarbled,
			"fix: byte 12, tag 9: BodyLength 17 does not match the 5 bytes before the CheckSum field at byte 20"},
		{"too many fields", framed("35=0|" + strings.Repeat("58=x|", FieldsMax-3)), ErrTooLarge,
			"fix: byte 20483, tag 58: message has more than FieldsMax 4096 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, n, err := Parse(soh(tt.in))
			in := tt.in[:min(len(tt.in), 120)]
			if err == nil {
				t.Fatalf("Parse(%q) = %d fields, want error %q", in, m.Len(), tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse(%q) error\n got %s\nwant %s", in, got, tt.want)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T is not a *ParseError", err)
			}
			if m.Len() != 0 {
				t.Errorf("Message has %d fields after an error", m.Len())
			}
			if n != 0 && n != len(tt.in) {
				t.Errorf("n = %d, want 0 or the message's length %d", n, len(tt.in))
			}
		})
	}
}

func TestParseSkippableErrorsGiveLength(t *testing.T) {
	good := framed(heartbeatBody)
	for _, in := range []string{
		strings.Replace(good, "10=110", "10=123", 1), // checksum
		framed("35=0|049=VENUE|"),                    // a field
	} {
		_, n, err := Parse(soh(in + "8=FIX.4.4|"))
		if err == nil || n != len(in) {
			t.Errorf("Parse(%q) = n %d, error %v; want n %d and an error", in, n, err, len(in))
		}
	}
}

func TestParseFields(t *testing.T) {
	in := soh(framed("35=X|49=VENUE|56=TAPE|34=5|52=20250314-13:30:31.500|268=2|279=0|269=0|270=1.5|279=0|269=1|270=1.6|58=caf\xe9=\xff|"))
	in = append(in, "8=FIX.4.4"...) // the next message's start is not read
	m, n, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(in)-len("8=FIX.4.4") || !bytes.Equal(m.Bytes(), in[:n]) {
		t.Fatalf("n = %d, Bytes %q", n, m.Bytes())
	}
	var got []string
	for tag, v := range m.Fields() {
		got = append(got, itoa(tag)+"="+string(v))
	}
	// BodyLength has three digits: the frame is 23 bytes.
	want := "8=FIX.4.4 9=" + itoa(n-len("8=FIX.4.4|9=122|10=000|")) +
		" 35=X 49=VENUE 56=TAPE 34=5 52=20250314-13:30:31.500 268=2 279=0 269=0 270=1.5 279=0 269=1 270=1.6 58=caf\xe9=\xff 10=" + string(m.buf[n-4:n-1])
	if g := strings.Join(got, " "); g != want {
		t.Errorf("fields\n got %s\nwant %s", g, want)
	}
	if m.Len() != len(got) {
		t.Errorf("Len = %d, want %d", m.Len(), len(got))
	}
	if tag, v := m.Field(m.Len() - 1); tag != TagCheckSum || len(v) != 3 {
		t.Errorf("last field %d=%q, want the CheckSum", tag, v)
	}
	if v, ok := m.Get(TagMDEntryPx); !ok || string(v) != "1.5" {
		t.Errorf("Get(270) = %q, %v; want the first, 1.5", v, ok)
	}
	if v, ok := m.Get(9999); ok || v != nil {
		t.Errorf("Get(9999) = %q, %v; want none", v, ok)
	}
	if string(m.MsgType()) != "X" {
		t.Errorf("MsgType = %q", m.MsgType())
	}
}

func itoa(v int) string { return string(appendTag(nil, v)) }

func TestMessageAccessors(t *testing.T) {
	var m Message
	if _, err := m.Parse(soh(framed("35=4|34=12|43=Y|52=20250314-13:30:31.5|36=20|123=N|7=-07|58=x|16=0|"))); err != nil {
		t.Fatal(err)
	}
	if v, err := m.SeqNum(); v != 12 || err != nil {
		t.Errorf("SeqNum = %d, %v", v, err)
	}
	if v, err := m.Int(TagBeginSeqNo); v != -7 || err != nil {
		t.Errorf("Int(7) = %d, %v", v, err)
	}
	if v, err := m.Bool(TagPossDupFlag); !v || err != nil {
		t.Errorf("Bool(43) = %v, %v", v, err)
	}
	if v, err := m.Bool(TagGapFillFlag); v || err != nil {
		t.Errorf("Bool(123) = %v, %v", v, err)
	}
	if v, err := m.Bool(TagResetSeqNumFlag); v || err != nil {
		t.Errorf("Bool(141), missing = %v, %v", v, err)
	}
	if v, err := m.Ts(TagSendingTime); v != 1741959031_500_000_000 || err != nil {
		t.Errorf("Ts(52) = %d, %v", v, err)
	}
	errs := []struct {
		err  error
		want string
	}{
		{second(m.Int(TagText)), `fix: byte 75, tag 58: value "x" is not an integer`},
		{second(m.Int(TagHeartBtInt)), "fix: tag 108: value is missing"},
		{second(m.Bool(TagText)), `fix: byte 75, tag 58: value "x" is not Y or N`},
		{second(m.Ts(TagOrigSendingTime)), "fix: tag 122: OrigSendingTime is missing"},
		{second(m.Ts(TagNewSeqNo)), `fix: byte 57, tag 36: NewSeqNo "20" is not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])`},
		{second(m.seqNum(TagBeginSeqNo, 1)), `fix: byte 68, tag 7: BeginSeqNo "-07" is not between 1 and SeqNumMax 2147483647`},
	}
	for _, e := range errs {
		if e.err == nil || e.err.Error() != e.want || !errors.Is(e.err, ErrMalformed) {
			t.Errorf("error %v, want %s", e.err, e.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestParseAllocations(t *testing.T) {
	msgs := sessionMessages(t)
	var m Message
	tags := 0
	allocs := testing.AllocsPerRun(100, func() {
		for _, b := range msgs {
			if _, err := m.Parse(b); err != nil {
				t.Fatal(err)
			}
			for tag := range m.Fields() {
				tags += tag
			}
		}
	})
	if allocs != 0 {
		t.Errorf("(*Message).Parse and Fields allocate %v times per session", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() {
		if _, _, err := Parse(msgs[len(msgs)/2]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 1 {
		t.Errorf("Parse allocates %v times, want 1 (the fields)", allocs)
	}
}

func TestParseNeverReadsPastTheMessage(t *testing.T) {
	// Every prefix of a message is truncated, with no panic from reading
	// past the end; every prefix of the next message after it is ignored.
	for _, b := range sessionMessages(t) {
		for i := range len(b) {
			if _, _, err := Parse(b[:i]); !errors.Is(err, ErrTruncated) {
				t.Fatalf("Parse(%q) error %v, want ErrTruncated", bar(b[:i]), err)
			}
		}
	}
}
