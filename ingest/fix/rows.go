package fix

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tape-ledger/tape/columnar"
)

// Limits of the mapping to rows; a message beyond one is rejected whole.
const (
	// symbolsPerSourceMax is the most symbols a source's book holds.
	symbolsPerSourceMax = 1 << 16
	// textBytesMax is the longest Symbol, TradeID or venue a row takes.
	textBytesMax = 64
)

// Reasons of a Reject (35=3), SessionRejectReason (373).
const (
	rejectValueIncorrect = 5  // a price or size does not fit decimal128(18, 8); a text too long
	rejectOther          = 99 // what AppendEntries refuses; Text (58) says what
)

// How rows are made of entries (the rules a Listener applies, message by
// message, in MsgSeqNum order):
//
//   - Px and Size parse exactly into decimal128(18, 8) (columnar.
//     ParseTickDecimal): more than 8 decimals or 10 integer digits is a bad
//     entry, and a bad entry rejects its whole message: nothing of it is
//     stored and the book is unchanged.
//   - A trade of a 35=X (New or Change) is a trades row. Side is 54 when the
//     entry has it (1 → "B", 2 → "S"); otherwise it is derived, Lee-Ready
//     style: at or above the offer "B", at or below the bid "S", inside the
//     spread by the side of the mid; at the mid or without both sides of the
//     book, by the tick rule against the symbol's last trade (up "B", down
//     "S", unchanged: that trade's side); the first trade of a symbol with
//     neither is "B". A trade Delete (a bust) makes no row. The trades of a
//     35=W restate the last trade, which the incrementals reported: they
//     make no row but count as the last trade for the tick rule.
//   - Bids and offers keep one level per side per symbol, the top of book of
//     a level-1 feed: New and Change set the side, Delete clears it. After a
//     New or Change, when both sides are known, a quotes row holds them;
//     consecutive bid and offer entries of one symbol at one ts are one
//     update, one row (keyed by the last entry). A 35=W first clears both
//     sides of each symbol it names.
//   - An entry older than the symbol's latest is stored as sent and counted
//     in Stats.OutOfOrder.
type rowMapper struct {
	source  string
	book    *book
	stats   *counters
	entries []Entry
	nums    []entryNums
	trades  *columnar.TradesBuilder
	quotes  *columnar.QuotesBuilder
	// floorTrades and floorQuotes are the watermarks read at logon: rows at
	// or below them are stored already and are dropped.
	floorTrades, floorQuotes uint64
}

// entryNums holds the parsed Px and Size of an entry (zero in a Delete
// without them).
type entryNums struct{ px, size decimal128.Num }

// rejection says why a message was rejected: its tag (0 when none) and
// SessionRejectReason, and the Text of the Reject.
type rejection struct {
	tag, reason int
	text        string
}

func newRowMapper(source string, b *book, stats *counters) *rowMapper {
	return &rowMapper{source: source, book: b, stats: stats,
		trades: columnar.NewTradesBuilder(), quotes: columnar.NewQuotesBuilder()}
}

// release drops the rows not flushed.
func (r *rowMapper) release() {
	r.trades.Release()
	r.quotes.Release()
}

// rows returns the number of rows waiting in the builders.
func (r *rowMapper) rows() int { return r.trades.Len() + r.quotes.Len() }

// full reports whether the builders must be flushed before the next message.
func (r *rowMapper) full(rowsMax int) bool {
	return r.rows() >= rowsMax || r.trades.Full() || r.quotes.Full()
}

