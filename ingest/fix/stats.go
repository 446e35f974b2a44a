package fix

import "sync/atomic"

// Stats are a Listener's counters since it was made, and its gauges now.
type Stats struct {
	Sessions        int // logged on
	SessionsBlocked int // waiting for room in the store queue: backpressure
	QueuedBatches   int // batches waiting for the store

	Messages      uint64 // messages processed in sequence (admin and market data)
	Entries       uint64 // bids, offers and trades of accepted messages
	TradeRows     uint64 // trades rows made (before the store's watermark check)
	QuoteRows     uint64 // quotes rows made
	Rejects       uint64 // messages rejected (Reject 35=3 or BusinessMessageReject 35=j sent)
	Gaps          uint64 // ResendRequests sent for a gap
	Duplicates    uint64 // PossDup messages below the expected MsgSeqNum, ignored
	Garbled       uint64 // bad bytes or messages skipped (FIX: ignore, the gap is asked for)
	LogonsRefused uint64 // connections closed before or at Logon
	OutOfOrder    uint64 // entries older than their symbol's latest, stored as sent

	Batches        uint64 // batches stored (a trades and a quotes write each)
	BatchesSkipped uint64 // writes the store skipped: at or below its watermark
	BatchesDropped uint64 // batches not written after an earlier write of their source failed
	WriteErrors    uint64
	LastWriteError string

	// OutOfOrderBySymbol counts OutOfOrder by source and symbol, for those
	// with any.
	OutOfOrderBySymbol map[SymbolKey]uint64
}

// SymbolKey names a symbol of a source.
type SymbolKey struct{ Source, Symbol string }

// counters are a Listener's Stats as they run.
type counters struct {
	sessions, blocked                                                        atomic.Int64
	messages, entries, tradeRows, quoteRows, rejects, gaps, duplicates       atomic.Uint64
	garbled, logonsRefused, outOfOrder, batches, skipped, dropped, writeErrs atomic.Uint64
}

// Stats returns the Listener's counters.
func (l *Listener) Stats() Stats {
	c := &l.stats
	st := Stats{
		Sessions: int(c.sessions.Load()), SessionsBlocked: int(c.blocked.Load()), QueuedBatches: len(l.queue),
		Messages: c.messages.Load(), Entries: c.entries.Load(), TradeRows: c.tradeRows.Load(),
		QuoteRows: c.quoteRows.Load(), Rejects: c.rejects.Load(), Gaps: c.gaps.Load(),
		Duplicates: c.duplicates.Load(), Garbled: c.garbled.Load(), LogonsRefused: c.logonsRefused.Load(),
		OutOfOrder: c.outOfOrder.Load(), Batches: c.batches.Load(), BatchesSkipped: c.skipped.Load(),
		BatchesDropped: c.dropped.Load(), WriteErrors: c.writeErrs.Load(),
		OutOfOrderBySymbol: make(map[SymbolKey]uint64),
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st.LastWriteError = l.lastErr
	for _, src := range l.sources {
		src.book.mu.Lock()
		for name, s := range src.book.syms {
			if n := s.outOfOrder.Load(); n > 0 {
				st.OutOfOrderBySymbol[SymbolKey{src.name, name}] = n
			}
		}
		src.book.mu.Unlock()
	}
	return st
}
