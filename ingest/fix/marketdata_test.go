package fix

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tape-ledger/tape/internal/testkit"
)

// TestSessionEntries maps the recorded session's messages to entries and
// compares them with testdata/session.golden.
func TestSessionEntries(t *testing.T) {
	var out strings.Builder
	var entries []Entry
	for _, b := range sessionMessages(t) {
		m, _, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		seq, _ := m.Get(TagMsgSeqNum)
		fmt.Fprintf(&out, "34=%s 35=%s\n", seq, m.MsgType())
		if mt := string(m.MsgType()); mt != "W" && mt != "X" {
			continue
		}
		if entries, err = AppendEntries(entries[:0], &m); err != nil {
			t.Fatalf("34=%s: %v", seq, err)
		}
		for _, e := range entries {
			fmt.Fprintf(&out, "\t%-5v %-6v %s px=%s size=%s ts=%s trade=%s venue=%s\n", e.Type, e.Update, e.Symbol,
				e.Px, e.Size, time.Unix(0, e.Ts).UTC().Format("2006-01-02T15:04:05.000000000Z"), e.TradeID, e.Venue)
		}
	}
	testkit.Golden(t, "testdata/session.golden", []byte(out.String()))
}

const xHeader = "35=X|49=VENUE|56=TAPE|34=2|52=20250314-13:30:00.000|"

func TestAppendEntriesErrors(t *testing.T) {
	bid := "279=0|269=0|55=EURUSD|270=1.5|271=100|"
	tests := []struct {
		name, body, want string
	}{
		{"not market data", "35=0|49=VENUE|56=TAPE|34=2|52=20250314-13:30:00.000|", `fix: tag 35 MsgType "0" is not W or X`},
		{"no SendingTime", "35=X|268=0|", "fix: tag 52 SendingTime is missing"},
		{"bad SendingTime", "35=X|52=20250314|268=0|", `fix: tag 52 SendingTime "20250314" is not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])`},
		{"no NoMDEntries", xHeader + bid, "fix: tag 268 NoMDEntries is missing"},
		{"bad NoMDEntries", xHeader + "268=x|" + bid, `fix: tag 268 NoMDEntries "x" is not a count from 0 to 4096`},
		{"too few entries", xHeader + "268=2|" + bid, "fix: tag 268 NoMDEntries is 2 but the message holds 1 entry"},
		{"too many entries", xHeader + "268=1|" + bid + bid, "fix: tag 268 NoMDEntries is 1 but the message holds more entries"},
		{"entries but 0", xHeader + "268=0|" + bid, "fix: tag 268 NoMDEntries is 0 but the message holds more entries"},
		{"wrong first tag", xHeader + "268=1|269=0|279=0|55=EURUSD|270=1.5|271=100|",
			"fix: entry 1: tag 269 MDEntryType comes first in the entry, which must start with tag 279 MDUpdateAction"},
		{"bad action", xHeader + "268=2|" + bid + "279=5|269=0|55=EURUSD|270=1.5|271=100|",
			`fix: entry 2: tag 279 MDUpdateAction "5" is not 0 (New), 1 (Change) or 2 (Delete)`},
		{"no type", xHeader + "268=1|279=0|55=EURUSD|270=1.5|271=100|", "fix: entry 1: tag 269 MDEntryType is missing"},
		{"no symbol", xHeader + "268=2|" + bid + "279=0|269=1|270=1.5|271=100|",
			"fix: entry 2: tag 55 Symbol is missing, in the entry and before NoMDEntries"},
		{"bad px", xHeader + "268=3|" + bid + bid + "279=0|269=1|55=EURUSD|270=12.3.4|271=100|",
			`fix: entry 3: tag 270 MDEntryPx "12.3.4" is not a decimal`},
		{"px with exponent", xHeader + "268=1|279=0|269=1|55=EURUSD|270=1e5|271=100|",
			`fix: entry 1: tag 270 MDEntryPx "1e5" is not a decimal`},
		{"px without leading digit", xHeader + "268=1|279=0|269=1|55=EURUSD|270=.5|271=100|",
			`fix: entry 1: tag 270 MDEntryPx ".5" is not a decimal`},
		{"px with plus", xHeader + "268=1|279=0|269=1|55=EURUSD|270=+5|271=100|",
			`fix: entry 1: tag 270 MDEntryPx "+5" is not a decimal`},
		{"px too long", xHeader + "268=1|279=0|269=1|55=EURUSD|270=1234567890123456789012345678901234567.89|271=100|",
			`fix: entry 1: tag 270 MDEntryPx "1234567890123456789012345678901234567.89" has more than 38 digits`},
		{"no px", xHeader + "268=1|279=1|269=1|55=EURUSD|271=100|", "fix: entry 1: tag 270 MDEntryPx is missing"},
		{"no size", xHeader + "268=1|279=0|269=2|55=EURUSD|270=1.5|", "fix: entry 1: tag 271 MDEntrySize is missing"},
		{"negative size", xHeader + "268=1|279=0|269=2|55=EURUSD|270=1.5|271=-100|", `fix: entry 1: tag 271 MDEntrySize "-100" is negative`},
		{"repeated tag", xHeader + "268=1|279=0|269=2|55=EURUSD|270=1.5|271=100|270=1.6|", "fix: entry 1: tag 270 MDEntryPx appears twice in the entry"},
		{"bad time", xHeader + "268=1|279=0|269=2|55=EURUSD|270=1.5|271=1|273=13:30|",
			`fix: entry 1: tag 273 MDEntryTime "13:30" is not a UTCTimeOnly (HH:MM:SS[.sss])`},
		{"bad date", xHeader + "268=1|279=0|269=2|55=EURUSD|270=1.5|271=1|272=20250230|273=13:30:00|",
			`fix: entry 1: tag 272 MDEntryDate "20250230" is not a UTCDateOnly (YYYYMMDD)`},
		{"bad side", xHeader + "268=1|279=0|269=2|55=EURUSD|270=1.5|271=1|54=5|",
			`fix: entry 1: tag 54 Side "5" is not 1 (Buy) or 2 (Sell)`},
		{"bad OrigSendingTime", "35=X|43=Y|52=20250314-13:30:00.000|122=x|268=0|",
			`fix: tag 122 OrigSendingTime "x" is not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])`},
		{"W starts with 269", "35=W|52=20250314-13:30:00.000|55=EURUSD|268=1|270=1.5|269=0|271=1|",
			"fix: entry 1: tag 270 MDEntryPx comes first in the entry, which must start with tag 269 MDEntryType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := Parse(soh(framed(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			dst := []Entry{{Symbol: "kept"}}
			got, err := AppendEntries(dst, &m)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error\n got %v\nwant %s", err, tt.want)
			}
			var ee *EntryError
			if !errors.As(err, &ee) {
				t.Errorf("error %T is not an *EntryError", err)
			}
			if len(got) != 1 || got[0].Symbol != "kept" {
				t.Errorf("dst changed on an error: %v", got)
			}
		})
	}
}

