package workload

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tape-ledger/tape/columnar"
)

// TickBatch is one batch GenerateTickBatches hands over: rows of the trades
// or quotes table (columnar's schemas) whose source_seq run up to UpTo. The
// receiver owns Rec.
type TickBatch struct {
	Table string // "trades" or "quotes"
	Rec   arrow.RecordBatch
	UpTo  uint64
}

// GenerateTickBatches generates the rows GenerateTicks writes for the same
// options, as Arrow batches of the columnar builders' size, and hands each
// one to emit as it fills (and the rest at the end). A non-nil error from
// emit stops the generation and is returned.
func GenerateTickBatches(opts TickOptions, emit func(TickBatch) error) (TickStats, error) {
	opts, err := tickDefaults(opts)
	if err != nil {
		return TickStats{}, err
	}
	g := newTickGen(opts)
	out := &tickBatches{emit: emit, source: opts.Source, trades: columnar.NewTradesBuilder(),
		quotes: columnar.NewQuotesBuilder()}
	defer out.trades.Release()
	defer out.quotes.Release()
	g.out = out
	g.run(int64(opts.Days))
	out.flushTrades()
	out.flushQuotes()
	if out.err != nil {
		return g.stats, fmt.Errorf("workload: emit ticks: %w", out.err)
	}
	return g.stats, nil
}

// tickBatches builds the rows into Arrow batches.
type tickBatches struct {
	emit                 func(TickBatch) error
	err                  error
	source               string
	trades               *columnar.TradesBuilder
	quotes               *columnar.QuotesBuilder
	tradeSeq, quoteSeq   uint64 // source_seq of the last row
	tradeSent, quoteSent uint64 // source_seq of the last row emitted
	trade                columnar.Trade
	quote                columnar.Quote
}

// pxUnit and sizeUnit turn the generator's integers (prices in 10^-pxScale,
// sizes in shares) into decimal128(18, 8) values.
const (
	pxUnit   = 10_000 // 10^(8 - pxScale)
	sizeUnit = 100_000_000
)

func (t *tickBatches) ok() bool { return t.err == nil }

func (t *tickBatches) writeTrade(_ *tickDay, sym []byte, r tradeRow) {
	if t.trades.Full() {
		t.flushTrades()
	}
	t.tradeSeq++
	t.trade = columnar.Trade{Ts: r.ts, Sym: string(sym), Px: decimal128.FromI64(r.px * pxUnit),
		Qty: decimal128.FromI64(r.qty * sizeUnit), Side: string(r.side), TradeID: fmt.Sprint(r.tradeID),
		Venue: tickVenues[r.venue], Source: t.source, SourceSeq: t.tradeSeq}
	t.trades.Append(&t.trade)
}

func (t *tickBatches) writeQuote(_ *tickDay, sym []byte, r quoteRow) {
	if t.quotes.Full() {
		t.flushQuotes()
	}
	t.quoteSeq++
	t.quote = columnar.Quote{Ts: r.ts, Sym: string(sym), Bid: decimal128.FromI64(r.bid * pxUnit),
		Ask: decimal128.FromI64(r.ask * pxUnit), BidSize: decimal128.FromI64(r.bidSize * sizeUnit),
		AskSize: decimal128.FromI64(r.askSize * sizeUnit), Venue: tickVenues[r.venue], Source: t.source,
		SourceSeq: t.quoteSeq}
	t.quotes.Append(&t.quote)
}

func (t *tickBatches) flushTrades() {
	if t.err == nil && t.tradeSeq > t.tradeSent {
		t.err = t.emit(TickBatch{Table: "trades", Rec: t.trades.NewRecord(), UpTo: t.tradeSeq})
		t.tradeSent = t.tradeSeq
	}
}

func (t *tickBatches) flushQuotes() {
	if t.err == nil && t.quoteSeq > t.quoteSent {
		t.err = t.emit(TickBatch{Table: "quotes", Rec: t.quotes.NewRecord(), UpTo: t.quoteSeq})
		t.quoteSent = t.quoteSeq
	}
}
