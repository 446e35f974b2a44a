package columnar

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tape-ledger/tape/ledgercore"
)

var propSeed = flag.Uint64("prop.seed", 0, "seed of the property tests (0: a new one each run)")

// seeds returns the seeds a property test runs, and logs them on failure.
func seeds(t *testing.T, n int) []uint64 {
	seed := *propSeed
	if seed != 0 {
		return []uint64{seed}
	}
	base := uint64(time.Now().UnixNano())
	out := make([]uint64, n)
	for i := range out {
		out[i] = base + uint64(i)
	}
	return out
}

// onFailure logs how to rerun seed.
func onFailure(t *testing.T, seed uint64) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d: rerun with go test ./columnar -run '%s' -prop.seed=%d", seed, t.Name(), seed)
		}
	})
}

// TestEventsBuilderRoundTrip builds a random ledger's events into batches,
// flushing at random points, and reads every column of every row back:
// decimals through MinorUnits and as text against ledgercore's own decimal
// text, timestamps, ids of arbitrary UTF-8, hashes, nulls. Each batch passes
// Validate. The batches are released as soon as they are checked, so later
// ones are built in recycled buffers.
func TestEventsBuilderRoundTrip(t *testing.T) {
	for _, seed := range seeds(t, 3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			onFailure(t, seed)
			l := randomLedger(t, seed, 3000)
			checkEventKinds(t, l.events)
			rng := rand.New(rand.NewPCG(seed, 1))
			eb := NewEventsBuilder()
			defer eb.Release()
			next := 0 // first event of the batch being built
			flush := func(upTo int) {
				rec := eb.NewRecord()
				defer rec.Release()
				if err := Validate(EventsTable, rec); err != nil {
					t.Fatal(err)
				}
				checkEventRows(t, rec, l.events[next:upTo])
				next = upTo
			}
			for i := range l.events {
				if eb.Full() || rng.IntN(500) == 0 {
					flush(i)
				}
				eb.Append(&l.events[i])
			}
			flush(len(l.events))
		})
	}
}

// checkEventKinds makes sure the random ledger produced every kind of event.
func checkEventKinds(t *testing.T, events []ledgercore.Event) {
	t.Helper()
	seen := map[ledgercore.EventKind]int{}
	links := 0
	for i := range events {
		seen[events[i].Kind]++
		if events[i].LinkID != "" {
			links++
		}
	}
	for k := ledgercore.EvAssetDefined; k <= ledgercore.EvCommandRejected; k++ {
		if seen[k] == 0 {
			t.Fatalf("no %s event among %d: %v", k, len(events), seen)
		}
	}
	if links == 0 {
		t.Fatal("no linked batch")
	}
}

// eventCols are the typed columns of an events batch.
type eventCols struct {
	seq                                              *array.Uint64
	leg                                              *array.Uint8
	ts                                               *array.Timestamp
	commandID, kind, account, side, asset            *array.String
	amount, delta, before, after, pendBefore, pendAf *array.Decimal128
	pendingID, linkID, code                          *array.String
	day                                              *array.Date32
	stateHash, hash                                  *array.FixedSizeBinary
}

func eventColsOf(rec arrow.RecordBatch) eventCols {
	c := rec.Column
	return eventCols{
		seq: c(0).(*array.Uint64), leg: c(1).(*array.Uint8), ts: c(2).(*array.Timestamp),
		commandID: c(3).(*array.String), kind: c(4).(*array.String), account: c(5).(*array.String),
		side: c(6).(*array.String), asset: c(7).(*array.String),
		amount: c(8).(*array.Decimal128), delta: c(9).(*array.Decimal128), before: c(10).(*array.Decimal128),
		after: c(11).(*array.Decimal128), pendBefore: c(12).(*array.Decimal128), pendAf: c(13).(*array.Decimal128),
		pendingID: c(14).(*array.String), linkID: c(15).(*array.String), code: c(16).(*array.String),
		day: c(17).(*array.Date32), stateHash: c(18).(*array.FixedSizeBinary), hash: c(19).(*array.FixedSizeBinary),
	}
}

// checkEventRows checks that rec holds exactly the rows of events.
func checkEventRows(t *testing.T, rec arrow.RecordBatch, events []ledgercore.Event) {
	t.Helper()
	c := eventColsOf(rec)
	row := 0
	for i := range events {
		e := &events[i]
		legs := e.LegsSlice()
		for leg := 0; leg < max(1, len(legs)); leg++ {
			if row >= int(rec.NumRows()) {
				t.Fatalf("batch of %d rows ends before seq %d", rec.NumRows(), e.Seq)
			}
			checkEventRow(t, c, row, e, leg)
			row++
		}
	}
	if row != int(rec.NumRows()) {
		t.Fatalf("batch has %d rows, the events %d", rec.NumRows(), row)
	}
}

