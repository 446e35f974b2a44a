package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/tape-ledger/tape/internal/workload"
)

func gen(args []string) error {
	if len(args) > 0 && args[0] == "ticks" {
		return genTicks(args[1:])
	}
	if len(args) == 0 || args[0] != "commands" {
		return errors.New("usage: tape gen commands --seed S --n N [--days D] [--out FILE]\n" +
			"       tape gen ticks --seed S [--symbols N] [--days D] [--rate R] [--format csv|ndjson] --out PREFIX\n" +
			"       tape gen ticks --seed S [...] --format store [--store URL | --data DIR]\n" +
			"       tape gen ticks --seed S [...] --format http --url http://HOST:7070\n" +
			"       tape gen ticks --seed S [...] --format fix --fix-addr HOST:PORT [--fix-sender GEN --fix-target TAPE]")
	}
	fs := flag.NewFlagSet("gen commands", flag.ExitOnError)
	seed := fs.Int64("seed", 1, "seed: the same seed gives the same bytes")
	n := fs.Int("n", 10_000, "number of command lines")
	days := fs.Int("days", workload.DaysDefault, "business days the timestamps span")
	invalid := fs.Float64("invalid", workload.InvalidShareDefault, "share of deliberately invalid commands")
	out := fs.String("out", "-", "output file (- for stdout)")
	fs.Parse(args[1:])
	w := os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	stats, err := workload.Generate(bw, workload.Options{Seed: *seed, N: *n, Days: *days, InvalidShare: *invalid})
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %d commands (%d invalid on purpose)\n", stats.Lines, stats.Invalid)
	return nil
}

// genTicks writes PREFIX.trades.EXT and PREFIX.quotes.EXT.
func genTicks(args []string) error {
	fs := flag.NewFlagSet("gen ticks", flag.ExitOnError)
	seed := fs.Int64("seed", 1, "seed: the same seed gives the same bytes")
	symbols := fs.Int("symbols", workload.TickSymbolsDefault, "number of symbols")
	days := fs.Int("days", workload.TickDaysDefault, "business days (09:30-16:00 UTC)")
	rate := fs.Float64("rate", workload.TickRateDefault, "average ticks per second per symbol")
	source := fs.String("source", workload.TickSourceDefault, "value of the source column")
	format := fs.String("format", "csv", "csv, ndjson, parquet, arrow (IPC file); store (Arrow batches into the column store); "+
		"http or fix (to a running tape serve)")
	out := fs.String("out", "ticks", "output prefix: writes PREFIX.trades.FORMAT and PREFIX.quotes.FORMAT")
	storeURL := fs.String("store", "", "with --format store: "+storeFlagHelp)
	data := fs.String("data", "data", "with --format store: data directory of the default store")
	url := fs.String("url", "http://127.0.0.1:7070", "with --format http: the server's address")
	fixAddr := fs.String("fix-addr", "127.0.0.1:9878", "with --format fix: the FIX listener's address")
	fixSender := fs.String("fix-sender", "GEN", "with --format fix: SenderCompID, the source of the rows")
	fixTarget := fs.String("fix-target", "TAPE", "with --format fix: TargetCompID, the listener's CompID")
	fs.Parse(args)
	opts := workload.TickOptions{Seed: *seed, Symbols: *symbols, Days: *days, Rate: *rate, Source: *source}
	switch *format {
	case "store":
		return genTicksIntoStore(opts, *storeURL, *data)
	case "http":
		return genTicksHTTP(opts, *url)
	case "fix":
		return genTicksFIX(opts, *fixAddr, *fixSender, *fixTarget)
	case "parquet", "arrow":
		return genTicksArrowFiles(opts, *out, *format)
	}
	f, err := workload.ParseTickFormat(*format)
	if err != nil {
		return err
	}
	var files []*os.File
	var writers []*bufio.Writer
	for _, table := range []string{"trades", "quotes"} {
		file, err := os.Create(*out + "." + table + "." + f.String())
		if err != nil {
			return err
		}
		defer file.Close()
		files = append(files, file)
		writers = append(writers, bufio.NewWriterSize(file, 1<<20))
	}
	stats, err := workload.GenerateTicks(writers[0], writers[1], opts, f)
	if err != nil {
		return err
	}
	for i, w := range writers {
		if err := w.Flush(); err != nil {
			return err
		}
		if err := files[i].Close(); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "wrote %d trades and %d quotes to %s.{trades,quotes}.%s\n", stats.Trades, stats.Quotes, *out, f)
	return nil
}