// mapMessage checks a 35=W or 35=X with MsgSeqNum seq whole, then applies
// it to the book and appends its rows; a message that fails a check changes
// nothing.
func (r *rowMapper) mapMessage(m *Message, seq int) *rejection {
	var err error
	if r.entries, err = AppendEntries(r.entries[:0], m); err != nil {
		tag := 0
		if ee, ok := err.(*EntryError); ok {
			tag = ee.Tag
		}
		return &rejection{tag: tag, reason: rejectOther, text: err.Error()}
	}
	if rej := r.check(); rej != nil {
		return rej
	}
	snapshot := string(m.MsgType()) == MsgTypeMarketDataSnapshot
	if snapshot {
		for i := range r.entries {
			if s := r.book.syms[r.entries[i].Symbol]; s != nil {
				s.bid, s.ask = level{}, level{}
			}
		}
	}
	for i := range r.entries {
		r.apply(&r.entries[i], r.nums[i], SourceSeq(seq, i), snapshot, r.sameQuote(i))
	}
	r.stats.entries.Add(uint64(len(r.entries)))
	return nil
}

// check parses the prices and sizes of r.entries into r.nums and checks the
// limits.
func (r *rowMapper) check() *rejection {
	if len(r.entries) > EntriesPerMessageMax {
		return &rejection{tag: TagNoMDEntries, reason: rejectValueIncorrect,
			text: "fix: " + strconv.Itoa(len(r.entries)) + " entries, more than " + strconv.Itoa(EntriesPerMessageMax)}
	}
	r.nums = r.nums[:0]
	newSyms := 0
	for i := range r.entries {
		e := &r.entries[i]
		var n entryNums
		var rej *rejection
		if n.px, rej = parseTick(i, TagMDEntryPx, e.Px); rej != nil {
			return rej
		}
		if n.size, rej = parseTick(i, TagMDEntrySize, e.Size); rej != nil {
			return rej
		}
		r.nums = append(r.nums, n)
		for _, f := range [...]struct {
			tag int
			v   string
		}{{TagSymbol, e.Symbol}, {TagTradeID, e.TradeID}, {TagMDMkt, e.Venue}} {
			if len(f.v) > textBytesMax {
				return entryRejection(i, f.tag, rejectValueIncorrect,
					"is longer than "+strconv.Itoa(textBytesMax)+" bytes: "+quote([]byte(f.v)))
			}
		}
		if r.book.syms[e.Symbol] == nil && !r.seenBefore(i) {
			newSyms++
		}
	}
	if len(r.book.syms)+newSyms > symbolsPerSourceMax {
		return &rejection{tag: TagSymbol, reason: rejectValueIncorrect,
			text: "fix: source " + strconv.Quote(r.source) + " would have more than " + strconv.Itoa(symbolsPerSourceMax) + " symbols"}
	}
	return nil
}

// seenBefore reports whether an entry before i has the symbol of entry i.
func (r *rowMapper) seenBefore(i int) bool {
	for j := range i {
		if r.entries[j].Symbol == r.entries[i].Symbol {
			return true
		}
	}
	return false
}

// parseTick parses the Px or Size of entry i; "" (a Delete without it) is 0.
func parseTick(i, tag int, v string) (decimal128.Num, *rejection) {
	if v == "" {
		return decimal128.Num{}, nil
	}
	n, err := columnar.ParseTickDecimal(v)
	if err != nil {
		return n, entryRejection(i, tag, rejectValueIncorrect, "does not fit decimal128(18, 8): "+err.Error())
	}
	return n, nil
}

// entryRejection is the rejection for the value of tag in entry i (from 0).
func entryRejection(i, tag, reason int, what string) *rejection {
	return &rejection{tag: tag, reason: reason, text: (&EntryError{Entry: i + 1, Tag: tag, Reason: what}).Error()}
}

// sameQuote reports whether entry i is a bid or offer followed by another
// side of the same symbol at the same ts: one update of the quote, whose row
// the next entry makes.
func (r *rowMapper) sameQuote(i int) bool {
	if i+1 >= len(r.entries) {
		return false
	}
	e, next := &r.entries[i], &r.entries[i+1]
	quote := func(e *Entry) bool { return (e.Type == Bid || e.Type == Offer) && e.Update != UpdateDelete }
	return quote(e) && quote(next) && next.Symbol == e.Symbol && next.Ts == e.Ts
}

