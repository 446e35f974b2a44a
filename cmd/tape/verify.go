package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/tape-ledger/tape/internal/progress"
	"github.com/tape-ledger/tape/internal/tape"
)

func verify(args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("verify", flag.ExitOnError)
	data := fs.String("data", "data", "data directory")
	fs.Parse(args)
	bar := progress.New("verified seq", 0)
	rep, err := tape.Verify(tape.Options{Dir: *data, Logger: log}, func(seq uint64) { bar.Update(int64(seq), 0) })
	bar.Done()
	var m *tape.Mismatch
	if errors.As(err, &m) {
		fmt.Fprintf(os.Stderr, "VERIFY FAILED at seq %d: %s\n", m.Seq, m.Reason)
		return exitCode(1)
	}
	if err != nil {
		return err
	}
	fmt.Printf("verified %d records through seq %d: re-execution and replay agree, %d snapshots match\nstate hash %s\n",
		rep.Records, rep.Seq, rep.Snapshots, hex.EncodeToString(rep.StateHash[:]))
	return nil
}
