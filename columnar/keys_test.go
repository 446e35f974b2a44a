package columnar

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

func tradesBatch(source string, seqs ...uint64) arrow.RecordBatch {
	b := NewTradesBuilder()
	defer b.Release()
	for _, s := range seqs {
		b.Append(&Trade{Ts: int64(s), Sym: "AAPL", Px: decimal128.FromU64(1), Qty: decimal128.FromU64(1), Side: "B",
			TradeID: "t", Venue: "X", Source: source, SourceSeq: s})
	}
	return b.NewRecord()
}

// CheckKeys refuses every batch that could store a key twice, and names
// the column and row.
func TestCheckKeys(t *testing.T) {
	events := validBatch(t, EventsTable) // seqs 1.. with two legs per transfer
	defer events.Release()
	last := events.Column(0).(interface{ Value(int) uint64 }).Value(int(events.NumRows()) - 1)

	cases := []struct {
		name        string
		table       Table
		rec         arrow.RecordBatch
		stream      string
		after, upTo uint64
		want        string // "" passes; else a part of the error
	}{
		{"events after the watermark", EventsTable, events, "events", 0, last, ""},
		{"events up to beyond the batch", EventsTable, events, "events", 0, last + 100, ""},
		{"events partly stored", EventsTable, events, "events", 1, last, "column seq: row 0: 1 is outside (1, "},
		{"events beyond upTo", EventsTable, events, "events", 0, last - 1, "outside"},
		{"upTo at the watermark", EventsTable, events, "events", last, last, "not after the watermark"},
		{"events on a foreign stream", EventsTable, events, "trades/x", 0, last, `the events table's stream is "events"`},
		{"trades in order", TradesTable, tradesBatch("feed", 3, 4, 9), "trades/feed", 2, 9, ""},
		{"trades twice in a batch", TradesTable, tradesBatch("feed", 3, 4, 4), "trades/feed", 2, 9, "column source, source_seq: row 2: key not above"},
		{"trades out of order", TradesTable, tradesBatch("feed", 4, 3), "trades/feed", 2, 9, "row 1"},
		{"trades of another source", TradesTable, tradesBatch("other", 3), "trades/feed", 2, 9, `column source: row 0: source "other"`},
		{"trades stream without source", TradesTable, tradesBatch("feed", 3), "trades", 2, 9, `a trades stream is "trades/<source>"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckKeys(tc.table, tc.rec, tc.stream, tc.after, tc.upTo)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
				return
			case err == nil:
				t.Fatal("accepted")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a *ValidationError containing %q", err, tc.want)
			}
		})
	}
}
