package columnar

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tape-ledger/tape/ledgercore"
)

// EventsBuilder builds batches of the events table: one row per posting leg,
// or one row with leg 0 and null leg columns for a legless event. An event's
// rows always land in the same batch.
type EventsBuilder struct {
	batch
	seq                            fixedCol[uint64]
	leg                            fixedCol[uint8]
	ts                             fixedCol[arrow.Timestamp]
	commandID, kind, account, side textCol
	asset                          textCol
	amount, delta, before, after   fixedCol[decimal128.Num]
	pendingBefore, pendingAfter    fixedCol[decimal128.Num]
	pendingID, linkID, code        textCol
	day                            fixedCol[arrow.Date32]
	stateHash, hash                hashCol
}

// NewEventsBuilder returns an empty builder.
func NewEventsBuilder() *EventsBuilder {
	b := &EventsBuilder{}
	b.batch = newBatch(EventsSchema, &b.seq, &b.leg, &b.ts, &b.commandID, &b.kind, &b.account, &b.side, &b.asset,
		&b.amount, &b.delta, &b.before, &b.after, &b.pendingBefore, &b.pendingAfter,
		&b.pendingID, &b.linkID, &b.code, &b.day, &b.stateHash, &b.hash)
	return b
}

// Full reports whether the next event might not fit (BatchRowsMax rows, or
// 1 GiB of text in a column): the caller must flush with NewRecord before
// appending again.
func (b *EventsBuilder) Full() bool { return b.full(eventRowsMax) }

// Append adds e's rows: two for an event with legs (debit leg first), one
// for a legless event. Amounts are converted with e.Scale. Appending to a
// Full builder is a bug and panics.
func (b *EventsBuilder) Append(e *ledgercore.Event) {
	switch e.NLegs {
	case 0:
		b.grow(1)
		b.appendLegless(e)
	case 2:
		b.grow(2)
		b.appendLegs(e)
	default:
		panic("BUG: columnar: " + e.Kind.String() + " event with " + strconv.Itoa(int(e.NLegs)) + " legs")
	}
}

// appendLegless appends the one row of a legless event.
func (b *EventsBuilder) appendLegless(e *ledgercore.Event) {
	b.seq.append(e.Seq)
	b.leg.append(0)
	b.ts.append(arrow.Timestamp(e.Ts))
	b.commandID.append(e.CommandID)
	b.kind.append(e.Kind.String())
	b.account.appendOptional(e.Account)
	b.side.appendNull()
	b.asset.appendOptional(e.Asset)
	b.amount.appendNull()
	b.delta.appendNull()
	b.before.appendNull()
	b.after.appendNull()
	b.pendingBefore.appendNull()
	b.pendingAfter.appendNull()
	b.pendingID.appendOptional(e.PendingID)
	b.linkID.appendOptional(e.LinkID)
	if e.Kind == ledgercore.EvCommandRejected {
		b.code.append(e.Code.String())
	} else {
		b.code.appendNull()
	}
	if e.Kind == ledgercore.EvDayClosed {
		b.day.append(arrow.Date32(e.Day))
		b.stateHash.append(&e.StateHash)
	} else {
		b.day.appendNull()
		b.stateHash.appendNull()
	}
	b.hash.append(&e.Hash)
}

// appendLegs appends the two rows of an event with legs, column by column.
// Only legless events have a code, a day or a state hash.
func (b *EventsBuilder) appendLegs(e *ledgercore.Event) {
	dr, cr := &e.Legs[0], &e.Legs[1]
	if dr.Side != ledgercore.Debit || cr.Side != ledgercore.Credit {
		panic("BUG: columnar: " + e.Kind.String() + " event at seq " + strconv.FormatUint(e.Seq, 10) + " has its legs out of order")
	}
	b.seq.append2(e.Seq, e.Seq)
	b.leg.append2(0, 1)
	b.ts.append2(arrow.Timestamp(e.Ts), arrow.Timestamp(e.Ts))
	b.commandID.append2(e.CommandID)
	b.kind.append2(e.Kind.String())
	b.account.append(dr.Account)
	b.account.append(cr.Account)
	b.side.append("debit")
	b.side.append("credit")
	b.asset.append2(e.Asset)
	amount := Money(e.Amount, e.Scale)
	b.amount.append2(amount, amount)
	b.delta.append2(Money(dr.Delta, e.Scale), Money(cr.Delta, e.Scale))
	b.before.append2(Money(dr.Before, e.Scale), Money(cr.Before, e.Scale))
	b.after.append2(Money(dr.After, e.Scale), Money(cr.After, e.Scale))
	b.pendingBefore.append2(Money(dr.PendingBefore, e.Scale), Money(cr.PendingBefore, e.Scale))
	b.pendingAfter.append2(Money(dr.PendingAfter, e.Scale), Money(cr.PendingAfter, e.Scale))
	b.pendingID.appendOptional2(e.PendingID)
	b.linkID.appendOptional2(e.LinkID)
	b.code.appendNull2()
	b.day.appendNull2()
	b.stateHash.appendNull2()
	b.hash.append2(&e.Hash)
}
