package ingest

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tape-ledger/tape/columnar"
)

// TickStats count what a tick reader read.
type TickStats struct {
	Rows       int64 // data rows read, bad ones included
	Stored     int64 // rows handed out in batches
	Skipped    int64 // rows at or below the stream's watermark: stored before
	Bad        int64 // rows written to the reject file (SkipBadRows)
	OutOfOrder int64 // rows whose ts is before the previous row's of the same symbol (accepted)
}

// rowSource is one input format: it reads the next data row into a.
type rowSource interface {
	// next fills the row's values with a.set* and returns false at the end
	// of the input. A bad value is reported with a.bad, which next returns
	// as a *RowError along with true (the row is consumed); a broken input
	// (I/O, framing) is any other error, with false.
	next(a *assembler) (bool, error)
	// line is the 1-based line of the row just read (0 for binary inputs).
	line() int64
	// raw is the row's text for the reject file ("" for binary inputs).
	raw() []byte
}

// TickReader turns the rows of one input into batches. It is not safe for
// concurrent use.
type TickReader struct {
	pass  *passSource // batches already in the table's schema, passed on whole; nil: row by row
	src   rowSource
	a     *assembler
	mark  func(stream string) (uint64, error)
	stats TickStats
	err   error // sticky
	name  string
}

// Watermark tells the reader the highest source_seq the store holds for a
// stream; rows at or below it are skipped (counted in TickStats.Skipped).
// Without it every row is handed out.
type Watermark func(stream string) (uint64, error)

func newTickReader(name string, o TickOptions, src rowSource, mark Watermark) (*TickReader, error) {
	cols, err := checkOptions(o)
	if err != nil {
		return nil, err
	}
	return &TickReader{src: src, a: newAssembler(name, o, cols), mark: mark, name: name}, nil
}

// Stats returns the counts so far.
func (r *TickReader) Stats() TickStats {
	if r.pass != nil {
		return r.pass.stats
	}
	s := r.stats
	s.OutOfOrder = r.a.order.n
	return s
}

// Next returns the next batch, io.EOF after the last. A bad row (without
// SkipBadRows) ends the reading with a *RowError: the rows of the batch it
// was in are not handed out.
func (r *TickReader) Next() (TickBatch, error) {
	if r.err != nil {
		return TickBatch{}, r.err
	}
	if r.pass != nil {
		b, err := r.pass.next()
		if err != nil {
			r.err = err
			r.pass.release()
		}
		return b, err
	}
	a := r.a
	for !a.full() {
		a.reset()
		ok, err := r.src.next(a)
		if ok {
			if err == nil {
				err = a.finish()
			}
			r.stats.Rows++
			a.row++
		}
		var re *RowError
		switch {
		case errors.As(err, &re) && a.o.SkipBadRows:
			if werr := r.reject(re); werr != nil {
				return r.fail(werr)
			}
			continue
		case err != nil:
			return r.fail(err)
		case !ok:
			if a.n == 0 {
				r.err = io.EOF
				return TickBatch{}, io.EOF
			}
			return a.flush(&r.stats), nil
		}
		if err := r.keep(); err != nil {
			return r.fail(err)
		}
	}
	return a.flush(&r.stats), nil
}

// keep appends the row unless the store has it already.
func (r *TickReader) keep() error {
	a := r.a
	if !a.marked {
		a.marked = true
		if r.mark != nil {
			w, err := r.mark(a.stream)
			if err != nil {
				return fmt.Errorf("ingest: %s: watermark of %s: %w", r.name, a.stream, err)
			}
			a.watermark = w
		}
	}
	if a.seq <= a.watermark {
		r.stats.Skipped++
		return nil
	}
	a.append()
	return nil
}

func (r *TickReader) fail(err error) (TickBatch, error) {
	r.err = err
	r.a.discard()
	return TickBatch{}, err
}

// reject writes one bad row to the reject file.
func (r *TickReader) reject(re *RowError) error {
	r.stats.Bad++
	if r.a.o.Rejects == nil {
		return nil
	}
	line := append([]byte(re.Error()), '\t')
	line = append(line, r.src.raw()...)
	if n := len(line); n == 0 || line[n-1] != '\n' {
		line = append(line, '\n')
	}
	_, err := r.a.o.Rejects.Write(line)
	return err
}

