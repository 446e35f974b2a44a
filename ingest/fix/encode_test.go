package fix

import (
	"slices"
	"strings"
	"testing"
)

func TestAppend(t *testing.T) {
	h := Header{MsgType: MsgTypeResendRequest, SenderCompID: "TAPE", TargetCompID: "VENUE", MsgSeqNum: 3,
		SendingTs: 1741959031_500_999_999}
	got := bar(Append([]byte("prefix"), h, []Field{{TagBeginSeqNo, "5"}, {TagEndSeqNo, "0"}}))
	want := "prefix" + framed("35=2|49=TAPE|56=VENUE|34=3|52=20250314-13:30:31.500|7=5|16=0|")
	if got != want {
		t.Errorf("Append\n got %s\nwant %s", got, want)
	}

	h.PossDup, h.OrigSendingTs, h.SendingTs = true, 1741959031_500_000_000, 1741959032_000_000_000
	got = bar(Append(nil, h, nil))
	want = framed("35=2|49=TAPE|56=VENUE|34=3|43=Y|52=20250314-13:30:32.000|122=20250314-13:30:31.500|")
	if got != want {
		t.Errorf("Append with PossDup\n got %s\nwant %s", got, want)
	}
}

func TestAppendRoundTrip(t *testing.T) {
	body := []Field{{TagMDReqID, "md-1"}, {TagNoMDEntries, "2"},
		{TagMDUpdateAction, "0"}, {TagMDEntryType, "0"}, {TagSymbol, "EURUSD"}, {TagMDEntryPx, "1.08512"}, {TagMDEntrySize, "1000000"},
		{TagMDUpdateAction, "2"}, {TagMDEntryType, "1"}, {TagSymbol, "EUR/USD \xff=x"}}
	h := Header{MsgType: MsgTypeMarketDataIncremental, SenderCompID: "VENUE", TargetCompID: "TAPE", MsgSeqNum: SeqNumMax,
		SendingTs: -1} // 1969-12-31T23:59:59.999999999Z, truncated to the millisecond
	b := Append(nil, h, body)
	m, n, err := Parse(b)
	if err != nil || n != len(b) {
		t.Fatalf("Parse(Append(...)) = %d of %d bytes, %v", n, len(b), err)
	}
	want := []Field{{8, "FIX.4.4"}, {9, m.bodyLength()}, {35, "X"}, {49, "VENUE"}, {56, "TAPE"}, {34, "2147483647"},
		{52, "19691231-23:59:59.999"}}
	want = append(append(want, body...), Field{10, pad3(checksum(b[:len(b)-7]))})
	if got := fieldsOf(&m); !slices.Equal(got, want) {
		t.Errorf("fields\n got %v\nwant %v", got, want)
	}
	if again := AppendFrame(nil, fieldsOf(&m)[2:m.Len()-1]); string(again) != string(b) {
		t.Errorf("AppendFrame of the parsed fields\n got %s\nwant %s", bar(again), bar(b))
	}
}

func (m *Message) bodyLength() string { _, v := m.Field(1); return string(v) }

func fieldsOf(m *Message) []Field {
	var fs []Field
	for tag, v := range m.Fields() {
		fs = append(fs, Field{tag, string(v)})
	}
	return fs
}

func TestAppendPanicsOnBugs(t *testing.T) {
	h := Header{MsgType: "0", SenderCompID: "A", TargetCompID: "B", MsgSeqNum: 1}
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"empty value", func() { Append(nil, h, []Field{{58, ""}}) }, "BUG: fix: the value of tag 58 is empty or holds SOH"},
		{"SOH in value", func() { Append(nil, h, []Field{{58, "a\x01b"}}) }, "BUG: fix: the value of tag 58 is empty or holds SOH"},
		{"tag 10", func() { Append(nil, h, []Field{{10, "000"}}) }, "BUG: fix: cannot append a field with tag 10"},
		{"tag 0", func() { Append(nil, h, []Field{{0, "x"}}) }, "BUG: fix: cannot append a field with tag 0"},
		{"tag above TagMax", func() { Append(nil, h, []Field{{TagMax + 1, "x"}}) }, "BUG: fix: cannot append a field with tag 100000"},
		{"no MsgType", func() { Append(nil, Header{SenderCompID: "A", TargetCompID: "B", MsgSeqNum: 1}, nil) },
			"BUG: fix: the value of tag 35 is empty or holds SOH"},
		{"MsgSeqNum 0", func() { Append(nil, Header{MsgType: "0", SenderCompID: "A", TargetCompID: "B"}, nil) },
			"BUG: fix: MsgSeqNum 0 is not between 1 and SeqNumMax"},
		{"frame without MsgType", func() { AppendFrame(nil, []Field{{58, "x"}}) },
			"BUG: fix: AppendFrame: the first field must be MsgType (35)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, tt.want) {
					t.Errorf("panic %v, want %s", r, tt.want)
				}
			}()
			tt.f()
		})
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	h := Header{MsgType: MsgTypeHeartbeat, SenderCompID: "TAPE", TargetCompID: "VENUE", MsgSeqNum: 12, SendingTs: 1741959031_500_000_000}
	body := []Field{{TagTestReqID, "t-1"}}
	buf := make([]byte, 0, 256)
	if allocs := testing.AllocsPerRun(100, func() { buf = Append(buf[:0], h, body) }); allocs != 0 {
		t.Errorf("Append allocates %v times", allocs)
	}
}

func TestTimestamps(t *testing.T) {
	tests := []struct {
		in   string
		ts   int64
		ok   bool
		back string // as appendTimestamp writes ts
	}{
		{"19700101-00:00:00", 0, true, "19700101-00:00:00.000"},
		{"20250314-13:30:31.5", 1741959031_500_000_000, true, "20250314-13:30:31.500"},
		{"20250314-13:30:31.123456789", 1741959031_123_456_789, true, "20250314-13:30:31.123"},
		{"20240229-23:59:60", 1709251200_000_000_000, true, "20240301-00:00:00.000"}, // leap second
		{"22611231-23:59:59.999", 9214646399_999_000_000, true, "22611231-23:59:59.999"},
		{"20230229-00:00:00", 0, false, ""},
		{"19691231-23:59:59", 0, false, ""},
		{"20250314-24:00:00", 0, false, ""},
		{"20250314-13:30:31.", 0, false, ""},
		{"20250314-13:30:31.1234567890", 0, false, ""},
		{"20250314T13:30:31", 0, false, ""},
		{"2025031-13:30:31", 0, false, ""},
		{"20250314-13:3a:31", 0, false, ""},
	}
	for _, tt := range tests {
		ts, ok := parseTimestamp([]byte(tt.in))
		if ts != tt.ts || ok != tt.ok {
			t.Errorf("parseTimestamp(%q) = %d, %v; want %d, %v", tt.in, ts, ok, tt.ts, tt.ok)
		}
		if ok {
			if back := string(appendTimestamp(nil, ts)); back != tt.back {
				t.Errorf("appendTimestamp(%d) = %s, want %s", ts, back, tt.back)
			}
		}
	}
	// Every day from 1970 to 2261 converts both ways.
	for days := int64(0); ; days++ {
		y, mo, d := civilFromDays(days)
		if y > yearMax {
			break
		}
		if back := daysFromCivil(y, mo, d); back != days {
			t.Fatalf("day %d is %04d-%02d-%02d, which is day %d", days, y, mo, d, back)
		}
	}
}
