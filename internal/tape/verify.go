package tape

import (
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/tape-ledger/tape/internal/journal"
	"github.com/tape-ledger/tape/internal/lockfile"
	"github.com/tape-ledger/tape/ledgercore"
)

// VerifyReport is what Verify checked.
type VerifyReport struct {
	Records   uint64
	Seq       uint64
	StateHash [32]byte
	Snapshots int // snapshots whose state hash was compared
}

// Mismatch is a verification failure at a seq.
type Mismatch struct {
	Seq    uint64
	Reason string
}

func (m *Mismatch) Error() string {
	return fmt.Sprintf("verify: first difference at seq %d: %s", m.Seq, m.Reason)
}

// Verify re-derives the whole tape in two independent ways and compares
// them with what is recorded: it re-executes every recorded command through
// Decide from genesis and compares every event (and so every event hash)
// with the tape, and it replays the recorded events, checking the record
// and event hash chains. At every snapshot it compares the state hash of
// both derivations with the snapshot's. The first difference is returned as
// a *Mismatch naming its seq. progress, if not nil, is called every so often
// with the seq reached.
func Verify(opts Options, progress func(seq uint64)) (*VerifyReport, error) {
	lock, err := lockfile.Acquire(opts.Dir)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	j, err := journal.Open(filepath.Join(opts.Dir, journalDir), journal.Options{SegmentBytesMax: opts.SegmentBytesMax, NoSync: opts.NoSync})
	if err != nil {
		return nil, fmt.Errorf("open tape: %w", err)
	}
	defer j.Close()
	snaps, bad, err := listSnapshots(opts.Dir)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("verify: %w", bad[0])
	}
	bySeq := map[uint64]*snapMeta{}
	for _, m := range snaps {
		bySeq[m.Seq] = m
	}
	replay, reexec := ledgercore.Genesis(), ledgercore.Genesis()
	var c chain
	rep := &VerifyReport{}
	r, err := j.NewReader(j.Start())
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var rec Record
	var decided []ledgercore.Event
	for r.Next() {
		if err := c.check(r.Payload(), &rec, r.Pos()); err != nil {
			return rep, &Mismatch{Seq: replay.Seq + 1, Reason: err.Error()}
		}
		env := ledgercore.Envelope{Seq: rec.FirstSeq, Ts: rec.Ts}
		decided, _ = ledgercore.DecideAppend(decided[:0], reexec, env, &rec.Command)
		if err := sameEvents(decided, rec.Events); err != nil {
			return rep, err
		}
		for i := range rec.Events {
			ledgercore.Apply(replay, &rec.Events[i])
			ledgercore.Apply(reexec, &decided[i])
		}
		rep.Records++
		if m := bySeq[replay.Seq]; m != nil {
			if err := compareSnapshot(m, replay, reexec, c.record); err != nil {
				return rep, err
			}
			rep.Snapshots++
		}
		if progress != nil && rep.Records%65536 == 0 {
			progress(replay.Seq)
		}
	}
	if err := r.Err(); err != nil {
		return rep, err
	}
	rep.Seq, rep.StateHash = replay.Seq, ledgercore.StateHash(replay)
	if h := ledgercore.StateHash(reexec); h != rep.StateHash {
		return rep, &Mismatch{Seq: rep.Seq, Reason: "final state hash of re-execution differs from replay"}
	}
	return rep, nil
}

func sameEvents(decided, recorded []ledgercore.Event) error {
	if len(decided) != len(recorded) {
		return &Mismatch{Seq: recorded[0].Seq, Reason: fmt.Sprintf("re-execution gives %d events, the tape has %d", len(decided), len(recorded))}
	}
	for i := range decided {
		if decided[i].Hash != recorded[i].Hash {
			return &Mismatch{Seq: recorded[i].Seq, Reason: fmt.Sprintf("re-executed event hash %s, tape has %s",
				hex.EncodeToString(decided[i].Hash[:8]), hex.EncodeToString(recorded[i].Hash[:8]))}
		}
	}
	return nil
}

func compareSnapshot(m *snapMeta, replay, reexec *ledgercore.State, lastRecord [32]byte) error {
	s, err := loadSnapshotState(m)
	if err != nil {
		return &Mismatch{Seq: m.Seq, Reason: err.Error()}
	}
	want := ledgercore.StateHash(s)
	switch {
	case m.LastHash != lastRecord:
		return &Mismatch{Seq: m.Seq, Reason: "snapshot " + m.Path + " names a different last record hash"}
	case ledgercore.StateHash(replay) != want:
		return &Mismatch{Seq: m.Seq, Reason: "replayed state hash differs from snapshot " + m.Path}
	case ledgercore.StateHash(reexec) != want:
		return &Mismatch{Seq: m.Seq, Reason: "re-executed state hash differs from snapshot " + m.Path}
	}
	return nil
}
