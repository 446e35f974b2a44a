package workload

import (
	"bufio"
	"io"
	"strconv"
)

// tickColumn is one column of a tick table; quoted columns are JSON strings.
type tickColumn struct {
	name   string
	quoted bool
}

// Both tables end with venue, source and source_seq: tickTable pre-renders
// that tail once per venue.
var (
	tradesHeader = []tickColumn{
		{"ts", true}, {"sym", true}, {"px", true}, {"qty", false}, {"side", true},
		{"trade_id", false}, {"venue", true}, {"source", true}, {"source_seq", false},
	}
	quotesHeader = []tickColumn{
		{"ts", true}, {"sym", true}, {"bid", true}, {"ask", true}, {"bid_size", false},
		{"ask_size", false}, {"venue", true}, {"source", true}, {"source_seq", false},
	}
)

const (
	tickVenueCol = 6 // index of venue in both headers; source and source_seq follow
	tickRowMax   = 512
)

// tickVenues are the venues' MIC codes, with their shares of the rows in
// percent.
var (
	tickVenues       = [...]string{"XNAS", "XNYS", "ARCX", "BATS"}
	tickVenuePercent = [len(tickVenues)]uint64{35, 25, 20, 20}
)

// tickTable writes one table. Every value written is ASCII without quotes,
// commas or backslashes, so nothing needs quoting or escaping.
type tickTable struct {
	w   *bufio.Writer // nil: the table is discarded
	err error
	seq int64 // source_seq of the last row
	// sep[i] goes before column i's value: "," in CSV, `","px":"` and the like
	// in NDJSON; sep[len] ends the row.
	sep   [][]byte
	tails [len(tickVenues)][]byte // sep+venue+sep+source+sep, up to source_seq
	buf   []byte
}

func newTickTable(w io.Writer, f TickFormat, cols []tickColumn, source string) tickTable {
	t := tickTable{buf: make([]byte, 0, tickRowMax)}
	if w != nil {
		t.w = bufio.NewWriterSize(w, writerBufferSize)
	}
	for i := range len(cols) + 1 {
		t.sep = append(t.sep, tickSep(f, cols, i))
	}
	if cols[tickVenueCol].name != "venue" || len(cols) != tickVenueCol+3 {
		panic("BUG: tick table does not end with venue, source, source_seq")
	}
	for v, venue := range tickVenues {
		b := append(append([]byte(nil), t.sep[tickVenueCol]...), venue...)
		b = append(append(b, t.sep[tickVenueCol+1]...), source...)
		t.tails[v] = append(b, t.sep[tickVenueCol+2]...)
	}
	if f == TickCSV && t.w != nil {
		for i, c := range cols {
			t.buf = append(append(t.buf, t.sep[i]...), c.name...)
		}
		t.write(append(t.buf, t.sep[len(cols)]...))
	}
	return t
}

// tickSep is the text before column i, or after the last column.
func tickSep(f TickFormat, cols []tickColumn, i int) []byte {
	if f == TickCSV {
		switch i {
		case 0:
			return nil
		case len(cols):
			return []byte("\n")
		}
		return []byte(",")
	}
	var b []byte
	if i > 0 && cols[i-1].quoted {
		b = append(b, '"')
	}
	if i == len(cols) {
		return append(b, "}\n"...)
	}
	if i == 0 {
		b = append(b, '{')
	} else {
		b = append(b, ',')
	}
	b = strconv.AppendQuote(b, cols[i].name)
	b = append(b, ':')
	if cols[i].quoted {
		b = append(b, '"')
	}
	return b
}

func (t *tickTable) write(row []byte) {
	if t.err == nil {
		_, t.err = t.w.Write(row)
	}
}

func (t *tickTable) flush() {
	if t.w != nil && t.err == nil {
		t.err = t.w.Flush()
	}
}

// tickText writes both tables as text.
type tickText struct{ trades, quotes tickTable }

func (t *tickText) writeTrade(d *tickDay, sym []byte, r tradeRow) { t.trades.writeTrade(d, sym, &r) }
func (t *tickText) writeQuote(d *tickDay, sym []byte, r quoteRow) { t.quotes.writeQuote(d, sym, &r) }
func (t *tickText) ok() bool                                      { return t.trades.err == nil && t.quotes.err == nil }

// tradeRow and quoteRow are the values of one row but source and
// source_seq, which the table adds.
type tradeRow struct {
	ts, px, qty, tradeID int64
	side                 byte
	venue                uint8
}

type quoteRow struct {
	ts, bid, ask, bidSize, askSize int64
	venue                          uint8
}

func (t *tickTable) writeTrade(d *tickDay, sym []byte, r *tradeRow) {
	t.seq++
	if t.w == nil {
		return
	}
	b := append(t.buf[:0], t.sep[0]...)
	b = appendDayTs(b, d.prefix, d.midnight, r.ts)
	b = append(append(b, t.sep[1]...), sym...)
	b = appendPx(append(b, t.sep[2]...), r.px)
	b = strconv.AppendInt(append(b, t.sep[3]...), r.qty, 10)
	b = append(append(b, t.sep[4]...), r.side)
	b = strconv.AppendInt(append(b, t.sep[5]...), r.tradeID, 10)
	t.finish(b, r.venue)
}

func (t *tickTable) writeQuote(d *tickDay, sym []byte, r *quoteRow) {
	t.seq++
	if t.w == nil {
		return
	}
	b := append(t.buf[:0], t.sep[0]...)
	b = appendDayTs(b, d.prefix, d.midnight, r.ts)
	b = append(append(b, t.sep[1]...), sym...)
	b = appendPx(append(b, t.sep[2]...), r.bid)
	b = appendPx(append(b, t.sep[3]...), r.ask)
	b = strconv.AppendInt(append(b, t.sep[4]...), r.bidSize, 10)
	b = strconv.AppendInt(append(b, t.sep[5]...), r.askSize, 10)
	t.finish(b, r.venue)
}

// finish appends venue, source and source_seq, ends the row and writes it.
func (t *tickTable) finish(b []byte, venue uint8) {
	b = append(b, t.tails[venue]...)
	b = strconv.AppendInt(b, t.seq, 10)
	b = append(b, t.sep[len(t.sep)-1]...)
	if len(b) > tickRowMax {
		panic("BUG: tick row longer than tickRowMax")
	}
	t.buf = b
	t.write(b)
}

// appendPx appends a price of pxScale decimals: 1872300 as "187.2300".
func appendPx(b []byte, px int64) []byte {
	if px < 0 {
		panic("BUG: negative tick price")
	}
	b = strconv.AppendInt(b, px/pxOne, 10)
	b = append(b, '.')
	return appendPadded(b, px%pxOne, pxScale)
}
