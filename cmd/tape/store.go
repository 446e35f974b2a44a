//go:build duckdb_arrow

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tape-ledger/tape/columnar/clickhouse"
	"github.com/tape-ledger/tape/columnar/duckdb"
	"github.com/tape-ledger/tape/ingest"
	"github.com/tape-ledger/tape/internal/projector"
	"github.com/tape-ledger/tape/internal/tape"
)

// store is a column store as the commands use it.
type store interface {
	projector.Store
	Query(ctx context.Context, query string, args ...any) (array.RecordReader, error)
	Close() error
}

const storeFlagHelp = "column store: duckdb:///path/file.duckdb[?memory_limit=512MB] or clickhouse://host:9000/db?... " +
	"(default: the DuckDB file tape.duckdb in the data dir)"

// openStore opens the store --store names; empty means tape.duckdb in the
// data dir. It returns the store and a name for messages (no password).
func openStore(ctx context.Context, storeURL, data string) (store, string, error) {
	if storeURL == "" {
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, "", err
		}
		path := filepath.Join(data, "tape.duckdb")
		st, err := duckdb.Open(ctx, path)
		return st, path, err
	}
	u, err := url.Parse(storeURL)
	if err != nil {
		return nil, "", fmt.Errorf("--store: not a URL (%v)", err.(*url.Error).Err)
	}
	switch u.Scheme {
	case "duckdb":
		path := u.Host + u.Path // duckdb:///abs/file or duckdb://rel/file
		q := u.Query()
		opts := duckdb.Options{MemoryLimit: q.Get("memory_limit")}
		q.Del("memory_limit")
		if path == "" || len(q) > 0 {
			return nil, "", fmt.Errorf("--store %q: want duckdb:///path/file.duckdb[?memory_limit=512MB]", storeURL)
		}
		st, err := duckdb.OpenWith(ctx, path, opts)
		return st, path, err
	case "clickhouse":
		opts, err := clickhouse.ParseURL(storeURL)
		if err != nil {
			return nil, "", err
		}
		opts.Logger = slog.Default()
		st, err := clickhouse.Open(ctx, opts)
		return st, u.Redacted(), err
	}
	return nil, "", fmt.Errorf("--store %s: unknown scheme %q (want duckdb or clickhouse)", u.Redacted(), u.Scheme)
}

// projectionMetrics is what follow reports (server.Metrics).
type projectionMetrics interface {
	Projected(seq uint64)
	ProjectionFailed()
}

// follow projects the tape into st until ctx ends: after each pass it waits
// for new records, and after a failure (a store connection lost) it retries
// with backoff, resuming from the store's watermarks.
func follow(ctx context.Context, l *tape.Ledger, st store, name string, log *slog.Logger, m projectionMetrics) {
	const idle, backoffMax = 200 * time.Millisecond, 30 * time.Second
	backoff := time.Second
	var done uint64 // the tape's seq when the last good pass started
	for ctx.Err() == nil {
		target := l.Seq()
		if target == done {
			sleep(ctx, idle)
			continue
		}
		stats, err := projector.Project(ctx, l, st, func(s projector.Stats) { m.Projected(s.Seq) })
		switch {
		case ctx.Err() != nil:
		case err != nil:
			m.ProjectionFailed()
			log.Warn("projection failed; retrying", "store", name, "err", err, "retry_in", backoff.String())
			sleep(ctx, backoff)
			backoff = min(2*backoff, backoffMax)
		default:
			if stats.Events > 0 {
				log.Debug("projected", "store", name, "events", stats.Events, "seq", stats.Seq)
			}
			done, backoff = target, time.Second
			m.Projected(target)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// startProjection opens the store and follows the tape into it in the
// background; it returns the store for tick ingest, and stop, which ends
// the projection and closes the store.
func startProjection(storeURL, data string, l *tape.Ledger, log *slog.Logger, m projectionMetrics) (st ingest.TickStore, stop func() error, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	s, name, err := openStore(ctx, storeURL, data)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	log.Info("projecting into the column store", "store", name)
	done := make(chan struct{})
	go func() {
		defer close(done)
		follow(ctx, l, s, name, log, m)
	}()
	return s, func() error {
		cancel()
		<-done
		return s.Close()
	}, nil
}
