// Package tapetest builds ledgers for the tests of other packages.
package tapetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/tape-ledger/tape/ingest"
	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/internal/workload"
)

// LoadLedger applies the generated workload of n commands with seed to a
// new ledger in a temporary directory (fsync off), keeping the workload's
// ts; the ledger is closed when the test ends.
func LoadLedger(t testing.TB, seed int64, n int) *tape.Ledger {
	t.Helper()
	var buf bytes.Buffer
	if _, err := workload.Generate(&buf, workload.Options{Seed: seed, N: n}); err != nil {
		t.Fatal(err)
	}
	l, err := tape.Open(tape.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	dec := ingest.NewCommandDecoder(&buf)
	in := make([]tape.Input, 0, 4096)
	for {
		tc, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("generated workload: %v", err)
		}
		in = append(in, tape.Input{Cmd: tc.Cmd, Ts: tc.Ts})
		if len(in) == cap(in) {
			if _, err := l.SubmitOffline(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			in = in[:0]
		}
	}
	if _, err := l.SubmitOffline(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return l
}
