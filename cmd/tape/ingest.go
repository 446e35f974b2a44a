//go:build duckdb_arrow

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/tape-ledger/tape/ingest"
	"github.com/tape-ledger/tape/internal/progress"
)

func ingestCommand(args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ExitOnError)
	data := fs.String("data", "data", "data directory (for the default store)")
	storeURL := fs.String("store", "", storeFlagHelp)
	kind := fs.String("kind", "", "trades or quotes")
	mapping := fs.String("map", "", "column names of the input: px=price,qty=size,...")
	timeFormat := fs.String("time", "rfc3339", "ts format: rfc3339, or epoch s, ms, us, ns")
	source := fs.String("source", "", "source of rows whose input has no source column (default: the file name)")
	skipBad := fs.Bool("skip-bad-rows", false, "write bad rows to the reject file and go on")
	rejects := fs.String("rejects", "rejects.txt", "with --skip-bad-rows: where bad rows go, with their reason")
	fs.Parse(args)
	if fs.NArg() == 0 || *kind == "" {
		return errors.New("usage: tape ingest [--store URL] --kind trades|quotes [--map px=price,...] [--time rfc3339|s|ms|us|ns] " +
			"[--source NAME] [--skip-bad-rows [--rejects FILE]] FILE...")
	}
	o := ingest.TickOptions{Table: *kind, Source: *source, SkipBadRows: *skipBad}
	var err error
	if o.Columns, err = ingest.ParseColumnMap(*mapping); err != nil {
		return err
	}
	if o.Time, err = ingest.ParseTimeFormat(*timeFormat); err != nil {
		return err
	}
	for _, path := range fs.Args() { // every file's format is known before anything is stored
		if _, _, err := ingest.FormatOf(path); err != nil {
			return err
		}
	}
	if *skipBad {
		f, err := os.Create(*rejects)
		if err != nil {
			return err
		}
		defer f.Close()
		o.Rejects = f
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	st, name, err := openStore(ctx, *storeURL, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	var total ingest.TickStats
	start := time.Now()
	for _, path := range fs.Args() {
		s, err := ingestFile(ctx, st, path, o)
		total = addStats(total, s)
		if err != nil {
			return err
		}
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "ingested %d %s rows from %d file(s) into %s in %.1f s (%.0f rows/s): %d stored, %d stored before, "+
		"%d bad, %d out of order by ts within their symbol\n", total.Rows, *kind, fs.NArg(), name, secs,
		float64(total.Rows)/secs, total.Stored, total.Skipped, total.Bad, total.OutOfOrder)
	if total.Bad > 0 {
		fmt.Fprintf(os.Stderr, "bad rows are in %s\n", *rejects)
	}
	return nil
}

func ingestFile(ctx context.Context, st store, path string, o ingest.TickOptions) (ingest.TickStats, error) {
	f, err := ingest.OpenTickFile(ctx, path, o, ingest.StoreWatermark(ctx, st))
	if err != nil {
		return ingest.TickStats{}, err
	}
	defer f.Close()
	bar := progress.New("rows of "+path, f.Size)
	stats, err := ingest.WriteTicks(ctx, f.TickReader, st, func(s ingest.TickStats) { bar.Update(s.Rows, f.Read()) })
	bar.Done()
	return stats, err
}

func addStats(a, b ingest.TickStats) ingest.TickStats {
	return ingest.TickStats{Rows: a.Rows + b.Rows, Stored: a.Stored + b.Stored, Skipped: a.Skipped + b.Skipped,
		Bad: a.Bad + b.Bad, OutOfOrder: a.OutOfOrder + b.OutOfOrder}
}
