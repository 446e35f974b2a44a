//go:build duckdb_arrow

package projector

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // database/sql driver for the ceiling

	"github.com/tape-ledger/tape/columnar/duckdb"
	"github.com/tape-ledger/tape/internal/tapetest"
)

// BenchmarkProject measures events projected from the tape into a DuckDB
// database file, end to end (read, decode, build Arrow, write with
// watermarks, close). One op projects the whole tape into a new file. It
// also reports DuckDB's own ceiling for the same rows in the same run:
// CREATE TABLE AS from a Parquet file of the projected events table.
func BenchmarkProject(b *testing.B) {
	l := tapetest.LoadLedger(b, 3, 300_000)
	ctx := context.Background()
	var rows int
	var path string
	for b.Loop() {
		path = filepath.Join(b.TempDir(), "p.duckdb")
		st, err := duckdb.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		stats, err := Project(ctx, l, st, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows += stats.EventRows
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(rows) / b.Elapsed().Seconds()
	ceiling := ceilingRate(b, path, rows/b.N)
	b.ReportMetric(rate, "rows/s")
	b.ReportMetric(ceiling, "ceiling-rows/s")
	b.ReportMetric(rate/ceiling, "ratio")
}

// ceilingRate exports the events table of the database at path to Parquet
// and times DuckDB's CREATE TABLE AS of it into a new database file.
func ceilingRate(b *testing.B, path string, rows int) float64 {
	dir := b.TempDir()
	parquet := filepath.Join(dir, "events.parquet")
	exec := func(db string, q string) time.Duration {
		conn, err := sql.Open("duckdb", db)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		if _, err := conn.Exec(q); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	exec(path, fmt.Sprintf(`COPY events TO '%s' (FORMAT parquet)`, parquet))
	d := exec(filepath.Join(dir, "ceiling.duckdb"), fmt.Sprintf(`CREATE TABLE events AS SELECT * FROM read_parquet('%s')`, parquet))
	return float64(rows) / d.Seconds()
}
