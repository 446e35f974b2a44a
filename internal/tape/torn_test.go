package tape

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tape-ledger/tape/internal/journal"

	"github.com/tape-ledger/tape/ledgercore"
)

// TestTornLastRecord cuts the last segment at every byte offset of its last
// record (a linked batch, so a cut can fall between its events): the ledger
// opens with exactly the records before it, the same state hash as before
// the record was written, and takes the record again afterwards.
func TestTornLastRecord(t *testing.T) {
	dir, clock := t.TempDir(), newClock()
	l := openTest(t, dir, clock, 1_000_000)
	submit(t, l, setup()...)
	submit(t, l, transfer("t1", "ext", "alice", "10"))
	var before [32]byte
	l.View(func(s *ledgercore.State) { before = ledgercore.StateHash(s) })
	seqBefore := l.Seq()
	last := ledgercore.Command{Kind: ledgercore.CmdLinked, ID: "l", Commands: []ledgercore.Command{
		transfer("l.0", "alice", "bob", "1"), transfer("l.1", "alice", "bob", "2"), transfer("l.2", "bob", "alice", "3")}}
	submit(t, l, last)
	l.skipCloseSnapshot = true
	l.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, journalDir, "*.seg"))
	seg := segs[len(segs)-1]
	full, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	// The last record starts where the tape ended before it was written.
	lastLen := lastFrameLen(t, dir)
	start := len(full) - lastLen
	for cut := start; cut < len(full); cut++ {
		if err := os.WriteFile(seg, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		l := openTest(t, dir, clock, 1_000_000)
		var got [32]byte
		l.View(func(s *ledgercore.State) { got = ledgercore.StateHash(s) })
		if l.Seq() != seqBefore || got != before {
			t.Fatalf("cut at %d of %d: seq %d, want %d; state hash differs: %v", cut, len(full), l.Seq(), seqBefore, got != before)
		}
		res := submit(t, l, last)
		if res[0].Status != Accepted || res[0].Seq != seqBefore+1 {
			t.Fatalf("cut at %d: re-sent record %+v", cut, res[0])
		}
		l.skipCloseSnapshot = true
		l.Close()
	}
}

// lastFrameLen is the size of the tape's last frame (header and record).
func lastFrameLen(t *testing.T, dir string) int {
	l, err := Open(Options{Dir: dir, NoSync: true, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var lastStart, end int64
	r, err := l.j.NewReader(l.j.Start())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		lastStart, end = r.Pos().Offset, r.NextPos().Offset
	}
	return int(end - lastStart)
}

func FuzzDecodeRecord(f *testing.F) {
	dir, clock := f.TempDir(), newClock()
	l, err := Open(Options{Dir: dir, Clock: clock.now, NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	in := []Input{}
	for _, c := range append(setup(), transfer("t1", "ext", "alice", "10"), transfer("t2", "alice", "bob", "99"),
		ledgercore.Command{Kind: ledgercore.CmdLinked, ID: "l", Commands: []ledgercore.Command{transfer("l.0", "alice", "bob", "1")}}) {
		in = append(in, Input{Cmd: c})
	}
	if _, err := l.Submit(f.Context(), in); err != nil {
		f.Fatal(err)
	}
	l.Records(1, func(rec *Record) bool {
		f.Add(appendRecord(nil, rec))
		return true
	})
	l.Close()
	f.Fuzz(func(t *testing.T, b []byte) {
		var rec Record
		if err := decodeRecord(b, &rec); err != nil {
			return
		}
		// What decodes re-encodes to the same bytes.
		if again := appendRecord(nil, &rec); string(again) != string(b) {
			t.Fatalf("record re-encodes differently")
		}
	})
}

// TestCorruptionBeforeTheTailStopsStartup: a flipped byte in a record that
// is not the last one is never skipped: Open fails naming segment and
// offset.
func TestCorruptionBeforeTheTailStopsStartup(t *testing.T) {
	dir, clock := t.TempDir(), newClock()
	l := openTest(t, dir, clock, 1_000_000)
	submit(t, l, setup()...)
	for i := range 50 {
		submit(t, l, transfer("t"+strconv.Itoa(i), "ext", "bob", "1"))
	}
	l.skipCloseSnapshot = true
	l.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, journalDir, "*.seg"))
	seg := segs[0]
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(seg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(Options{Dir: dir, NoSync: true})
	var ce *journal.CorruptionError
	if !errors.As(err, &ce) || ce.Segment != seg || ce.Offset <= 0 || !strings.Contains(err.Error(), filepath.Base(seg)) {
		t.Fatalf("Open of a corrupt tape: %v", err)
	}
}
