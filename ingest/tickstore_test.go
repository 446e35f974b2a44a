//go:build duckdb_arrow

package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tape-ledger/tape/columnar/columnartest"
	"github.com/tape-ledger/tape/columnar/duckdb"
)

// Every format goes into a DuckDB store and comes back as the generator's
// rows, cell for cell; ingesting the file again stores nothing.
func TestTickFilesIntoStore(t *testing.T) {
	f := newTickFixture(t)
	dir := t.TempDir()
	ctx := context.Background()
	for _, tc := range []struct {
		ext       string
		format    TickFormat
		arrowFile bool
	}{{".csv", FormatCSV, false}, {".ndjson", FormatNDJSON, false}, {".parquet", FormatParquet, false}, {".arrow", FormatArrow, true}} {
		for _, table := range []string{"trades", "quotes"} {
			t.Run(table+tc.ext, func(t *testing.T) {
				path := filepath.Join(dir, table+tc.ext)
				out, err := os.Create(path)
				if err != nil {
					t.Fatal(err)
				}
				f.encode(t, out, table, tc.format, tc.arrowFile)
				out.Close()
				st, err := duckdb.Open(ctx, ":memory:")
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				for round := range 2 {
					tf, err := OpenTickFile(ctx, path, TickOptions{Table: table}, StoreWatermark(ctx, st))
					if err != nil {
						t.Fatal(err)
					}
					stats, err := WriteTicks(ctx, tf.TickReader, st, nil)
					tf.Close()
					if err != nil {
						t.Fatal(err)
					}
					if round == 1 && (stats.Stored != 0 || stats.Skipped != stats.Rows) {
						t.Errorf("second ingest: %+v", stats)
					}
				}
				var want [][]any
				for _, b := range f.batches[table] {
					want = append(want, columnartest.Cells(t, b)...)
				}
				_, got := columnartest.QueryAll(t, st, "SELECT * FROM "+table+" ORDER BY source_seq")
				columnartest.SameRows(t, table+tc.ext, got, want)
			})
		}
	}
}
