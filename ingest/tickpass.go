package ingest

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tape-ledger/tape/columnar"
)

// passSource hands on Arrow batches that already have the table's schema
// (what Tape itself writes, and any client that builds the contract's
// types): they are validated whole and passed on without a copy, gathered
// until a batch of the builders' size. Only rows that are stored already
// are cut off, by slicing: keys increase within a stream.
type passSource struct {
	rr     array.RecordReader
	name   string
	table  columnar.Table
	mark   Watermark
	stream string
	after  uint64 // the stream's watermark, then the last key handed out
	row    int64  // rows read
	parts  []arrow.RecordBatch
	n      int64
	order  tsOrder
	stats  TickStats
	done   bool
}

// passThrough reports whether batches of schema can be passed on whole.
func passThrough(t columnar.Table, schema *arrow.Schema, o TickOptions) bool {
	if len(o.Columns) > 0 || o.SkipBadRows || schema.NumFields() != t.Schema.NumFields() {
		return false
	}
	for i, f := range t.Schema.Fields() {
		g := schema.Field(i)
		if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) {
			return false
		}
	}
	return true
}

// next returns the next gathered batch, io.EOF after the last.
func (p *passSource) next() (TickBatch, error) {
	for !p.done && p.n < columnar.BatchRowsMax {
		if !p.rr.Next() {
			if err := p.rr.Err(); err != nil && !errors.Is(err, io.EOF) {
				return TickBatch{}, fmt.Errorf("ingest: %s: %w", p.name, err)
			}
			p.done = true
			break
		}
		if err := p.take(p.rr.RecordBatch()); err != nil {
			return TickBatch{}, err
		}
	}
	if p.n == 0 {
		return TickBatch{}, io.EOF
	}
	var carry arrow.RecordBatch // rows beyond the batch size wait for the next batch
	if p.n > columnar.BatchRowsMax {
		last := p.parts[len(p.parts)-1]
		keep := last.NumRows() - (p.n - columnar.BatchRowsMax)
		p.parts[len(p.parts)-1], carry = last.NewSlice(0, keep), last.NewSlice(keep, last.NumRows())
		last.Release()
	}
	rec, err := columnar.Concat(p.parts)
	p.release()
	if carry != nil {
		p.parts, p.n = append(p.parts, carry), carry.NumRows()
	}
	if err != nil {
		return TickBatch{}, err
	}
	p.stats.Stored += rec.NumRows()
	seqs := rec.Column(rec.Schema().FieldIndices("source_seq")[0]).(*array.Uint64)
	return TickBatch{Table: p.table.Name, Stream: p.stream, Rec: rec, UpTo: seqs.Value(seqs.Len() - 1)}, nil
}

// take checks one input batch and keeps the rows not stored yet.
func (p *passSource) take(rec arrow.RecordBatch) error {
	first := p.row
	p.row += rec.NumRows()
	p.stats.Rows += rec.NumRows()
	if rec.NumRows() == 0 {
		return nil
	}
	bad := func(row int64, column, reason string) error {
		return &RowError{Name: p.name, Row: first + row + 1, Column: column, Reason: reason}
	}
	if err := columnar.Validate(p.table, rec); err != nil {
		var ve *columnar.ValidationError
		if errors.As(err, &ve) {
			return bad(max(ve.Row, 0), ve.Column, ve.Reason)
		}
		return err
	}
	sources := rec.Column(rec.Schema().FieldIndices("source")[0]).(*array.String)
	seqs := rec.Column(rec.Schema().FieldIndices("source_seq")[0]).(*array.Uint64)
	if p.stream == "" {
		p.stream = p.table.Name + "/" + sources.Value(0)
		if p.mark != nil {
			w, err := p.mark(p.stream)
			if err != nil {
				return fmt.Errorf("ingest: %s: watermark of %s: %w", p.name, p.stream, err)
			}
			p.after = w
		}
	}
	source := p.stream[len(p.table.Name)+1:]
	skip := int64(0)
	for i := range seqs.Len() {
		if sources.Value(i) != source {
			return bad(int64(i), "source", "a second source in one input (the first was "+strconv.Quote(source)+")")
		}
		s := seqs.Value(i)
		if i > 0 && s <= seqs.Value(i-1) {
			return bad(int64(i), "source_seq", "source_seq not above the previous row's")
		}
		if s <= p.after {
			skip = int64(i) + 1 // stored before: keys increase, so a prefix
		}
	}
	p.stats.Skipped += skip
	if skip == rec.NumRows() {
		return nil
	}
	p.countOutOfOrder(rec, skip)
	part := rec.NewSlice(skip, rec.NumRows())
	p.parts = append(p.parts, part)
	p.n += part.NumRows()
	p.after = seqs.Value(seqs.Len() - 1)
	return nil
}

func (p *passSource) countOutOfOrder(rec arrow.RecordBatch, from int64) {
	ts := rec.Column(0).(*array.Timestamp)
	syms := rec.Column(1).(*array.String)
	for i := int(from); i < ts.Len(); i++ {
		p.order.see(syms.Value(i), int64(ts.Value(i)))
	}
	p.stats.OutOfOrder = p.order.n
}

func (p *passSource) release() {
	for _, r := range p.parts {
		r.Release()
	}
	p.parts, p.n = p.parts[:0], 0
}
