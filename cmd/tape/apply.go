package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tape-ledger/tape/ingest"
	"github.com/tape-ledger/tape/internal/progress"
	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/ledgercore"
)

// applyBatch is how many commands apply hands the sequencer at once.
const applyBatch = 4096

func apply(args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("apply", flag.ExitOnError)
	data := fs.String("data", "data", "data directory")
	noSync := fs.Bool("no-sync", false, "skip fsync (tests and benchmarks only: a crash loses data)")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return errors.New("usage: tape apply --data DIR FILE|-")
	}
	path, cleanup, err := spoolStdin(fs.Arg(0), *data)
	if err != nil {
		return err
	}
	defer cleanup()
	// First pass: the whole file must decode, so that a bad line applies
	// nothing.
	lines, err := checkFile(path)
	if err != nil {
		return err
	}
	l, err := tape.Open(tape.Options{Dir: *data, Logger: log, NoSync: *noSync})
	if err != nil {
		return err
	}
	counts, err := applyFile(l, path, lines)
	var h [32]byte
	var seq uint64
	l.View(func(s *ledgercore.State) { h, seq = ledgercore.StateHash(s), s.Seq })
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Printf("applied %d commands: %d accepted, %d rejected, %d duplicate\nseq %d\nstate hash %s\n",
		lines, counts[tape.Accepted], counts[tape.Rejected], counts[tape.Duplicate], seq, hex.EncodeToString(h[:]))
	return nil
}

// spoolStdin copies "-" to a file in the data dir, since apply reads its
// input twice.
func spoolStdin(arg, data string) (string, func(), error) {
	if arg != "-" {
		return arg, func() {}, nil
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		return "", nil, err
	}
	f, err := os.CreateTemp(data, "stdin-*.ndjson")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.Remove(f.Name()) }
	_, err = io.Copy(f, os.Stdin)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return f.Name(), cleanup, nil
}

// checkFile decodes every line and returns how many commands there are, or
// the first error with file and line.
func checkFile(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	dec := ingest.NewCommandDecoder(bufio.NewReaderSize(f, 1<<20))
	n := 0
	for {
		_, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("%s: %w (nothing was applied)", filepath.Base(path), err)
		}
		n++
	}
}

// applyFile sequences the file's commands in batches, keeping their ts.
func applyFile(l *tape.Ledger, path string, total int) (map[tape.Status]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	bar := progress.New("applied", st.Size())
	defer bar.Done()
	cr := &ingest.CountingReader{R: f}
	dec := ingest.NewCommandDecoder(bufio.NewReaderSize(cr, 1<<20))
	counts := map[tape.Status]int{}
	batch := make([]tape.Input, 0, applyBatch)
	done := 0
	flush := func() error {
		res, err := l.SubmitOffline(context.Background(), batch)
		if err != nil {
			return err
		}
		for i := range res {
			counts[res[i].Status]++
		}
		done += len(batch)
		batch = batch[:0]
		bar.Update(int64(done), cr.N)
		return nil
	}
	for {
		tc, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return counts, fmt.Errorf("%s changed while applying: %w", path, err)
		}
		batch = append(batch, tape.Input{Cmd: tc.Cmd, Ts: tc.Ts})
		if len(batch) == applyBatch {
			if err := flush(); err != nil {
				return counts, err
			}
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return counts, err
		}
	}
	if done != total {
		return counts, fmt.Errorf("%s changed while applying: %d commands, first pass saw %d", path, done, total)
	}
	return counts, nil
}
