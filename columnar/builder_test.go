package columnar

import (
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tape-ledger/tape/ledgercore"
)

// twoLegs and noLegs are events for the bound tests.
var (
	twoLegs = ledgercore.Event{Kind: ledgercore.EvTransferPosted, CommandID: "t", Asset: "S2", Scale: 2, NLegs: 2,
		Amount: ledgercore.AmountFromInt64(5),
		Legs: [2]ledgercore.Leg{
			{Account: "a", Side: ledgercore.Debit, Delta: ledgercore.AmountFromInt64(-5), After: ledgercore.AmountFromInt64(-5)},
			{Account: "b", Side: ledgercore.Credit, Delta: ledgercore.AmountFromInt64(5), After: ledgercore.AmountFromInt64(5)},
		}}
	noLegs = ledgercore.Event{Kind: ledgercore.EvCommandRejected, CommandID: "r", Code: ledgercore.CodeInsufficientFunds}
)

// recordBuilder is what every builder has in common.
type recordBuilder interface {
	Len() int
	Full() bool
	NewRecord() arrow.RecordBatch
	Release()
}

// TestBuildersBounded appends well over BatchRowsMax rows to each builder,
// flushing only when it says it is Full, and checks that no batch exceeds
// BatchRowsMax, no row is lost and every batch passes Validate.
func TestBuildersBounded(t *testing.T) {
	trade := Trade{Sym: "S", Px: decimal128.FromI64(1), Qty: decimal128.FromI64(1), Side: "S", TradeID: "1", Venue: "V", Source: "s"}
	quote := Quote{Sym: "S", Venue: "V", Source: "s"}
	account := ledgercore.Event{Kind: ledgercore.EvAccountOpened, Account: "a", Asset: "S2"}
	for _, c := range []struct {
		table  Table
		b      recordBuilder
		append func(b recordBuilder, i int) int // appends and returns the rows added
	}{
		{EventsTable, NewEventsBuilder(), func(b recordBuilder, i int) int {
			e := &twoLegs
			if i%3 == 0 {
				e = &noLegs
			}
			b.(*EventsBuilder).Append(e)
			return max(1, int(e.NLegs))
		}},
		{AccountsTable, NewAccountsBuilder(), func(b recordBuilder, _ int) int { b.(*AccountsBuilder).Append(&account, 2); return 1 }},
		{SnapshotsTable, NewSnapshotsBuilder(), func(b recordBuilder, _ int) int {
			b.(*SnapshotsBuilder).Append(1, 2, [32]byte{}, ledgercore.Account{ID: "a", Asset: "S2"}, 2)
			return 1
		}},
		{TradesTable, NewTradesBuilder(), func(b recordBuilder, _ int) int { b.(*TradesBuilder).Append(&trade); return 1 }},
		{QuotesTable, NewQuotesBuilder(), func(b recordBuilder, _ int) int { b.(*QuotesBuilder).Append(&quote); return 1 }},
	} {
		t.Run(c.table.Name, func(t *testing.T) {
			defer c.b.Release()
			const rowsTotal = 2*BatchRowsMax + 1000
			appended, flushed, batches := 0, 0, 0
			flush := func() {
				rec := c.b.NewRecord()
				defer rec.Release()
				if rec.NumRows() > BatchRowsMax {
					t.Fatalf("batch of %d rows", rec.NumRows())
				}
				if err := Validate(c.table, rec); err != nil {
					t.Fatal(err)
				}
				flushed += int(rec.NumRows())
				batches++
			}
			for i := 0; appended < rowsTotal; i++ {
				if c.b.Full() {
					flush()
				}
				appended += c.append(c.b, i)
				if c.b.Len() > BatchRowsMax {
					t.Fatalf("builder holds %d rows", c.b.Len())
				}
			}
			flush()
			if flushed != appended || batches != 3 {
				t.Fatalf("%d rows appended, %d flushed in %d batches", appended, flushed, batches)
			}
		})
	}
}

// TestAppendToFullBuilderPanics: appending past BatchRowsMax is the
// caller's bug.
func TestAppendToFullBuilderPanics(t *testing.T) {
	eb := NewEventsBuilder()
	defer eb.Release()
	for eb.Len() < BatchRowsMax-3 {
		eb.Append(&twoLegs)
	}
	eb.Append(&noLegs) // BatchRowsMax - 1 rows: full, as an event may take two
	if !eb.Full() {
		t.Fatalf("not Full at %d rows", eb.Len())
	}
	defer func() {
		if r, _ := recover().(string); !strings.HasPrefix(r, "BUG: ") {
			t.Fatalf("recovered %q, want a BUG: panic", r)
		}
		if eb.Len() != BatchRowsMax-1 {
			t.Fatalf("the failed append left %d rows", eb.Len())
		}
	}()
	eb.Append(&twoLegs)
}

// TestEmptyBatch: a builder flushed before any append gives a valid batch of
// no rows.
func TestEmptyBatch(t *testing.T) {
	for _, c := range []struct {
		table Table
		b     recordBuilder
	}{
		{EventsTable, NewEventsBuilder()}, {AccountsTable, NewAccountsBuilder()}, {SnapshotsTable, NewSnapshotsBuilder()},
		{TradesTable, NewTradesBuilder()}, {QuotesTable, NewQuotesBuilder()},
	} {
		rec := c.b.NewRecord()
		if err := Validate(c.table, rec); err != nil || rec.NumRows() != 0 {
			t.Errorf("%s: %d rows, %v", c.table.Name, rec.NumRows(), err)
		}
		rec.Release()
		c.b.Release()
	}
}

// TestReleaseElsewhere releases batches on another goroutine while the
// builder fills the next ones in recycled buffers (run it with -race); each
// batch is checked row by row before it goes.
func TestReleaseElsewhere(t *testing.T) {
	l := randomLedger(t, 11, 2000)
	all := slices.Repeat(l.events, 8)
	eb := NewEventsBuilder()
	defer eb.Release()
	batches := make(chan arrow.RecordBatch, 2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for rec := range batches {
			rec.Release()
		}
	}()
	defer func() { close(batches); <-done }() // also when a check fails
	next := 0
	flush := func(upTo int) {
		rec := eb.NewRecord()
		checkEventRows(t, rec, all[next:upTo])
		next = upTo
		batches <- rec
	}
	for i := range all {
		if i%777 == 0 {
			flush(i)
		}
		eb.Append(&all[i])
	}
	flush(len(all))
}
