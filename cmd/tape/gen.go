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
	if len(args) == 0 || args[0] != "commands" {
		return errors.New("usage: tape gen commands --seed S --n N [--days D] [--out FILE]")
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