func TestAppendEntries(t *testing.T) {
	tests := []struct {
		name, body string
		want       []Entry
	}{
		{"empty snapshot", "35=W|52=20250314-13:30:00.000|55=EURUSD|268=0|", nil},
		{"snapshot symbol, entry symbol wins", "35=W|52=20250314-13:30:00.000|55=EURUSD|268=2|269=0|270=-1.5|271=0|269=1|55=GBPUSD|270=7.|271=1.000|30=X1|275=X2|",
			[]Entry{
				{Type: Bid, Update: UpdateNew, Symbol: "EURUSD", Px: "-1.5", Size: "0", Ts: 1741959000_000_000_000},
				{Type: Offer, Update: UpdateNew, Symbol: "GBPUSD", Px: "7.", Size: "1.000", Ts: 1741959000_000_000_000, Venue: "X2"},
			}},
		{"delete without px or size, skipped type, unknown tags", xHeader + "268=3|279=2|269=1|55=EURUSD|278=id-1|279=0|269=B|271=5|279=0|269=2|55=EURUSD|270=1|271=2|1003=t|30=XLON|9999=x|",
			[]Entry{
				{Type: Offer, Update: UpdateDelete, Symbol: "EURUSD", Ts: 1741959000_000_000_000},
				{Type: Trade, Update: UpdateNew, Symbol: "EURUSD", Px: "1", Size: "2", Ts: 1741959000_000_000_000, TradeID: "t", Venue: "XLON"},
			}},
		{"entry time before midnight, sent after", "35=X|52=20250315-00:00:00.100|268=2|279=0|269=2|55=A|270=1|271=1|273=23:59:59.900|279=0|269=2|55=A|270=1|271=1|273=00:00:00.050|",
			[]Entry{
				{Type: Trade, Update: UpdateNew, Symbol: "A", Px: "1", Size: "1", Ts: 1741996799_900_000_000},
				{Type: Trade, Update: UpdateNew, Symbol: "A", Px: "1", Size: "1", Ts: 1741996800_050_000_000},
			}},
		{"entry date and time", "35=X|52=20250315-00:00:00.100|268=1|279=0|269=2|55=A|270=1|271=1|272=20250313|273=23:59:59.9|",
			[]Entry{{Type: Trade, Update: UpdateNew, Symbol: "A", Px: "1", Size: "1", Ts: 1741910399_900_000_000}}},
		{"side of trades", "35=X|52=20250315-00:00:00.100|268=2|279=0|269=2|55=A|270=1|271=1|54=1|279=0|269=2|55=A|270=1|271=1|54=2|",
			[]Entry{
				{Type: Trade, Update: UpdateNew, Symbol: "A", Px: "1", Size: "1", Ts: 1741996800_100_000_000, Side: SideBuy},
				{Type: Trade, Update: UpdateNew, Symbol: "A", Px: "1", Size: "1", Ts: 1741996800_100_000_000, Side: SideSell},
			}},
		{"PossDup: OrigSendingTime", "35=X|43=Y|52=20250315-00:00:09.000|122=20250315-00:00:00.100|268=1|279=0|269=2|55=A|270=1|271=1|",
			[]Entry{{Type: Trade, Update: UpdateNew, Symbol: "A", Px: "1", Size: "1", Ts: 1741996800_100_000_000}}},
		{"date without time is SendingTime", "35=X|52=20250315-00:00:00.100|268=1|279=0|269=2|55=A|270=1|271=1|272=20250313|",
			[]Entry{{Type: Trade, Update: UpdateNew, Symbol: "A", Px: "1", Size: "1", Ts: 1741996800_100_000_000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := Parse(soh(framed(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := AppendEntries(nil, &m)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("entries\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestAppendEntriesAllocatesOnce(t *testing.T) {
	m, _, err := Parse(benchIncremental(10))
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]Entry, 0, 10)
	allocs := testing.AllocsPerRun(100, func() {
		if dst, err = AppendEntries(dst[:0], &m); err != nil || len(dst) != 10 {
			t.Fatal(len(dst), err)
		}
	})
	if allocs != 1 {
		t.Errorf("AppendEntries allocates %v times, want 1 (the copy of the message)", allocs)
	}
}

func TestEntryStringsOutliveTheBuffer(t *testing.T) {
	b := benchIncremental(2)
	m, _, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := AppendEntries(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint(entries)
	clear(b)
	if got := fmt.Sprint(entries); got != want {
		t.Errorf("entries changed with the buffer: %s", got)
	}
}