func checkEventRow(t *testing.T, c eventCols, r int, e *ledgercore.Event, leg int) {
	t.Helper()
	at := fmt.Sprintf("seq %d leg %d (row %d, %s)", e.Seq, leg, r, e.Kind)
	eq := func(col string, got, want any) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: %s = %#v, want %#v", at, col, got, want)
		}
	}
	eq("seq", c.seq.Value(r), e.Seq)
	eq("leg", c.leg.Value(r), uint8(leg))
	eq("ts", int64(c.ts.Value(r)), e.Ts)
	eq("command_id", text(c.commandID, r), e.CommandID)
	eq("type", text(c.kind, r), e.Kind.String())
	eq("pending_id", text(c.pendingID, r), optional(e.PendingID))
	eq("link_id", text(c.linkID, r), optional(e.LinkID))
	eq("hash", string(c.hash.Value(r)), string(e.Hash[:]))
	code, day, stateHash := "<null>", "<null>", "<null>"
	switch e.Kind {
	case ledgercore.EvCommandRejected:
		code = e.Code.String()
	case ledgercore.EvDayClosed:
		day, stateHash = ledgercore.FormatDay(e.Day), string(e.StateHash[:])
	}
	eq("code", text(c.code, r), code)
	gotDay := "<null>"
	if c.day.IsValid(r) {
		gotDay = ledgercore.FormatDay(int32(c.day.Value(r)))
	}
	eq("day", gotDay, day)
	eq("state_hash", hashText(c.stateHash, r), stateHash)
	moneys := []*array.Decimal128{c.amount, c.delta, c.before, c.after, c.pendBefore, c.pendAf}
	names := []string{"amount", "delta", "balance_before", "balance_after", "pending_before", "pending_after"}
	if e.NLegs == 0 {
		eq("account", text(c.account, r), optional(e.Account))
		eq("side", text(c.side, r), "<null>")
		eq("asset", text(c.asset, r), optional(e.Asset))
		for k, m := range moneys {
			eq(names[k], m.IsNull(r), true)
		}
		return
	}
	l := &e.Legs[leg]
	eq("account", text(c.account, r), l.Account)
	eq("side", text(c.side, r), l.Side.String())
	eq("asset", text(c.asset, r), e.Asset)
	want := []ledgercore.Amount{e.Amount, l.Delta, l.Before, l.After, l.PendingBefore, l.PendingAfter}
	for k, m := range moneys {
		checkMoney(t, at+": "+names[k], m, r, want[k], e.Scale)
	}
	// The chain, read back from the columns.
	after, _ := l.Before.Add(l.Delta)
	eq("balance_after = balance_before + delta", after, l.After)
}

// checkMoney checks a MoneyType value both ways: MinorUnits gives back the
// amount bit for bit, and its text at scale 18 is ledgercore's text of the
// amount at the asset's scale padded with zeros.
func checkMoney(t *testing.T, at string, m *array.Decimal128, r int, want ledgercore.Amount, scale uint8) {
	t.Helper()
	if m.IsNull(r) {
		t.Fatalf("%s: null, want %s", at, want.Decimal(scale))
	}
	got, err := MinorUnits(m.Value(r), scale)
	if err != nil || got != want {
		t.Fatalf("%s: %s minor units (%v), want %s", at, got, err, want)
	}
	wantText := want.Decimal(scale)
	if scale == 0 {
		wantText += "."
	}
	wantText += strings.Repeat("0", moneyScale-int(scale))
	if gotText := DecimalText(m.Value(r), moneyScale); gotText != wantText {
		t.Fatalf("%s: %s, want %s", at, gotText, wantText)
	}
}

func text(a *array.String, r int) string {
	if a.IsNull(r) {
		return "<null>"
	}
	return a.Value(r)
}

func optional(s string) string {
	if s == "" {
		return "<null>"
	}
	return s
}

func hashText(a *array.FixedSizeBinary, r int) string {
	if a.IsNull(r) {
		return "<null>"
	}
	return string(a.Value(r))
}

// TestEventsBuilderDeterministic: the same events give the same bytes in
// every buffer, whether the builder is new or reuses the dirty buffers of
// released batches.
func TestEventsBuilderDeterministic(t *testing.T) {
	l := randomLedger(t, 99, 1000)
	build := func(eb *EventsBuilder) arrow.RecordBatch {
		for i := range l.events {
			eb.Append(&l.events[i])
		}
		return eb.NewRecord()
	}
	fresh := NewEventsBuilder()
	defer fresh.Release()
	want := build(fresh)
	defer want.Release()

	reused := NewEventsBuilder()
	defer reused.Release()
	other := randomLedger(t, 100, 1000) // fills the buffers with other bytes
	for i := range other.events {
		reused.Append(&other.events[i])
	}
	reused.NewRecord().Release()
	got := build(reused)
	defer got.Release()
	for i := range want.Columns() {
		wb, gb := want.Column(i).Data().Buffers(), got.Column(i).Data().Buffers()
		for k := range wb {
			if (wb[k] == nil) != (gb[k] == nil) || wb[k] != nil && !bytes.Equal(wb[k].Bytes(), gb[k].Bytes()) {
				t.Fatalf("column %s: buffer %d differs between a new builder and a reused one", want.ColumnName(i), k)
			}
		}
	}
}

