package tape

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tape-ledger/tape/internal/journal"
	"github.com/tape-ledger/tape/ledgercore"
)

// fakeClock starts on a Monday at 09:00 UTC and moves only when told.
type fakeClock struct{ ns int64 }

func (c *fakeClock) now() int64 { return c.ns }

func newClock() *fakeClock {
	return &fakeClock{ns: ledgercore.DayStart(ledgercore.DayFromCivil(2026, 1, 5)) + 9*3600e9}
}

func openTest(t *testing.T, dir string, clock *fakeClock, every uint64) *Ledger {
	t.Helper()
	l, err := Open(Options{Dir: dir, Clock: clock.now, SnapshotEvery: every, NoSync: true, SegmentBytesMax: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func submit(t *testing.T, l *Ledger, cmds ...ledgercore.Command) []Result {
	t.Helper()
	in := make([]Input, len(cmds))
	for i, c := range cmds {
		in[i] = Input{Cmd: c}
	}
	res, err := l.Submit(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func setup() []ledgercore.Command {
	return []ledgercore.Command{
		{Kind: ledgercore.CmdDefineAsset, ID: "a", Asset: "USD", Scale: 2},
		{Kind: ledgercore.CmdOpenAccount, ID: "o1", Account: "ext", Asset: "USD"},
		{Kind: ledgercore.CmdOpenAccount, ID: "o2", Account: "alice", Asset: "USD", Flags: ledgercore.FlagDebitsMustNotExceedCredits},
		{Kind: ledgercore.CmdOpenAccount, ID: "o3", Account: "bob", Asset: "USD"},
	}
}

func transfer(id, d, c, amount string) ledgercore.Command {
	return ledgercore.Command{Kind: ledgercore.CmdTransfer, ID: id, Debit: d, Credit: c, Asset: "USD", Amount: amount}
}

func TestSubmitRecoverAndIdempotencyAcrossRestart(t *testing.T) {
	dir, clock := t.TempDir(), newClock()
	l := openTest(t, dir, clock, 1000)
	submit(t, l, setup()...)
	res := submit(t, l, transfer("t1", "ext", "alice", "100.00"), transfer("t2", "alice", "bob", "500.00"),
		ledgercore.Command{Kind: ledgercore.CmdLinked, ID: "l", Commands: []ledgercore.Command{transfer("l.0", "alice", "bob", "1"), transfer("l.1", "bob", "alice", "2")}})
	if res[0].Status != Accepted || res[1].Status != Rejected || res[1].Code != "insufficient_funds" || res[2].Status != Accepted {
		t.Fatalf("results = %+v", res)
	}
	if res[0].Seq != 5 || res[1].Seq != 6 || res[2].Seq != 7 || len(res[2].Events) != 2 {
		t.Fatalf("seqs = %d %d %d", res[0].Seq, res[1].Seq, res[2].Seq)
	}
	hash := func(l *Ledger) (h [32]byte) {
		l.View(func(s *ledgercore.State) { h = ledgercore.StateHash(s) })
		return h
	}
	before := hash(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// A second Open of the same dir while one is open is refused.
	l = openTest(t, dir, clock, 1000)
	if _, err := Open(Options{Dir: dir}); err == nil {
		t.Fatal("second open of a locked data dir succeeded")
	}
	if hash(l) != before {
		t.Fatal("state hash changed across restart")
	}
	again := submit(t, l, transfer("t1", "ext", "alice", "100.00"), transfer("t2", "alice", "bob", "500.00"), transfer("l.1", "bob", "alice", "2"),
		ledgercore.Command{Kind: ledgercore.CmdLinked, ID: "l", Commands: []ledgercore.Command{transfer("l.0", "alice", "bob", "1"), transfer("l.1", "bob", "alice", "2")}})
	want := []struct {
		seq    uint64
		code   string
		events int
	}{{5, "", 1}, {6, "insufficient_funds", 1}, {8, "", 1}, {7, "", 2}}
	for i, w := range want {
		r := again[i]
		if r.Status != Duplicate || r.Seq != w.seq || r.Code != w.code || len(r.Events) != w.events || r.Events[0].Seq != w.seq {
			t.Errorf("retry %d after restart = %+v", i, r)
		}
	}
	if !slices.Equal(again[0].Events, res[0].Events) {
		t.Error("duplicate does not return the original events")
	}
	if hash(l) != before || l.Seq() != 8 {
		t.Fatal("duplicates changed the ledger")
	}
	l.Close()
}

func TestSequencerTimestampsAndDayClose(t *testing.T) {
	dir, clock := t.TempDir(), newClock()
	l := openTest(t, dir, clock, 1000)
	defer l.Close()
	res := submit(t, l, setup()...)
	// The clock does not move: ts still increases strictly.
	for i := 1; i < len(res); i++ {
		if res[i].Events[0].Ts != res[i-1].Events[0].Ts+1 {
			t.Fatalf("ts not strictly increasing: %d then %d", res[i-1].Events[0].Ts, res[i].Events[0].Ts)
		}
	}
	clock.ns += 24 * 3600e9 // the next day
	res = submit(t, l, transfer("t1", "ext", "alice", "1"))
	if res[0].Seq != 6 {
		t.Fatalf("transfer seq = %d, want 6 after the day close at 5", res[0].Seq)
	}
	ev, err := l.Events(5, 1)
	if err != nil || len(ev) != 1 || ev[0].Kind != ledgercore.EvDayClosed || ledgercore.FormatDay(ev[0].Day) != "2026-01-05" {
		t.Fatalf("seq 5 = %+v, %v", ev, err)
	}
	// Offline: file timestamps are kept; going backwards is refused, except
	// for a duplicate, which still answers as one.
	back := ev[0].Ts
	off, err := l.SubmitOffline(context.Background(), []Input{
		{Cmd: transfer("t2", "ext", "alice", "1"), Ts: back},
		{Cmd: transfer("t1", "ext", "alice", "1"), Ts: back},
		{Cmd: transfer("t3", "ext", "alice", "1"), Ts: clock.ns + 5e9},
	})
	if err != nil {
		t.Fatal(err)
	}
	if off[0].Status != Rejected || off[0].Code != CodeTsOutOfOrder || off[0].Seq != 0 {
		t.Errorf("backwards ts: %+v", off[0])
	}
	if off[1].Status != Duplicate || off[1].Seq != 6 {
		t.Errorf("duplicate with old ts: %+v", off[1])
	}
	if off[2].Status != Accepted || off[2].Events[0].Ts != clock.ns+5e9 {
		t.Errorf("offline ts not kept: %+v", off[2])
	}
}

// TestRestartFromSnapshotEqualsFreshReplay: many snapshots and segments;
// the state after restart equals the state rebuilt from genesis by StateAt,
// and restore-then-continue gives the same hashes as never stopping.
func TestRestartFromSnapshotEqualsFreshReplay(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	clockA, clockB := newClock(), newClock()
	a := openTest(t, dirA, clockA, 50)
	b := openTest(t, dirB, clockB, 1_000_000)
	submit(t, a, setup()...)
	submit(t, b, setup()...)
	submit(t, a, transfer("seed", "ext", "alice", "1000000"))
	submit(t, b, transfer("seed", "ext", "alice", "1000000"))
	for round := range 20 {
		var cmds []ledgercore.Command
		for i := range 30 {
			cmds = append(cmds, transfer("r"+strconv.Itoa(round)+"-"+strconv.Itoa(i), "alice", "bob", strconv.Itoa(1+i)+".25"))
		}
		submit(t, a, cmds...)
		submit(t, b, cmds...)
		clockA.ns += 3 * 3600e9
		clockB.ns += 3 * 3600e9
		if round%5 == 4 { // restart a: from its newest snapshot plus the tail
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			a = openTest(t, dirA, clockA, 50)
		}
	}
	var ha, hb [32]byte
	a.View(func(s *ledgercore.State) { ha = ledgercore.StateHash(s) })
	b.View(func(s *ledgercore.State) { hb = ledgercore.StateHash(s) })
	if ha != hb {
		t.Fatal("restarted ledger differs from the one that never stopped")
	}
	snaps, _, _ := listSnapshots(dirA)
	if len(snaps) < 3 {
		t.Fatalf("only %d snapshots", len(snaps))
	}
	// The time machine at an old seq equals a fresh replay from genesis.
	mid := a.Seq() / 2
	got, err := a.StateAt(AsOf{Seq: mid})
	if err != nil {
		t.Fatal(err)
	}
	want, err := b.StateAt(AsOf{Seq: mid})
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != mid || ledgercore.StateHash(got) != ledgercore.StateHash(want) {
		t.Fatalf("StateAt(%d): seq %d", mid, got.Seq)
	}
	a.Close()
	b.Close()
	rep, err := Verify(Options{Dir: dirA}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.StateHash != ha || rep.Snapshots == 0 {
		t.Fatalf("verify: %+v", rep)
	}
}

// TestVerifyFindsForgedRecord rewrites one record's amount with every hash
// recomputed, so that chains and checksums are all valid: only
// re-execution can tell, and Verify names the forged seq.
func TestVerifyFindsForgedRecord(t *testing.T) {
	dir, clock := t.TempDir(), newClock()
	l := openTest(t, dir, clock, 1_000_000)
	submit(t, l, setup()...)
	submit(t, l, transfer("t1", "ext", "alice", "10"), transfer("t2", "alice", "bob", "4"), transfer("t3", "alice", "bob", "1"))
	var recs []Record
	l.Records(1, func(r *Record) bool {
		c := *r
		c.Events = append([]ledgercore.Event(nil), r.Events...)
		recs = append(recs, c)
		return true
	})
	l.Close()
	forged := 5 // t2: 4.00 becomes 5.00 in the event, the command still says 4
	e := &recs[forged].Events[0]
	e.Amount = ledgercore.AmountFromInt64(500)
	e.Legs[0].Delta, e.Legs[0].After = ledgercore.AmountFromInt64(-500), ledgercore.AmountFromInt64(500)
	e.Legs[1].Delta, e.Legs[1].After = ledgercore.AmountFromInt64(500), ledgercore.AmountFromInt64(500)
	// Rechain everything after the forgery.
	var prevEvent, prevRecord [32]byte
	var payloads [][]byte
	for i := range recs {
		for k := range recs[i].Events {
			if i > forged && recs[i].Events[k].NLegs > 0 {
				for n := range recs[i].Events[k].Legs {
					leg := &recs[i].Events[k].Legs[n]
					if leg.Account == "alice" {
						leg.Before, _ = leg.Before.Sub(ledgercore.AmountFromInt64(100))
						leg.After, _ = leg.After.Sub(ledgercore.AmountFromInt64(100))
					}
					if leg.Account == "bob" {
						leg.Before, _ = leg.Before.Add(ledgercore.AmountFromInt64(100))
						leg.After, _ = leg.After.Add(ledgercore.AmountFromInt64(100))
					}
				}
			}
			recs[i].Events[k].Hash = ledgercore.EventHash(prevEvent, &recs[i].Events[k])
			prevEvent = recs[i].Events[k].Hash
		}
		recs[i].Prev = prevRecord
		p := appendRecord(nil, &recs[i])
		prevRecord = recs[i].hash(p)
		payloads = append(payloads, p)
	}
	forgedDir := t.TempDir()
	j, err := journal.Open(filepath.Join(forgedDir, journalDir), journal.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(payloads); err != nil {
		t.Fatal(err)
	}
	j.Close()
	_, err = Verify(Options{Dir: forgedDir}, nil)
	var m *Mismatch
	if !errors.As(err, &m) || m.Seq != recs[forged].FirstSeq {
		t.Fatalf("verify of a forged tape: %v", err)
	}
	// The untouched tape verifies.
	if _, err := Verify(Options{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	// A tape with a record missing (every frame's checksum valid) does not
	// open, and verify names the seq where the chain breaks.
	gapDir := t.TempDir()
	j, err = journal.Open(filepath.Join(gapDir, journalDir), journal.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	j.Append(append(append([][]byte{}, payloads[:3]...), payloads[4:]...))
	j.Close()
	if _, err := Open(Options{Dir: gapDir, NoSync: true}); err == nil || !strings.Contains(err.Error(), "does not follow") {
		t.Fatalf("open of a tape with a gap: %v", err)
	}
	if _, err := Verify(Options{Dir: gapDir}, nil); !errors.As(err, &m) || m.Seq != recs[3].FirstSeq {
		t.Fatalf("verify of a tape with a gap: %v", err)
	}
}
