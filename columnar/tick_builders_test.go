package columnar

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// randomTick returns a random TickDecimalType value of up to 18 digits.
func randomTick(rng *rand.Rand) decimal128.Num {
	v := rng.Int64N(1_000_000_000_000_000_000)
	switch rng.IntN(8) {
	case 0:
		v = 999_999_999_999_999_999
	case 1, 2:
		v %= 100_000_000_00
	}
	if rng.IntN(8) == 0 {
		v = -v
	}
	return decimal128.FromI64(v)
}

// TestTradesBuilderRoundTrip builds random trades with text of arbitrary
// UTF-8 and reads every column back.
func TestTradesBuilderRoundTrip(t *testing.T) {
	for _, seed := range seeds(t, 2) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			onFailure(t, seed)
			rng := rand.New(rand.NewPCG(seed, 2))
			tb := NewTradesBuilder()
			defer tb.Release()
			for range 3 { // the second and third batches reuse buffers
				trades := make([]Trade, 1+rng.IntN(2000))
				for i := range trades {
					trades[i] = Trade{
						Ts: rng.Int64() - 1<<62, Sym: randomText(rng, 16), Px: randomTick(rng), Qty: randomTick(rng),
						Side: []string{"B", "S"}[rng.IntN(2)], TradeID: randomText(rng, 40), Venue: randomText(rng, 8),
						Source: randomText(rng, 20), SourceSeq: rng.Uint64(),
					}
					tb.Append(&trades[i])
				}
				rec := tb.NewRecord()
				if err := Validate(TradesTable, rec); err != nil {
					t.Fatal(err)
				}
				c := rec.Column
				for r := range trades {
					got := Trade{
						Ts: int64(c(0).(*array.Timestamp).Value(r)), Sym: c(1).(*array.String).Value(r),
						Px: c(2).(*array.Decimal128).Value(r), Qty: c(3).(*array.Decimal128).Value(r),
						Side: c(4).(*array.String).Value(r), TradeID: c(5).(*array.String).Value(r),
						Venue: c(6).(*array.String).Value(r), Source: c(7).(*array.String).Value(r),
						SourceSeq: c(8).(*array.Uint64).Value(r),
					}
					if got != trades[r] {
						t.Fatalf("row %d: %+v, want %+v", r, got, trades[r])
					}
				}
				if int(rec.NumRows()) != len(trades) {
					t.Fatalf("%d rows, want %d", rec.NumRows(), len(trades))
				}
				rec.Release()
			}
		})
	}
}

// TestQuotesBuilderRoundTrip builds random quotes and reads every column back.
func TestQuotesBuilderRoundTrip(t *testing.T) {
	for _, seed := range seeds(t, 2) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			onFailure(t, seed)
			rng := rand.New(rand.NewPCG(seed, 3))
			qb := NewQuotesBuilder()
			defer qb.Release()
			for range 3 {
				quotes := make([]Quote, 1+rng.IntN(2000))
				for i := range quotes {
					quotes[i] = Quote{
						Ts: rng.Int64() - 1<<62, Sym: randomText(rng, 16), Bid: randomTick(rng), Ask: randomTick(rng),
						BidSize: randomTick(rng), AskSize: randomTick(rng), Venue: randomText(rng, 8),
						Source: randomText(rng, 20), SourceSeq: rng.Uint64(),
					}
					qb.Append(&quotes[i])
				}
				rec := qb.NewRecord()
				if err := Validate(QuotesTable, rec); err != nil {
					t.Fatal(err)
				}
				c := rec.Column
				for r := range quotes {
					got := Quote{
						Ts: int64(c(0).(*array.Timestamp).Value(r)), Sym: c(1).(*array.String).Value(r),
						Bid: c(2).(*array.Decimal128).Value(r), Ask: c(3).(*array.Decimal128).Value(r),
						BidSize: c(4).(*array.Decimal128).Value(r), AskSize: c(5).(*array.Decimal128).Value(r),
						Venue: c(6).(*array.String).Value(r), Source: c(7).(*array.String).Value(r),
						SourceSeq: c(8).(*array.Uint64).Value(r),
					}
					if got != quotes[r] {
						t.Fatalf("row %d: %+v, want %+v", r, got, quotes[r])
					}
				}
				if int(rec.NumRows()) != len(quotes) {
					t.Fatalf("%d rows, want %d", rec.NumRows(), len(quotes))
				}
				rec.Release()
			}
		})
	}
}
