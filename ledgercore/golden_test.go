package ledgercore

import (
	"encoding/hex"
	"testing"

	"github.com/tape-ledger/tape/internal/testkit"
)

// TestGoldenStateHash pins the state hash of a fixed workload. make test runs
// it on amd64 and with GOARCH=386: the same hash on both proves that nothing
// in the core depends on word size or byte order.
func TestGoldenStateHash(t *testing.T) {
	_, events, s := simEvents(t, 42, 20000)
	var tail [32]byte
	if len(events) > 0 {
		tail = events[len(events)-1].Hash
	}
	got := hex.EncodeToString(func() []byte { h := StateHash(s); return h[:] }()) + " " + hex.EncodeToString(tail[:]) + "\n"
	testkit.Golden(t, "testdata/golden_state_hash.txt", []byte(got))
}