// Release frees the rows of a batch not yet handed out.
func (r *TickReader) Release() {
	if r.pass != nil {
		r.pass.release()
		return
	}
	r.a.discard()
}

// assembler holds the values of the row being read, checks them, and
// appends whole rows to the table's builder.
type assembler struct {
	name   string
	o      TickOptions
	cols   []tickColumn
	trades *columnar.TradesBuilder
	quotes *columnar.QuotesBuilder

	row       int64 // data rows read
	n         int   // rows in the builder
	stream    string
	source    string // the stream's source, once known
	marked    bool   // the watermark was read
	watermark uint64
	lastSeq   uint64
	order     tsOrder
	decSlot   []int // decSlot[c] is the slot in dec of decimal column c

	// The row being read.
	line                                   int64
	ts                                     int64
	sym, side, tradeID, venue, rowSrc      []byte
	dec                                    [4]decimal128.Num // px, qty or bid, ask, bid_size, ask_size
	seq                                    uint64
	hasTs, hasSym, hasSide, hasSeq, hasSrc bool
	hasDec                                 [4]bool
	upTo                                   uint64
}

func newAssembler(name string, o TickOptions, cols []tickColumn) *assembler {
	a := &assembler{name: name, o: o, cols: cols, decSlot: make([]int, len(cols))}
	slot := 0
	for c, col := range cols {
		if col.kind == kindDecimal {
			a.decSlot[c], slot = slot, slot+1
		}
	}
	if o.Table == columnar.TradesTable.Name {
		a.trades = columnar.NewTradesBuilder()
	} else {
		a.quotes = columnar.NewQuotesBuilder()
	}
	return a
}

func (a *assembler) full() bool {
	if a.trades != nil {
		return a.trades.Full()
	}
	return a.quotes.Full()
}

func (a *assembler) reset() {
	a.hasTs, a.hasSym, a.hasSide, a.hasSeq, a.hasSrc = false, false, false, false, false
	a.hasDec = [4]bool{}
	a.tradeID, a.venue = nil, nil
}

// bad returns the *RowError for column c's value v.
func (a *assembler) bad(c int, v []byte, reason string) *RowError {
	e := &RowError{Name: a.name, Line: a.line, Row: a.row + 1, Reason: reason}
	if c >= 0 {
		e.Column = a.o.inputName(a.cols[c].name)
		e.Value = quoteValue(v)
	}
	return e
}

func quoteValue(v []byte) string {
	const max = 64
	if len(v) > max {
		return strconv.Quote(string(v[:max])) + "..."
	}
	return strconv.Quote(string(v))
}

// setText parses the text value v of table column c (an index into cols).
func (a *assembler) setText(c int, v []byte) error {
	col := a.cols[c]
	if col.kind != kindTs && col.kind != kindDecimal && col.kind != kindSourceSeq && !utf8.Valid(v) {
		return a.bad(c, v, "not valid UTF-8")
	}
	switch col.kind {
	case kindTs:
		ts, reason := parseTs(v, a.o.Time)
		if reason != "" {
			return a.bad(c, v, reason)
		}
		a.ts, a.hasTs = ts, true
	case kindDecimal:
		d, err := columnar.ParseTickDecimal(view(v))
		if err != nil {
			return a.bad(c, v, "not a decimal of at most 10 integer and 8 fractional digits")
		}
		i := a.decSlot[c]
		a.dec[i], a.hasDec[i] = d, true
	case kindSourceSeq:
		s, err := strconv.ParseUint(view(v), 10, 64)
		if err != nil || s == 0 {
			return a.bad(c, v, "not an integer from 1 to 2^64-1")
		}
		a.seq, a.hasSeq = s, true
	default:
		a.setBytes(c, v)
	}
	return nil
}

// setBytes sets text column c; v must stay valid until finish.
func (a *assembler) setBytes(c int, v []byte) {
	switch a.cols[c].name {
	case "sym":
		a.sym, a.hasSym = v, true
	case "side":
		a.side, a.hasSide = v, true
	case "trade_id":
		a.tradeID = v
	case "venue":
		a.venue = v
	case "source":
		a.rowSrc, a.hasSrc = v, true
	}
}

