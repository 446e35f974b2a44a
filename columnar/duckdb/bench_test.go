//go:build duckdb_arrow

package duckdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tape-ledger/tape/columnar"
	"github.com/tape-ledger/tape/columnar/columnartest"
)

const benchBatchRows = 2 * 122_880 // the builders' batch size: two DuckDB row groups

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
	rec := columnartest.BuildRecord(b, contractSchemas["events"], rows)
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

// BenchmarkWriteEvents writes 245,760-row batches of events into a database file and compares the rate with
// DuckDB's own ceiling on the same rows: CREATE TABLE AS SELECT from a Parquet file of them.
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

	var seq uint64 = 1
	benchWrites(b, s, "events", func() (arrow.RecordBatch, string, uint64) {
		rec := events.batch(seq)
		seq += benchBatchRows / 2
		return rec, "events", seq - 1
	})
}

// BenchmarkWriteTrades writes 245,760-row batches of trades (random-walk prices of 500 symbols on a
// 1-cent grid, 4 venues) into a database file, against DuckDB's CREATE TABLE AS from Parquet of the same
// rows: the target is a ratio of at least 0.8.
func BenchmarkWriteTrades(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "tape.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	trades := newBenchTrades()
	defer trades.b.Release()
	b.ReportAllocs()
	benchWrites(b, s, "trades", func() (arrow.RecordBatch, string, uint64) {
		rec := trades.batch(benchBatchRows)
		return rec, "trades/bench", trades.seq
	})
}

// benchWrites times Write of the batches next makes, one per op, then DuckDB's ceiling on the rows stored,
// and reports both rates and their ratio.
func benchWrites(b *testing.B, s *Store, table string, next func() (arrow.RecordBatch, string, uint64)) {
	ctx := context.Background()
	var writeTime time.Duration
	var rows float64
	for b.Loop() {
		b.StopTimer()
		rec, stream, upTo := next()
		b.StartTimer()
		start := time.Now()
		if _, err := s.Write(ctx, table, rec, stream, upTo); err != nil {
			b.Fatal(err)
		}
		writeTime += time.Since(start)
		rows += float64(rec.NumRows())
		rec.Release()
	}
	b.StopTimer()
	writeRate := rows / writeTime.Seconds()
	ctasRate := benchCeiling(b, s, table, filepath.Join(b.TempDir(), table+".parquet"), rows)
	b.ReportMetric(writeRate, "rows/s")
	b.ReportMetric(ctasRate, "ceiling-rows/s")
	b.ReportMetric(writeRate/ctasRate, "ratio")
}

// benchCeiling copies table to Parquet, then times DuckDB loading it back into a new table of the same file
// (CREATE TABLE AS).
func benchCeiling(b *testing.B, s *Store, table, parquet string, rows float64) float64 {
	ctx := context.Background()
	exec := func(q string) time.Duration {
		start := time.Now()
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	exec(fmt.Sprintf(`COPY %s TO '%s' (FORMAT parquet)`, table, parquet))
	ctas := exec(fmt.Sprintf(`CREATE TABLE ceiling AS SELECT * FROM read_parquet('%s')`, parquet))
	exec(`DROP TABLE ceiling`)
	return rows / ctas.Seconds()
}

// benchTrades makes trades batches with realistic repetition: symbols, venues and sides repeat, prices
// walk on a grid, trade ids are unique.
type benchTrades struct {
	b   *columnar.TradesBuilder
	rng *rand.Rand
	px  []int64 // per symbol, in 1e-8 units
	ts  int64
	seq uint64
}

func newBenchTrades() *benchTrades {
	t := &benchTrades{b: columnar.NewTradesBuilder(), rng: rand.New(rand.NewPCG(7, 7)), px: make([]int64, 500),
		ts: tsSample}
	for i := range t.px {
		t.px[i] = (10 + t.rng.Int64N(990)) * 1e8
	}
	return t
}

var benchVenues = []string{"XNAS", "XNYS", "ARCX", "BATS"}

func (t *benchTrades) batch(rows int) arrow.RecordBatch {
	for range rows {
		sym := t.rng.IntN(len(t.px))
		t.px[sym] = max(1e6, t.px[sym]+(t.rng.Int64N(5)-2)*1e6)
		t.ts += 1 + t.rng.Int64N(2000)
		t.seq++
		side := "B"
		if t.rng.IntN(2) == 1 {
			side = "S"
		}
		t.b.Append(&columnar.Trade{Ts: t.ts, Sym: fmt.Sprintf("S%03d", sym), Px: decimal128.FromI64(t.px[sym]),
			Qty: decimal128.FromI64((1 + t.rng.Int64N(50)) * 100 * 1e8), Side: side,
			TradeID: strconv.FormatUint(t.seq, 36), Venue: benchVenues[t.rng.IntN(len(benchVenues))],
			Source: "bench", SourceSeq: t.seq})
	}
	return t.b.NewRecord()
}
