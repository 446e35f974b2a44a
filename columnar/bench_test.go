package columnar

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/tape-ledger/tape/ledgercore"
)

// BenchmarkEventsBuilder appends real ledger events and flushes a batch
// whenever the builder is full; an op is one event, rows/s counts rows.
//
//   - transfers: what a payment back office sends: transfers between 1000
//     accounts with 36-byte ids, every event two rows;
//   - mixed: randomLedger's events (pending, linked, rejected, day closes,
//     ids of up to 128 bytes of arbitrary UTF-8).
func BenchmarkEventsBuilder(b *testing.B) {
	for _, bc := range []struct {
		name   string
		events func(b *testing.B) []ledgercore.Event
	}{
		{"transfers", transferEvents},
		{"mixed", func(b *testing.B) []ledgercore.Event { return randomLedger(b, 1, 4096).events }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			events := bc.events(b)
			eb := NewEventsBuilder()
			defer eb.Release()
			b.SetBytes(int64(eventBytes(eb, events)))
			b.ReportAllocs()
			b.ResetTimer()
			rows := 0
			for i := 0; b.Loop(); i++ {
				if eb.Full() {
					eb.NewRecord().Release()
				}
				e := &events[i%len(events)]
				eb.Append(e)
				rows += max(1, int(e.NLegs))
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkValidate validates a full events batch of transfers.
func BenchmarkValidate(b *testing.B) {
	events := transferEvents(b)
	eb := NewEventsBuilder()
	defer eb.Release()
	for i := 0; !eb.Full(); i++ {
		eb.Append(&events[i%len(events)])
	}
	rec := eb.NewRecord()
	defer rec.Release()
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(EventsTable, rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rec.NumRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// transferEvents returns the events of 8192 transfers in one asset of scale
// 2 between 1000 accounts, with UUID-like command ids.
func transferEvents(b *testing.B) []ledgercore.Event {
	l := newLedger(b, rand.New(rand.NewPCG(2, 2)))
	l.must(ledgercore.Command{Kind: ledgercore.CmdDefineAsset, ID: "define-usd", Asset: "USD", Scale: 2})
	const accounts = 1000
	for k := range accounts {
		l.must(ledgercore.Command{Kind: ledgercore.CmdOpenAccount, ID: "open-" + strconv.Itoa(k), Account: "acct:" + strconv.Itoa(k), Asset: "USD"})
	}
	start := len(l.events)
	for k := range 8192 {
		debit, credit := l.rng.IntN(accounts), l.rng.IntN(accounts-1)
		if credit >= debit {
			credit++
		}
		l.must(ledgercore.Command{
			Kind: ledgercore.CmdTransfer, ID: fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", k, k&0xffff, k&0xfff, k&0xfff, k),
			Debit: "acct:" + strconv.Itoa(debit), Credit: "acct:" + strconv.Itoa(credit), Asset: "USD",
			Amount: strconv.Itoa(1+l.rng.IntN(100_000)) + "." + strconv.Itoa(10+l.rng.IntN(90)),
		})
	}
	return l.events[start:]
}

// eventBytes returns the mean size of an event's rows in Arrow buffers.
func eventBytes(eb *EventsBuilder, events []ledgercore.Event) int {
	for i := range events {
		eb.Append(&events[i])
	}
	rec := eb.NewRecord()
	defer rec.Release()
	total := 0
	for _, c := range rec.Columns() {
		for _, buf := range c.Data().Buffers() {
			if buf != nil {
				total += buf.Len()
			}
		}
	}
	return total / len(events)
}
