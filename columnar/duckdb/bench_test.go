//go:build duckdb_arrow

package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const benchBatchRows = 64 << 10

// benchEvents is a batch of transfer legs (two per seq) with seqs from first on: realistic widths for
// every column.
type benchEvents struct {
	template arrow.RecordBatch // all columns but seq
	rows     int
	bytes    int64 // Arrow buffer bytes of one batch
}

func newBenchEvents(b *testing.B, rowsN int) *benchEvents {
	rows := make([][]any, rowsN)
	for i := range rows {
		side, amount := "debit", "-12.340000000000000000"
		if i%2 == 1 {
			side, amount = "credit", "12.340000000000000000"
		}
		rows[i] = []any{uint64(0), uint8(i % 2), tsSample + int64(i)*1000, fmt.Sprintf("cmd-%08d", i/2),
			"transfer_posted", fmt.Sprintf("acct-%05d", i%10000), side, "USD", "12.340000000000000000", amount,
			"1000.000000000000000000", "987.660000000000000000", "0", "0", nil, nil, nil, nil, nil,
			hashOf(fmt.Sprint(i))}
	}
	rec := buildRecord(b, contractSchemas["events"], rows)
	var n int64
	for _, col := range rec.Columns() {
		for _, buf := range col.Data().Buffers() {
			if buf != nil {
				n += int64(buf.Len())
			}
		}
	}
	return &benchEvents{template: rec, rows: rowsN, bytes: n}
}

// batch returns the template with seqs first, first, first+1, first+1, ...
func (e *benchEvents) batch(first uint64) arrow.RecordBatch {
	sb := array.NewUint64Builder(memory.DefaultAllocator)
	defer sb.Release()
	sb.Reserve(e.rows)
	for i := range e.rows {
		sb.UnsafeAppend(first + uint64(i/2))
	}
	seq := sb.NewArray()
	defer seq.Release()
	cols := append([]arrow.Array{seq}, e.template.Columns()[1:]...)
	return array.NewRecordBatch(e.template.Schema(), cols, int64(e.rows))
}

// BenchmarkWriteEvents writes 64k-row batches of events into a database file and compares the rate with
// DuckDB's own ceiling on the same rows: CREATE TABLE AS SELECT from a Parquet file (no key), and
// INSERT from the same file into a table with the events key.
func BenchmarkWriteEvents(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	s, err := Open(ctx, filepath.Join(dir, "tape.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	events := newBenchEvents(b, benchBatchRows)
	defer events.template.Release()
	b.ReportAllocs()
	b.SetBytes(events.bytes)

	var writeTime time.Duration
	var seq uint64 = 1
	for b.Loop() {
		b.StopTimer()
		rec := events.batch(seq)
		seq += benchBatchRows / 2
		b.StartTimer()
		start := time.Now()
		if _, err := s.Write(ctx, "events", rec, "events", seq-1); err != nil {
			b.Fatal(err)
		}
		writeTime += time.Since(start)
		rec.Release()
	}
	b.StopTimer()
	rows := float64(b.N) * benchBatchRows
	writeRate := rows / writeTime.Seconds()
	b.ReportMetric(writeRate, "rows/s")

	ctasRate, pkRate := benchCeiling(b, s, filepath.Join(dir, "events.parquet"), rows)
	b.ReportMetric(ctasRate, "ceiling-rows/s")
	b.ReportMetric(writeRate/ctasRate, "ratio")
	b.ReportMetric(pkRate, "parquet-pk-rows/s")
}

// benchCeiling copies the events table to Parquet, then times DuckDB loading it back: into a new table
// (CREATE TABLE AS, no key) and into a copy of events with its key.
func benchCeiling(b *testing.B, s *Store, parquet string, rows float64) (ctasRate, pkRate float64) {
	ctx := context.Background()
	exec := func(q string) time.Duration {
		start := time.Now()
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	exec(fmt.Sprintf(`COPY events TO '%s' (FORMAT parquet)`, parquet))
	ctas := exec(fmt.Sprintf(`CREATE TABLE ceiling AS SELECT * FROM read_parquet('%s')`, parquet))
	exec(`CREATE TABLE ceiling_pk AS SELECT * FROM events LIMIT 0`)
	exec(`ALTER TABLE ceiling_pk ADD PRIMARY KEY (seq, leg)`)
	pk := exec(fmt.Sprintf(`INSERT INTO ceiling_pk SELECT * FROM read_parquet('%s')`, parquet))
	exec(`DROP TABLE ceiling`)
	exec(`DROP TABLE ceiling_pk`)
	return rows / ctas.Seconds(), rows / pk.Seconds()
}
