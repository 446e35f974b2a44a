//go:build duckdb_arrow

package projector

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tape-ledger/tape/columnar/duckdb"
)

// BenchmarkProject measures events projected from the tape into a DuckDB
// database file, end to end (read, decode, build Arrow, write with
// watermarks). One op projects the whole tape into a new file.
func BenchmarkProject(b *testing.B) {
	l := loadLedger(b, 300_000)
	ctx := context.Background()
	var rows int
	b.ResetTimer()
	for range b.N {
		st, err := duckdb.Open(ctx, filepath.Join(b.TempDir(), "p.duckdb"))
		if err != nil {
			b.Fatal(err)
		}
		stats, err := Project(ctx, l, st, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows += stats.EventRows
		st.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
