package ingest

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tape-ledger/tape/columnar"
)

// Tick files: trades and quotes in CSV, NDJSON, Parquet or Arrow IPC become
// batches of the columnar trades and quotes tables. Every row carries
// (source, source_seq): taken from the input when it has those columns,
// else the source is TickOptions.Source and source_seq the row's ordinal
// among the input's data rows, from 1. Reading the same file again gives
// the same keys, so the store keeps each row once.

// TickOptions configure a tick reader.
type TickOptions struct {
	// Table is "trades" or "quotes".
	Table string
	// Source is the source of rows whose input has no source column; it
	// must be set when the input has none.
	Source string
	// Columns maps a table column to the input's name for it ("px" ->
	// "price"); unmapped columns are looked up by their own name.
	Columns map[string]string
	// Time is how ts values are written; the zero value is RFC 3339.
	Time TimeFormat
	// FirstSeq is the source_seq of the first data row when the input has
	// no source_seq column (rows count up from it); 0 means 1.
	FirstSeq uint64
	// RequireSeq refuses rows without a source_seq instead of numbering
	// them (HTTP bodies: their ordinals would restart at every request).
	RequireSeq bool
	// SkipBadRows writes bad rows to Rejects and goes on, instead of
	// stopping at the first one.
	SkipBadRows bool
	// Rejects receives each skipped row's position, reason and text, one
	// line each; nil discards them.
	Rejects io.Writer
}

// TimeFormat is the encoding of ts values in text inputs.
type TimeFormat uint8

// The time formats. Epoch values are non-negative integers, or decimals with
// at most the digits that reach a nanosecond ("1767600000.123456789" in
// seconds).
const (
	TimeRFC3339 TimeFormat = iota // 2026-01-05T09:30:00.123456789Z, or with an offset (+01:00)
	TimeEpochS
	TimeEpochMS
	TimeEpochUS
	TimeEpochNS
)

var timeFormatNames = []string{"rfc3339", "s", "ms", "us", "ns"}

// ParseTimeFormat parses rfc3339, s, ms, us or ns.
func ParseTimeFormat(s string) (TimeFormat, error) {
	for i, n := range timeFormatNames {
		if s == n {
			return TimeFormat(i), nil
		}
	}
	return 0, fmt.Errorf("ingest: time format %q: want rfc3339, s, ms, us or ns", s)
}

func (f TimeFormat) String() string { return timeFormatNames[f] }

// TickBatch is one batch of rows read: rows of Table whose source_seq are
// increasing and end at UpTo. The receiver owns Rec.
type TickBatch struct {
	Table  string
	Stream string // "<table>/<source>"
	Rec    arrow.RecordBatch
	UpTo   uint64
}

// RowError names a bad row: where it is, which column, which value, why.
type RowError struct {
	Name   string // file name, or "body" for an HTTP body
	Line   int64  // 1-based line of text inputs; 0 when not a text input
	Row    int64  // 1-based data row (header not counted)
	Column string // the input's column or field name; "" for the row as a whole
	Value  string // the bad value, quoted and cut to 64 bytes; "" when not one value
	Reason string
}

func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.Name)
	if e.Line > 0 {
		b.WriteString(":" + strconv.FormatInt(e.Line, 10))
	}
	b.WriteString(": row " + strconv.FormatInt(e.Row, 10))
	if e.Column != "" {
		b.WriteString(": column " + e.Column)
	}
	if e.Value != "" {
		b.WriteString(": value " + e.Value)
	}
	return b.String() + ": " + e.Reason
}

// ErrBadRow is wrapped by every *RowError for errors.Is.
var ErrBadRow = errors.New("bad row")

func (e *RowError) Unwrap() error { return ErrBadRow }

// tickColumn is one column of a tick table as readers fill it.
type tickColumn struct {
	name     string
	kind     columnKind
	required bool
}

type columnKind uint8

const (
	kindTs columnKind = iota
	kindText
	kindSide
	kindDecimal
	kindSource
	kindSourceSeq
)

var tickColumns = map[string][]tickColumn{
	columnar.TradesTable.Name: {
		{"ts", kindTs, true}, {"sym", kindText, true}, {"px", kindDecimal, true}, {"qty", kindDecimal, true},
		{"side", kindSide, true}, {"trade_id", kindText, false}, {"venue", kindText, false},
		{"source", kindSource, false}, {"source_seq", kindSourceSeq, false},
	},
	columnar.QuotesTable.Name: {
		{"ts", kindTs, true}, {"sym", kindText, true}, {"bid", kindDecimal, true}, {"ask", kindDecimal, true},
		{"bid_size", kindDecimal, true}, {"ask_size", kindDecimal, true}, {"venue", kindText, false},
		{"source", kindSource, false}, {"source_seq", kindSourceSeq, false},
	},
}

// checkOptions validates o and returns the table's columns.
func checkOptions(o TickOptions) ([]tickColumn, error) {
	cols, ok := tickColumns[o.Table]
	if !ok {
		return nil, fmt.Errorf("ingest: table %q: want trades or quotes", o.Table)
	}
	if int(o.Time) >= len(timeFormatNames) {
		return nil, fmt.Errorf("ingest: time format %d", o.Time)
	}
	for c := range o.Columns {
		if !hasColumn(cols, c) {
			return nil, fmt.Errorf("ingest: --map %s: %s has no column %q", c, o.Table, c)
		}
	}
	return cols, nil
}

func hasColumn(cols []tickColumn, name string) bool {
	for _, c := range cols {
		if c.name == name {
			return true
		}
	}
	return false
}

// ParseColumnMap parses "px=price,qty=size" (table column = input name)
// into TickOptions.Columns.
func ParseColumnMap(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if kv == "" {
			continue
		}
		col, name, ok := strings.Cut(kv, "=")
		if !ok || col == "" || name == "" {
			return nil, fmt.Errorf("ingest: map %q: want column=name pairs, like px=price", kv)
		}
		m[col] = name
	}
	return m, nil
}

// inputName is the input's name for table column c.
func (o *TickOptions) inputName(c string) string {
	if n, ok := o.Columns[c]; ok {
		return n
	}
	return c
}

// SourceFromPath is the default source for a file: its base name without
// the format and compression extensions ("nyse.2026-01-05.csv.gz" ->
// "nyse.2026-01-05"), cut to the characters a source may hold.
func SourceFromPath(path string) string {
	base := filepath.Base(path)
	for {
		ext := filepath.Ext(base)
		switch strings.ToLower(ext) {
		case ".gz", ".zst", ".csv", ".ndjson", ".jsonl", ".json", ".parquet", ".arrow", ".arrows", ".ipc", ".feather":
			base = strings.TrimSuffix(base, ext)
			continue
		}
		return base
	}
}

// tsOrder counts rows whose ts is before the previous row's of the same
// symbol: accepted (markets do that) and reported.
type tsOrder struct {
	last map[string]*int64 // by symbol; a pointer, so an update never stores a key that aliases a buffer
	n    int64
}

// see records a row; sym may alias memory that changes after the call.
func (o *tsOrder) see(sym string, ts int64) {
	if last, ok := o.last[sym]; ok {
		if ts < *last {
			o.n++
		}
		*last = ts
		return
	}
	if o.last == nil {
		o.last = map[string]*int64{}
	}
	o.last[strings.Clone(sym)] = &ts
}
