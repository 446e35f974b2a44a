package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tape-ledger/tape/columnar"
	"github.com/tape-ledger/tape/columnar/clickhouse"
	"github.com/tape-ledger/tape/columnar/columnartest"
)

const benchBatchRows = 64 << 10

// benchWrites writes 64k-row batches of table (random, moderate values) and reports rows/s of Write.
func benchWrites(b *testing.B, s *clickhouse.Store, table string) {
	ctx := context.Background()
	stream, source := table, ""
	if table == "trades" {
		source = "bench"
		stream = "trades/bench"
	}
	g := columnartest.NewGen(1, true)
	template, _ := g.Batch(b, table, benchBatchRows, 1, source)
	defer template.Release()
	seqCol := map[string]int{"events": 0, "trades": 8}[table]
	var bytes int64
	for _, col := range template.Columns() {
		for _, buf := range col.Data().Buffers() {
			if buf != nil {
				bytes += int64(buf.Len())
			}
		}
	}
	b.ReportAllocs()
	b.SetBytes(bytes)
	var writeTime time.Duration
	next := uint64(1)
	rows := 0
	for b.Loop() {
		b.StopTimer()
		rec, upTo := withSeqs(template, seqCol, next, table == "events")
		next = upTo + 1
		b.StartTimer()
		start := time.Now()
		if _, err := s.Write(ctx, table, rec, stream, upTo); err != nil {
			b.Fatal(err)
		}
		writeTime += time.Since(start)
		rows += int(rec.NumRows())
		rec.Release()
	}
	b.ReportMetric(float64(rows)/writeTime.Seconds(), "rows/s")
}

// withSeqs returns template with column col renumbered from first (two rows per seq when paired, as
// transfer legs are); upTo is the last number.
func withSeqs(template arrow.RecordBatch, col int, first uint64, paired bool) (arrow.RecordBatch, uint64) {
	sb := array.NewUint64Builder(memory.DefaultAllocator)
	defer sb.Release()
	n := int(template.NumRows())
	last := first
	for i := range n {
		last = first + uint64(i)
		if paired {
			last = first + uint64(i/2)
		}
		sb.Append(last)
	}
	seqs := sb.NewArray()
	defer seqs.Release()
	cols := append([]arrow.Array(nil), template.Columns()...)
	cols[col] = seqs
	if paired { // legs 0, 1, 0, 1, ...
		lb := array.NewUint8Builder(memory.DefaultAllocator)
		defer lb.Release()
		for i := range n {
			lb.Append(uint8(i % 2))
		}
		legs := lb.NewArray()
		defer legs.Release()
		cols[1] = legs
	}
	return array.NewRecordBatch(template.Schema(), cols, int64(n)), last
}

// BenchmarkWriteEventsServer: events batches into ClickHouse 18.16 over the native protocol (legacy
// layout, LZ4).
func BenchmarkWriteEventsServer(b *testing.B) {
	benchWrites(b, openServerStore(b, startServer(b), "bench"), columnar.EventsTable.Name)
}

// BenchmarkWriteTradesServer: trades batches into ClickHouse 18.16 over the native protocol.
func BenchmarkWriteTradesServer(b *testing.B) {
	benchWrites(b, openServerStore(b, startServer(b), "bench"), columnar.TradesTable.Name)
}

// BenchmarkWriteEventsChDB: events batches into chDB (single layout, Arrow file insert).
func BenchmarkWriteEventsChDB(b *testing.B) {
	s, _, _ := openChDB(b)
	benchWrites(b, s, columnar.EventsTable.Name)
}

// BenchmarkWriteTradesChDB: trades batches into chDB.
func BenchmarkWriteTradesChDB(b *testing.B) {
	s, _, _ := openChDB(b)
	benchWrites(b, s, columnar.TradesTable.Name)
}
