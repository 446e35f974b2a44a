package columnar

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tape-ledger/tape/ledgercore"
)

// AccountsBuilder builds batches of the accounts table from account_opened
// events.
type AccountsBuilder struct {
	batch
	account, asset                          textCol
	scale                                   fixedCol[uint8]
	debitsNotOverCredits, creditsNotOverDeb boolCol
	openedSeq                               fixedCol[uint64]
	openedTs                                fixedCol[arrow.Timestamp]
}

// NewAccountsBuilder returns an empty builder.
func NewAccountsBuilder() *AccountsBuilder {
	b := &AccountsBuilder{}
	b.batch = newBatch(AccountsSchema, &b.account, &b.asset, &b.scale,
		&b.debitsNotOverCredits, &b.creditsNotOverDeb, &b.openedSeq, &b.openedTs)
	return b
}

// Full reports whether the next row might not fit (BatchRowsMax rows, or
// 1 GiB of text in a column): the caller must flush with NewRecord before
// appending again.
func (b *AccountsBuilder) Full() bool { return b.full(1) }

// Append adds the account that e, an account_opened event, opened; scale is
// its asset's scale, which the event does not carry. Any other event kind,
// or a scale above 18, is a bug and panics.
func (b *AccountsBuilder) Append(e *ledgercore.Event, scale uint8) {
	if e.Kind != ledgercore.EvAccountOpened {
		panic("BUG: columnar: accounts row from a " + e.Kind.String() + " event")
	}
	if scale > ledgercore.ScaleMax {
		panic("BUG: columnar: account " + e.Account + " with a scale above 18")
	}
	b.grow(1)
	b.account.append(e.Account)
	b.asset.append(e.Asset)
	b.scale.append(scale)
	b.debitsNotOverCredits.append(e.Flags&ledgercore.FlagDebitsMustNotExceedCredits != 0)
	b.creditsNotOverDeb.append(e.Flags&ledgercore.FlagCreditsMustNotExceedDebits != 0)
	b.openedSeq.append(e.Seq)
	b.openedTs.append(arrow.Timestamp(e.Ts))
}

// SnapshotsBuilder builds batches of the snapshots table: one row per
// account at each day close.
type SnapshotsBuilder struct {
	batch
	day                                    fixedCol[arrow.Date32]
	seq                                    fixedCol[uint64]
	account, asset                         textCol
	balance, debitsPending, creditsPending fixedCol[decimal128.Num]
	stateHash                              hashCol
}

// NewSnapshotsBuilder returns an empty builder.
func NewSnapshotsBuilder() *SnapshotsBuilder {
	b := &SnapshotsBuilder{}
	b.batch = newBatch(SnapshotsSchema, &b.day, &b.seq, &b.account, &b.asset,
		&b.balance, &b.debitsPending, &b.creditsPending, &b.stateHash)
	return b
}

// Full reports whether the next row might not fit (BatchRowsMax rows, or
// 1 GiB of text in a column): the caller must flush with NewRecord before
// appending again.
func (b *SnapshotsBuilder) Full() bool { return b.full(1) }

// Append adds account a as it stood when day closed, at seq (of the
// day_closed event) with the event's state hash; scale is a's asset's scale.
func (b *SnapshotsBuilder) Append(day int32, seq uint64, stateHash [32]byte, a ledgercore.Account, scale uint8) {
	b.grow(1)
	b.day.append(arrow.Date32(day))
	b.seq.append(seq)
	b.account.append(a.ID)
	b.asset.append(a.Asset)
	b.balance.append(Money(a.Balance, scale))
	b.debitsPending.append(Money(a.DebitsPending, scale))
	b.creditsPending.append(Money(a.CreditsPending, scale))
	b.stateHash.append(&stateHash)
}
