package ledgercore

import (
	"encoding/hex"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

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
	const path = "testdata/golden_state_hash.txt"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("state hash and last event hash for seed 42:\n got %s want %s", strings.TrimSpace(got), strings.TrimSpace(string(want)))
	}
}