// TestAccountsBuilderRoundTrip builds the accounts of random ledgers and
// reads them back.
func TestAccountsBuilderRoundTrip(t *testing.T) {
	for _, seed := range seeds(t, 2) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			onFailure(t, seed)
			l := randomLedger(t, seed, 500)
			ab := NewAccountsBuilder()
			defer ab.Release()
			var opened []*ledgercore.Event
			for i := range l.events {
				if e := &l.events[i]; e.Kind == ledgercore.EvAccountOpened {
					ab.Append(e, l.scale(e.Asset))
					opened = append(opened, e)
				}
			}
			rec := ab.NewRecord()
			defer rec.Release()
			if err := Validate(AccountsTable, rec); err != nil {
				t.Fatal(err)
			}
			if int(rec.NumRows()) != len(opened) {
				t.Fatalf("%d rows, want %d", rec.NumRows(), len(opened))
			}
			account, asset := rec.Column(0).(*array.String), rec.Column(1).(*array.String)
			scale := rec.Column(2).(*array.Uint8)
			dr, cr := rec.Column(3).(*array.Boolean), rec.Column(4).(*array.Boolean)
			seq, ts := rec.Column(5).(*array.Uint64), rec.Column(6).(*array.Timestamp)
			for r, e := range opened {
				got := fmt.Sprint(account.Value(r), asset.Value(r), scale.Value(r), dr.Value(r), cr.Value(r), seq.Value(r), int64(ts.Value(r)))
				want := fmt.Sprint(e.Account, e.Asset, l.scale(e.Asset), e.Flags&ledgercore.FlagDebitsMustNotExceedCredits != 0,
					e.Flags&ledgercore.FlagCreditsMustNotExceedDebits != 0, e.Seq, e.Ts)
				if got != want {
					t.Fatalf("row %d: %s, want %s", r, got, want)
				}
			}
		})
	}
}

// TestSnapshotsBuilderRoundTrip builds the accounts at every day close of
// random ledgers and reads them back.
func TestSnapshotsBuilderRoundTrip(t *testing.T) {
	for _, seed := range seeds(t, 2) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			onFailure(t, seed)
			l := randomLedger(t, seed, 1500)
			sb := NewSnapshotsBuilder()
			defer sb.Release()
			type want struct {
				e *ledgercore.Event
				a ledgercore.Account
			}
			var wants []want
			for i := range l.events {
				e := &l.events[i]
				for _, a := range l.snapshots[e.Seq] {
					sb.Append(e.Day, e.Seq, e.StateHash, a, l.scale(a.Asset))
					wants = append(wants, want{e, a})
				}
			}
			if len(wants) == 0 {
				t.Fatal("no day closed")
			}
			rec := sb.NewRecord()
			defer rec.Release()
			if err := Validate(SnapshotsTable, rec); err != nil {
				t.Fatal(err)
			}
			if int(rec.NumRows()) != len(wants) {
				t.Fatalf("%d rows, want %d", rec.NumRows(), len(wants))
			}
			day, seq := rec.Column(0).(*array.Date32), rec.Column(1).(*array.Uint64)
			account, asset := rec.Column(2).(*array.String), rec.Column(3).(*array.String)
			hash := rec.Column(7).(*array.FixedSizeBinary)
			for r, w := range wants {
				at := fmt.Sprintf("row %d (day %s, %s)", r, ledgercore.FormatDay(w.e.Day), w.a.ID)
				got := fmt.Sprint(int32(day.Value(r)), seq.Value(r), account.Value(r), asset.Value(r), string(hash.Value(r)))
				if exp := fmt.Sprint(w.e.Day, w.e.Seq, w.a.ID, w.a.Asset, string(w.e.StateHash[:])); got != exp {
					t.Fatalf("%s: %q, want %q", at, got, exp)
				}
				scale := l.scale(w.a.Asset)
				checkMoney(t, at+": balance", rec.Column(4).(*array.Decimal128), r, w.a.Balance, scale)
				checkMoney(t, at+": debits_pending", rec.Column(5).(*array.Decimal128), r, w.a.DebitsPending, scale)
				checkMoney(t, at+": credits_pending", rec.Column(6).(*array.Decimal128), r, w.a.CreditsPending, scale)
			}
		})
	}
}
