//go:build duckdb_arrow

package main

import (
	"bufio"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/tape-ledger/tape/columnar"
	"github.com/tape-ledger/tape/query"
)

// rowWriter prints query results in one of tape sql's formats.
type rowWriter struct {
	w      io.Writer
	format string
}

func newRowWriter(w io.Writer, format string) (*rowWriter, error) {
	switch format {
	case "table", "csv", "json", "arrow":
		return &rowWriter{w: w, format: format}, nil
	}
	return nil, fmt.Errorf("--format %q: want table, csv, json or arrow", format)
}

// copy writes every batch of r; an Arrow stream keeps the types, the text
// formats write decimals exactly, timestamps in RFC 3339 with nanoseconds
// and binary in hex.
func (o *rowWriter) copy(r array.RecordReader) error {
	if o.format == "arrow" {
		w := ipc.NewWriter(o.w, ipc.WithSchema(r.Schema()))
		for r.Next() {
			if err := w.Write(r.RecordBatch()); err != nil {
				return err
			}
		}
		return joinErr(r.Err(), w.Close())
	}
	bw := bufio.NewWriter(o.w)
	var out interface {
		header(names []string)
		row(rec arrow.RecordBatch, i int)
		end() error
	}
	switch o.format {
	case "csv":
		out = &csvOut{w: csv.NewWriter(bw)}
	case "json":
		out = &jsonOut{w: bw}
	default:
		out = &tableOut{w: tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)}
	}
	names := make([]string, r.Schema().NumFields())
	for i, f := range r.Schema().Fields() {
		names[i] = f.Name
	}
	out.header(names)
	for r.Next() {
		rec := r.RecordBatch()
		for i := range int(rec.NumRows()) {
			out.row(rec, i)
		}
	}
	return joinErr(r.Err(), out.end(), bw.Flush())
}

func joinErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// cellText is a value as the text formats print it; ok is false for null.
func cellText(col arrow.Array, i int) (s string, ok bool) {
	if col.IsNull(i) {
		return "", false
	}
	switch c := col.(type) {
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		return time.Unix(0, int64(c.Value(i))*int64(unit.Multiplier())).UTC().Format(time.RFC3339Nano), true
	case *array.Binary:
		return hex.EncodeToString(c.Value(i)), true
	case *array.FixedSizeBinary:
		return hex.EncodeToString(c.Value(i)), true
	case *array.Decimal128:
		return columnar.DecimalText(c.Value(i), int(c.DataType().(*arrow.Decimal128Type).Scale)), true
	}
	return col.ValueStr(i), true
}

type tableOut struct {
	w    *tabwriter.Writer
	cell []string
}

func (t *tableOut) header(names []string) { fmt.Fprintln(t.w, strings.Join(names, "\t")) }

func (t *tableOut) row(rec arrow.RecordBatch, i int) {
	t.cell = t.cell[:0]
	for _, col := range rec.Columns() {
		s, ok := cellText(col, i)
		if !ok {
			s = "NULL"
		}
		t.cell = append(t.cell, s)
	}
	fmt.Fprintln(t.w, strings.Join(t.cell, "\t"))
}

func (t *tableOut) end() error { return t.w.Flush() }

type csvOut struct {
	w    *csv.Writer
	cell []string
}

func (c *csvOut) header(names []string) { c.w.Write(names) }

func (c *csvOut) row(rec arrow.RecordBatch, i int) {
	c.cell = c.cell[:0]
	for _, col := range rec.Columns() {
		s, _ := cellText(col, i) // null is an empty field
		c.cell = append(c.cell, s)
	}
	c.w.Write(c.cell)
}

func (c *csvOut) end() error {
	c.w.Flush()
	return c.w.Error()
}

// jsonOut writes an array of objects: integers and booleans as JSON
// numbers and booleans, everything else (decimals included, so no digit is
// lost to a float) as strings, null as null.
type jsonOut struct {
	w     *bufio.Writer
	names [][]byte
	rows  int
	buf   []byte
}

func (j *jsonOut) header(names []string) {
	for _, n := range names {
		j.names = append(j.names, query.AppendJSONString(nil, n))
	}
	j.w.WriteString("[")
}

func (j *jsonOut) row(rec arrow.RecordBatch, i int) {
	b := j.buf[:0]
	if j.rows > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n{"...)
	for c, col := range rec.Columns() {
		if c > 0 {
			b = append(b, ',')
		}
		b = append(b, j.names[c]...)
		b = append(b, ':')
		b = appendJSONCell(b, col, i)
	}
	j.buf = append(b, '}')
	j.w.Write(j.buf)
	j.rows++
}

func appendJSONCell(b []byte, col arrow.Array, i int) []byte {
	if col.IsNull(i) {
		return append(b, "null"...)
	}
	switch c := col.(type) {
	case *array.Int8, *array.Int16, *array.Int32, *array.Int64,
		*array.Uint8, *array.Uint16, *array.Uint32, *array.Uint64:
		return append(b, c.ValueStr(i)...)
	case *array.Boolean:
		return strconv.AppendBool(b, c.Value(i))
	}
	s, _ := cellText(col, i)
	return query.AppendJSONString(b, s)
}

func (j *jsonOut) end() error {
	_, err := j.w.WriteString("\n]\n")
	return err
}
