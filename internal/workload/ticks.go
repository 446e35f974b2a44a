package workload

import (
	"fmt"
	"io"
	"strconv"
)

// Market data: GenerateTicks writes a deterministic stream of trades and
// quotes for the tick store, the demo and the ingest benchmarks.
//
// Trading hours are 09:30-16:00 UTC on business days (Monday to Friday, no
// holidays): the New York session's wall-clock hours, kept in UTC so that the
// calendar needs no time zone. Each symbol ticks as its own Poisson-like
// process whose rate jumps several times over during bursts; ticks are about
// 80% quotes and 20% trades. Prices are int64 counts of 10^-4 (pxScale) on a
// tick grid of 0.01 at or above 1 and 0.0001 below, and move as a random walk
// in whole ticks whose daily volatility is a share of the price. Trades print
// at or inside the symbol's latest quote.
//
// Both tables are written in ts order and no two rows of either table share a
// ts, so merging them by ts gives back the order of generation. The same
// TickOptions always give the same bytes on any machine: randomness comes from
// a PCG seeded from Seed, prices and times are integers, and floats are only
// used, in single correctly rounded operations, to turn Rate into a mean gap.

// Defaults applied by GenerateTicks to zero-valued TickOptions fields.
const (
	TickSymbolsDefault = 10
	TickDaysDefault    = 1
	TickRateDefault    = 10.0
	TickSourceDefault  = "gen"
)

// Limits enforced on TickOptions.
const (
	tickSymbolsMax   = 9999           // names stay "SYM" and four digits
	tickRateMin      = 0.0001         // ticks per second per symbol: one every ~3 hours
	tickRateMax      = 1e6            // ticks per second per symbol
	tickRateTotalMax = 1e7            // ticks per second over all symbols, well below one per ns
	tickSourceMax    = 64             // bytes of TickOptions.Source
	tickPCGStream    = 0x7469_636b_73 // "ticks": fixed second word of the PCG state
)

// TickOptions configures GenerateTicks.
type TickOptions struct {
	Seed int64
	// Symbols is the number of symbols; 0 means TickSymbolsDefault. The first
	// ten are well-known tickers ("AAPL", "MSFT", ...), then "SYM0011" on.
	Symbols int
	// Days is the number of business days; 0 means TickDaysDefault.
	Days int
	// Start is the ts of the first business day's 00:00 UTC; 0 means
	// StartDefault. It must be a UTC midnight; a weekend moves to the Monday.
	Start int64
	// Rate is the average number of ticks (trades and quotes) per second per
	// symbol during trading hours; 0 means TickRateDefault.
	Rate float64
	// Source is the value of the source column: 1-64 bytes of
	// [A-Za-z0-9._:-]; "" means TickSourceDefault.
	Source string
}

// TickFormat is the encoding of the tick tables.
type TickFormat uint8

const (
	// TickCSV is RFC 4180 CSV with a header line. No field needs quoting.
	TickCSV TickFormat = iota
	// TickNDJSON is one JSON object per line. Prices are strings of exact
	// decimal text ("187.2300"), sizes and sequence numbers are numbers.
	TickNDJSON
	tickFormatCount
)

var tickFormatNames = [tickFormatCount]string{"csv", "ndjson"}

// String returns the format's name as ParseTickFormat accepts it.
func (f TickFormat) String() string {
	if f >= tickFormatCount {
		return "TickFormat(" + strconv.Itoa(int(f)) + ")"
	}
	return tickFormatNames[f]
}

// ParseTickFormat parses "csv" or "ndjson".
func ParseTickFormat(s string) (TickFormat, error) {
	for f, name := range tickFormatNames {
		if s == name {
			return TickFormat(f), nil
		}
	}
	return 0, fmt.Errorf("%w: tick format %q, want csv or ndjson", ErrOptions, s)
}

// TickStats counts what GenerateTicks wrote.
type TickStats struct {
	Trades, Quotes int64 // rows, header lines not counted
	// OutOfOrder counts rows whose ts is not after the previous row's of the
	// same table. Always 0 from the generator; ingest fills it for its inputs.
	OutOfOrder int64
}

// GenerateTicks writes the trades and the quotes tables to the two writers
// in format. A nil writer discards its table; the other table's bytes do not
// change. Memory stays proportional to opts.Symbols whatever Days and Rate.
func GenerateTicks(trades, quotes io.Writer, opts TickOptions, format TickFormat) (TickStats, error) {
	opts, err := tickDefaults(opts)
	if err != nil {
		return TickStats{}, err
	}
	if format >= tickFormatCount {
		return TickStats{}, fmt.Errorf("%w: tick format %d", ErrOptions, format)
	}
	g := newTickGen(opts)
	out := &tickText{trades: newTickTable(trades, format, tradesHeader, opts.Source),
		quotes: newTickTable(quotes, format, quotesHeader, opts.Source)}
	g.out = out
	g.run(int64(opts.Days))
	for _, t := range [...]*tickTable{&out.trades, &out.quotes} {
		t.flush()
		if t.err != nil {
			return g.stats, fmt.Errorf("workload: write ticks: %w", t.err)
		}
	}
	return g.stats, nil
}

func tickDefaults(o TickOptions) (TickOptions, error) {
	if o.Symbols == 0 {
		o.Symbols = TickSymbolsDefault
	}
	if o.Symbols < 0 || o.Symbols > tickSymbolsMax {
		return o, fmt.Errorf("%w: Symbols = %d, want 1..%d", ErrOptions, o.Symbols, tickSymbolsMax)
	}
	if o.Days == 0 {
		o.Days = TickDaysDefault
	}
	if o.Days < 0 || o.Days > daysMax {
		return o, fmt.Errorf("%w: Days = %d, want 1..%d", ErrOptions, o.Days, daysMax)
	}
	if o.Start == 0 {
		o.Start = StartDefault
	}
	if err := checkCalendar(o.Start, o.Days); err != nil {
		return o, err
	}
	if o.Rate == 0 {
		o.Rate = TickRateDefault
	}
	if !(o.Rate >= tickRateMin && o.Rate <= tickRateMax) { // also catches NaN
		return o, fmt.Errorf("%w: Rate = %v, want %v..%v", ErrOptions, o.Rate, tickRateMin, tickRateMax)
	}
	if o.Rate*float64(o.Symbols) > tickRateTotalMax {
		return o, fmt.Errorf("%w: Rate = %v for %d symbols is above %v ticks/s in all",
			ErrOptions, o.Rate, o.Symbols, tickRateTotalMax)
	}
	if o.Source == "" {
		o.Source = TickSourceDefault
	}
	if !validSource(o.Source) {
		return o, fmt.Errorf("%w: Source = %q, want 1-%d bytes of [A-Za-z0-9._:-]", ErrOptions, o.Source, tickSourceMax)
	}
	return o, nil
}

// validSource reports whether s needs no quoting in CSV nor escaping in JSON.
func validSource(s string) bool {
	if len(s) == 0 || len(s) > tickSourceMax {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}
