//go:build duckdb_arrow

package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/tape-ledger/tape/columnar/duckdb"
	"github.com/tape-ledger/tape/ingest"
	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/internal/workload"
)

// BenchmarkPostTicksArrow posts about 2 million generated trades as one
// Arrow IPC stream body to POST /v1/ticks/trades (a real HTTP server on
// loopback, a DuckDB file store) and, in the same run, ingests the same rows
// from an Arrow IPC file on disk the way tape ingest does. Targets: at
// least 1 million rows/s over HTTP, and at least 0.7 of the file path.
func BenchmarkPostTicksArrow(b *testing.B) {
	var body bytes.Buffer
	var w *ipc.Writer
	var rows int64
	if _, err := workload.GenerateTickBatches(workload.TickOptions{Seed: 1, Symbols: 100, Rate: 4.3, Source: "bench"},
		func(tb workload.TickBatch) error {
			defer tb.Rec.Release()
			if tb.Table != "trades" {
				return nil
			}
			if w == nil {
				w = ipc.NewWriter(&body, ipc.WithSchema(tb.Rec.Schema()))
			}
			rows += tb.Rec.NumRows()
			return w.Write(tb.Rec)
		}); err != nil {
		b.Fatal(err)
	}
	w.Close()
	ctx := context.Background()
	var httpTime time.Duration
	for b.Loop() {
		st, err := duckdb.Open(ctx, filepath.Join(b.TempDir(), "h.duckdb"))
		if err != nil {
			b.Fatal(err)
		}
		l, err := tape.Open(tape.Options{Dir: b.TempDir(), NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		m := NewMetrics()
		srv := httptest.NewServer(New(Config{Ticks: st}, l, slog.New(slog.DiscardHandler), m))
		start := time.Now()
		resp, err := http.Post(srv.URL+"/v1/ticks/trades", "application/vnd.apache.arrow.stream", bytes.NewReader(body.Bytes()))
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("post: %v %v", err, resp)
		}
		resp.Body.Close()
		httpTime += time.Since(start)
		srv.Close()
		l.Close()
		st.Close()
	}
	httpRate := float64(rows) * float64(b.N) / httpTime.Seconds()
	fileRate := arrowFileRate(b, body.Bytes(), rows)
	b.ReportMetric(httpRate, "rows/s")
	b.ReportMetric(fileRate, "file-rows/s")
	b.ReportMetric(httpRate/fileRate, "ratio")
}

// arrowFileRate writes the stream to a .arrows file and times tape ingest's
// path over it into a new DuckDB file.
func arrowFileRate(b *testing.B, stream []byte, rows int64) float64 {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "trades.arrows")
	if err := os.WriteFile(path, stream, 0o644); err != nil {
		b.Fatal(err)
	}
	st, err := duckdb.Open(ctx, filepath.Join(b.TempDir(), "f.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	f, err := ingest.OpenTickFile(ctx, path, ingest.TickOptions{Table: "trades"}, ingest.StoreWatermark(ctx, st))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	stats, err := ingest.WriteTicks(ctx, f.TickReader, st, nil)
	if err != nil || stats.Stored != rows {
		b.Fatalf("file path stored %d of %d rows: %v", stats.Stored, rows, err)
	}
	return float64(rows) / time.Since(start).Seconds()
}
