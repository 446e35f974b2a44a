//go:build duckdb_arrow

package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tape-ledger/tape/columnar/duckdb"
	"github.com/tape-ledger/tape/internal/progress"
	"github.com/tape-ledger/tape/internal/projector"
	"github.com/tape-ledger/tape/internal/tape"
)

// storePath resolves --store: duckdb:///abs/path.duckdb, duckdb://rel/path,
// or, when empty, tape.duckdb in the data dir.
func storePath(store, data string) (string, error) {
	if store == "" {
		return filepath.Join(data, "tape.duckdb"), nil
	}
	u, err := url.Parse(store)
	if err != nil || u.Scheme != "duckdb" {
		return "", fmt.Errorf("--store %q: only duckdb:///path/file.duckdb is supported so far", store)
	}
	return u.Host + u.Path, nil
}

func project(args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("project", flag.ExitOnError)
	data := fs.String("data", "data", "data directory")
	store := fs.String("store", "", "column store (default: duckdb file tape.duckdb in the data dir)")
	fs.Parse(args)
	path, err := storePath(*store, *data)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	l, err := tape.Open(tape.Options{Dir: *data, Logger: log, ReadOnly: true})
	if err != nil {
		return err
	}
	defer l.Close()
	st, err := duckdb.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	bar := progress.New("projected seq", 0)
	stats, err := projector.Project(ctx, l, st, func(s projector.Stats) { bar.Update(int64(s.Seq), 0) })
	bar.Done()
	if err != nil {
		return err
	}
	fmt.Printf("projected %d events (%d rows) and %d accounts into %s; store at seq %d\n",
		stats.Events, stats.EventRows, stats.Accounts, path, stats.Seq)
	return nil
}

func sqlCommand(args []string) error {
	fs := flag.NewFlagSet("sql", flag.ExitOnError)
	data := fs.String("data", "data", "data directory (for the default store)")
	store := fs.String("store", "", "column store (default: duckdb file tape.duckdb in the data dir)")
	format := fs.String("format", "table", "table or csv")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return errors.New(`usage: tape sql [--store URL] [--format table|csv] "SELECT ..."`)
	}
	path, err := storePath(*store, *data)
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := duckdb.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := st.Query(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	defer r.Release()
	return printRows(r, *format)
}

// printRows writes an Arrow reader as an aligned table or CSV.
func printRows(r array.RecordReader, format string) error {
	var out interface {
		Write(record []string) error
		Flush()
	}
	switch format {
	case "csv":
		out = csv.NewWriter(os.Stdout)
	case "table":
		out = &tableWriter{tw: tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)}
	default:
		return fmt.Errorf("--format %q: table or csv", format)
	}
	header := make([]string, r.Schema().NumFields())
	for i, f := range r.Schema().Fields() {
		header[i] = f.Name
	}
	out.Write(header)
	for r.Next() {
		rec := r.RecordBatch()
		for row := range int(rec.NumRows()) {
			cells := make([]string, rec.NumCols())
			for c := range cells {
				col := rec.Column(c)
				if col.IsNull(row) {
					cells[c] = "NULL"
				} else {
					cells[c] = col.ValueStr(row)
				}
			}
			out.Write(cells)
		}
	}
	out.Flush()
	return r.Err()
}

type tableWriter struct{ tw *tabwriter.Writer }

func (t *tableWriter) Write(record []string) error {
	_, err := fmt.Fprintln(t.tw, strings.Join(record, "\t"))
	return err
}

func (t *tableWriter) Flush() { t.tw.Flush() }
