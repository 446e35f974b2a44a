//go:build !duckdb_arrow

package main

import (
	"errors"
	"log/slog"

	"github.com/tape-ledger/tape/ingest"
	"github.com/tape-ledger/tape/internal/server"
	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/internal/workload"
)

var errNoStore = errors.New("this tape was built without the column store: build it with -tags duckdb_arrow (make build does)")

func project([]string, *slog.Logger) error { return errNoStore }

func sqlCommand([]string) error { return errNoStore }

func ingestCommand([]string) error { return errNoStore }

func genTicksIntoStore(workload.TickOptions, string, string) error { return errNoStore }

const storeFlagHelp = "column store (this build has none: build with -tags duckdb_arrow)"

// startProjection without the column store: serve runs without projecting
// or taking ticks, unless a store was asked for.
func startProjection(storeURL, _ string, _ *tape.Ledger, log *slog.Logger, _ *server.Metrics) (ingest.TickStore, func() error, error) {
	if storeURL != "" {
		return nil, nil, errNoStore
	}
	log.Warn("built without the column store: events are not projected, ticks not taken")
	return nil, func() error { return nil }, nil
}