// view is b as a string without a copy: only for values the builders copy
// before b changes.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// bytesView is s as bytes without a copy, for reading only (setText never
// writes to its value).
func bytesView(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// finish checks the row as a whole once its values are set.
func (a *assembler) finish() error {
	for c, col := range a.cols {
		if col.required && !a.has(c) {
			return a.bad(-1, nil, "no "+a.o.inputName(col.name)+" value")
		}
	}
	if len(a.sym) == 0 {
		return a.bad(a.colIndex("sym"), a.sym, "empty symbol")
	}
	if a.trades != nil {
		switch string(a.side) {
		case "B", "b", "BUY", "buy", "Buy":
			a.side = sideB
		case "S", "s", "SELL", "sell", "Sell":
			a.side = sideS
		default:
			return a.bad(a.colIndex("side"), a.side, `side must be B or S (or BUY/SELL)`)
		}
	}
	source := a.o.Source
	if a.hasSrc {
		source = string(a.rowSrc)
	}
	switch {
	case a.source == "" && source == "":
		return a.bad(-1, nil, "no source: the input has no source column and none was given")
	case a.source == "":
		if len(source) > 200 || !utf8.ValidString(source) {
			return a.bad(a.colIndex("source"), []byte(source), "a source is 1 to 200 bytes of UTF-8")
		}
		a.source, a.stream = source, a.o.Table+"/"+source
	case source != a.source:
		return a.bad(a.colIndex("source"), []byte(source), "a second source in one input (the first was "+
			strconv.Quote(a.source)+"): ingest each source separately")
	}
	if !a.hasSeq {
		if a.o.RequireSeq {
			return a.bad(-1, nil, "no source_seq: send a source_seq column, or the first row's source_seq as first_seq")
		}
		a.seq = max(a.o.FirstSeq, 1) + uint64(a.row)
	}
	if a.seq <= a.lastSeq {
		return a.bad(a.colIndex("source_seq"), []byte(strconv.FormatUint(a.seq, 10)),
			"source_seq not above the previous row's "+strconv.FormatUint(a.lastSeq, 10))
	}
	return nil
}

var (
	sideB = []byte("B")
	sideS = []byte("S")
)

func (a *assembler) colIndex(name string) int {
	for i, c := range a.cols {
		if c.name == name {
			return i
		}
	}
	panic("BUG: ingest: no column " + name)
}

func (a *assembler) has(c int) bool {
	switch col := a.cols[c]; col.kind {
	case kindTs:
		return a.hasTs
	case kindDecimal:
		return a.hasDec[a.decSlot[c]]
	case kindSourceSeq:
		return a.hasSeq
	case kindSource:
		return a.hasSrc
	case kindSide:
		return a.hasSide
	}
	return a.cols[c].name != "sym" || a.hasSym
}

// append adds the checked row to the builder.
func (a *assembler) append() {
	a.lastSeq = a.seq
	sym := view(a.sym)
	a.order.see(sym, a.ts)
	if a.trades != nil {
		a.trades.Append(&columnar.Trade{Ts: a.ts, Sym: sym, Px: a.dec[0], Qty: a.dec[1], Side: view(a.side),
			TradeID: view(a.tradeID), Venue: view(a.venue), Source: a.source, SourceSeq: a.seq})
	} else {
		a.quotes.Append(&columnar.Quote{Ts: a.ts, Sym: sym, Bid: a.dec[0], Ask: a.dec[1], BidSize: a.dec[2],
			AskSize: a.dec[3], Venue: view(a.venue), Source: a.source, SourceSeq: a.seq})
	}
	a.n++
	a.upTo = a.seq
}

// flush hands out the rows appended so far.
func (a *assembler) flush(st *TickStats) TickBatch {
	b := TickBatch{Table: a.o.Table, Stream: a.stream, UpTo: a.upTo}
	if a.trades != nil {
		b.Rec = a.trades.NewRecord()
	} else {
		b.Rec = a.quotes.NewRecord()
	}
	st.Stored += int64(a.n)
	a.n = 0
	return b
}

// discard drops the rows not handed out.
func (a *assembler) discard() {
	if a.n > 0 {
		var st TickStats
		a.flush(&st).Rec.Release()
	}
}