// apply applies one checked entry to the book and appends its row, if any,
// with source_seq key; more says the next entry updates the same quote.
func (r *rowMapper) apply(e *Entry, n entryNums, key uint64, snapshot, more bool) {
	s := r.book.symbol(e.Symbol)
	if e.Ts < s.lastTs {
		s.outOfOrder.Add(1)
		r.stats.outOfOrder.Add(1)
	}
	s.lastTs = max(s.lastTs, e.Ts)
	switch e.Type {
	case Trade:
		if e.Update == UpdateDelete {
			return
		}
		side := s.tradeSide(e.Side, n.px)
		s.lastPx, s.lastSide, s.traded = n.px, side, true
		if snapshot || key <= r.floorTrades {
			return
		}
		r.trades.Append(&columnar.Trade{Ts: e.Ts, Sym: e.Symbol, Px: n.px, Qty: n.size, Side: side,
			TradeID: e.TradeID, Venue: e.Venue, Source: r.source, SourceSeq: key})
		r.stats.tradeRows.Add(1)
	case Bid, Offer:
		l := &s.bid
		if e.Type == Offer {
			l = &s.ask
		}
		if e.Update == UpdateDelete {
			*l = level{}
			return
		}
		*l = level{px: n.px, size: n.size, ok: true}
		if more || !s.bid.ok || !s.ask.ok || key <= r.floorQuotes {
			return
		}
		r.quotes.Append(&columnar.Quote{Ts: e.Ts, Sym: e.Symbol, Bid: s.bid.px, Ask: s.ask.px,
			BidSize: s.bid.size, AskSize: s.ask.size, Venue: e.Venue, Source: r.source, SourceSeq: key})
		r.stats.quoteRows.Add(1)
	default:
		panic("BUG: fix: AppendEntries returned entry type " + e.Type.String())
	}
}

// level is one side of a symbol's top of book.
type level struct {
	px, size decimal128.Num
	ok       bool
}

// symbol is what a source remembers of one instrument.
type symbol struct {
	bid, ask   level
	lastTs     int64          // the latest entry's ts
	lastPx     decimal128.Num // of the last trade
	lastSide   string         // of the last trade
	traded     bool           // lastPx and lastSide are set
	outOfOrder atomic.Uint64  // entries older than lastTs; read by Stats
}

// tradeSide returns the trades row side of a trade at px: sent, else
// derived (see rowMapper).
func (s *symbol) tradeSide(sent Side, px decimal128.Num) string {
	switch sent {
	case SideBuy:
		return "B"
	case SideSell:
		return "S"
	}
	if s.bid.ok && s.ask.ok {
		switch mid2 := s.bid.px.Add(s.ask.px); {
		case px.GreaterEqual(s.ask.px):
			return "B"
		case px.LessEqual(s.bid.px):
			return "S"
		case px.Add(px).Greater(mid2):
			return "B"
		case px.Add(px).Less(mid2):
			return "S"
		}
	}
	switch {
	case !s.traded:
		return "B"
	case px.Greater(s.lastPx):
		return "B"
	case px.Less(s.lastPx):
		return "S"
	}
	return s.lastSide
}

// book holds the symbols of one source. Only the session of the source
// changes it; mu guards adding symbols against Stats reading the map.
type book struct {
	mu   sync.Mutex
	syms map[string]*symbol
}

func newBook() *book { return &book{syms: make(map[string]*symbol)} }

// symbol returns name's state, added if new.
func (b *book) symbol(name string) *symbol {
	if s := b.syms[name]; s != nil {
		return s
	}
	s := &symbol{}
	b.mu.Lock()
	b.syms[strings.Clone(name)] = s // name shares the bytes of a whole message
	b.mu.Unlock()
	return s
}

// reset forgets the sides, latest ts and last trade of every symbol (not
// its out-of-order count), after rows of the source were lost to a failed
// write: a quote made from a book ahead of the messages replayed would be
// wrong.
func (b *book) reset() {
	for _, s := range b.syms {
		s.bid, s.ask, s.lastTs, s.lastPx, s.lastSide, s.traded = level{}, level{}, 0, decimal128.Num{}, "", false
	}
}
