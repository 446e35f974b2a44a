package columnar

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Trade is one row of the trades table. Px and Qty are TickDecimalType
// values (see ParseTickDecimal); Side is "B" or "S".
type Trade struct {
	Ts        int64 // ns since the Unix epoch, UTC
	Sym       string
	Px, Qty   decimal128.Num
	Side      string
	TradeID   string
	Venue     string
	Source    string
	SourceSeq uint64
}

// Quote is one row of the quotes table. Prices and sizes are TickDecimalType
// values (see ParseTickDecimal).
type Quote struct {
	Ts               int64 // ns since the Unix epoch, UTC
	Sym              string
	Bid, Ask         decimal128.Num
	BidSize, AskSize decimal128.Num
	Venue            string
	Source           string
	SourceSeq        uint64
}

// TradesBuilder builds batches of the trades table. It copies rows as they
// are: Validate rejects a batch with a value out of range.
type TradesBuilder struct {
	batch
	ts                                fixedCol[arrow.Timestamp]
	sym, side, tradeID, venue, source textCol
	px, qty                           fixedCol[decimal128.Num]
	sourceSeq                         fixedCol[uint64]
}

// NewTradesBuilder returns an empty builder.
func NewTradesBuilder() *TradesBuilder {
	b := &TradesBuilder{}
	b.batch = newBatch(TradesSchema, &b.ts, &b.sym, &b.px, &b.qty, &b.side, &b.tradeID, &b.venue, &b.source, &b.sourceSeq)
	return b
}

// Full reports whether the next row might not fit (BatchRowsMax rows, or
// 1 GiB of text in a column): the caller must flush with NewRecord before
// appending again.
func (b *TradesBuilder) Full() bool { return b.full(1) }

// Append adds one trade.
func (b *TradesBuilder) Append(t *Trade) {
	b.grow(1)
	b.ts.append(arrow.Timestamp(t.Ts))
	b.sym.append(t.Sym)
	b.px.append(t.Px)
	b.qty.append(t.Qty)
	b.side.append(t.Side)
	b.tradeID.append(t.TradeID)
	b.venue.append(t.Venue)
	b.source.append(t.Source)
	b.sourceSeq.append(t.SourceSeq)
}

// QuotesBuilder builds batches of the quotes table. It copies rows as they
// are: Validate rejects a batch with a value out of range.
type QuotesBuilder struct {
	batch
	ts                         fixedCol[arrow.Timestamp]
	sym, venue, source         textCol
	bid, ask, bidSize, askSize fixedCol[decimal128.Num]
	sourceSeq                  fixedCol[uint64]
}

// NewQuotesBuilder returns an empty builder.
func NewQuotesBuilder() *QuotesBuilder {
	b := &QuotesBuilder{}
	b.batch = newBatch(QuotesSchema, &b.ts, &b.sym, &b.bid, &b.ask, &b.bidSize, &b.askSize, &b.venue, &b.source, &b.sourceSeq)
	return b
}

// Full reports whether the next row might not fit (BatchRowsMax rows, or
// 1 GiB of text in a column): the caller must flush with NewRecord before
// appending again.
func (b *QuotesBuilder) Full() bool { return b.full(1) }

// Append adds one quote.
func (b *QuotesBuilder) Append(q *Quote) {
	b.grow(1)
	b.ts.append(arrow.Timestamp(q.Ts))
	b.sym.append(q.Sym)
	b.bid.append(q.Bid)
	b.ask.append(q.Ask)
	b.bidSize.append(q.BidSize)
	b.askSize.append(q.AskSize)
	b.venue.append(q.Venue)
	b.source.append(q.Source)
	b.sourceSeq.append(q.SourceSeq)
}
