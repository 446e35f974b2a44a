//go:build duckdb_arrow

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/tape-ledger/tape/internal/progress"
	"github.com/tape-ledger/tape/internal/projector"
	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/internal/workload"
)

func project(args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("project", flag.ExitOnError)
	data := fs.String("data", "data", "data directory")
	storeURL := fs.String("store", "", storeFlagHelp)
	fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	l, err := tape.Open(tape.Options{Dir: *data, Logger: log, ReadOnly: true})
	if err != nil {
		return err
	}
	defer l.Close()
	st, name, err := openStore(ctx, *storeURL, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	bar := progress.New("projected seq", int64(l.Seq()))
	stats, err := projector.Project(ctx, l, st, func(s projector.Stats) { bar.Update(int64(s.Seq), int64(s.Seq)) })
	bar.Done()
	if err != nil {
		return err
	}
	fmt.Printf("projected %d events (%d rows), %d accounts and %d snapshot rows into %s; store at seq %d\n",
		stats.Events, stats.EventRows, stats.Accounts, stats.SnapshotRows, name, l.Seq())
	return nil
}

func sqlCommand(args []string) error {
	fs := flag.NewFlagSet("sql", flag.ExitOnError)
	data := fs.String("data", "data", "data directory (for the default store)")
	storeURL := fs.String("store", "", storeFlagHelp)
	format := fs.String("format", "table", "table, csv, json (an array of objects) or arrow (an Arrow IPC stream)")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return errors.New(`usage: tape sql [--store URL] [--format table|csv|json|arrow] "SELECT ..."`)
	}
	out, err := newRowWriter(os.Stdout, *format)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	st, _, err := openStore(ctx, *storeURL, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := st.Query(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	defer r.Release()
	return out.copy(r)
}

// genTicksIntoStore generates ticks as Arrow batches and writes them into
// the store, each batch exactly once: running it again with the same
// options stores nothing new.
func genTicksIntoStore(opts workload.TickOptions, storeURL, data string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	st, name, err := openStore(ctx, storeURL, data)
	if err != nil {
		return err
	}
	defer st.Close()
	source := opts.Source
	if source == "" {
		source = workload.TickSourceDefault
	}
	bar := progress.New("ticks", 0)
	var rows, skipped int64
	stats, err := workload.GenerateTickBatches(opts, func(b workload.TickBatch) error {
		defer b.Rec.Release()
		skip, err := st.Write(ctx, b.Table, b.Rec, b.Table+"/"+source, b.UpTo)
		if skip {
			skipped += b.Rec.NumRows()
		}
		rows += b.Rec.NumRows()
		bar.Update(rows, 0)
		return err
	})
	bar.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "generated %d trades and %d quotes (source %q) into %s; %d rows were there already\n",
		stats.Trades, stats.Quotes, source, name, skipped)
	return nil
}
