//go:build duckdb_arrow

package ingest

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tape-ledger/tape/columnar/duckdb"
	"github.com/tape-ledger/tape/internal/workload"
)

// benchTradesCSV writes about rows trades of the generator to a CSV file.
func benchTradesCSV(b *testing.B, rows int) (string, int64) {
	path := filepath.Join(b.TempDir(), "trades.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	// 20% of the ticks are trades: rate r per symbol over a 23,400 s session.
	st, err := workload.GenerateTicks(w, nil, workload.TickOptions{Seed: 1, Symbols: 100,
		Rate: float64(rows) / 0.2 / 23400 / 100}, workload.TickCSV)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path, st.Trades
}

// BenchmarkCSVIntoDuckDB loads a trades CSV file into a DuckDB database
// file through the tick reader and the store (exactly once, validated), and
// compares with DuckDB's own typed read_csv of the same file into a new
// database file, in the same run. The target is a ratio of 0.7.
func BenchmarkCSVIntoDuckDB(b *testing.B) {
	path, rows := benchTradesCSV(b, 2_000_000)
	ctx := context.Background()
	var elapsed time.Duration
	for b.Loop() {
		st, err := duckdb.Open(ctx, filepath.Join(b.TempDir(), "t.duckdb"))
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := NewCSVTicks(f, path, TickOptions{Table: "trades"}, StoreWatermark(ctx, st))
		if err != nil {
			b.Fatal(err)
		}
		stats, err := WriteTicks(ctx, r, st, nil)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		if stats.Stored != rows {
			b.Fatalf("stored %d of %d rows", stats.Stored, rows)
		}
	}
	rate := float64(rows) * float64(b.N) / elapsed.Seconds()
	ceiling := readCSVRate(b, path, rows)
	b.ReportMetric(rate, "rows/s")
	b.ReportMetric(ceiling, "read_csv-rows/s")
	b.ReportMetric(rate/ceiling, "ratio")
}

// readCSVRate times DuckDB's typed read_csv of path into a new database
// file.
func readCSVRate(b *testing.B, path string, rows int64) float64 {
	db, err := sql.Open("duckdb", filepath.Join(b.TempDir(), "ceiling.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	_, err = db.Exec(fmt.Sprintf(`CREATE TABLE trades AS SELECT * FROM read_csv('%s', header = true,
		columns = {'ts': 'TIMESTAMP_NS', 'sym': 'VARCHAR', 'px': 'DECIMAL(18,8)', 'qty': 'DECIMAL(18,8)',
			'side': 'VARCHAR', 'trade_id': 'VARCHAR', 'venue': 'VARCHAR', 'source': 'VARCHAR', 'source_seq': 'UBIGINT'})`, path))
	if err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM trades`).Scan(&n); err != nil || n != rows {
		b.Fatalf("read_csv loaded %d of %d rows (%v)", n, rows, err)
	}
	return float64(rows) / d.Seconds()
}
