package ledgercore

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
)

// simEvents runs a short simulation and returns every event and command.
func simEvents(tb testing.TB, seed uint64, n int) ([]Command, []Event, *State) {
	sim := newSimulation(seed)
	q := &sequence{s: Genesis(), tb: tb}
	var cmds []Command
	var events []Event
	for range n {
		cmd := sim.next(q.s)
		ev, _ := q.run(cmd)
		cmds = append(cmds, cmd)
		events = append(events, ev...)
	}
	return cmds, events, q.s
}

func TestEventCodecRoundTrip(t *testing.T) {
	cmds, events, _ := simEvents(t, 1, 3000)
	for i := range events {
		b := AppendEvent(nil, &events[i])
		got, n, err := DecodeEvent(b)
		if err != nil || n != len(b) {
			t.Fatalf("event %d: %v (used %d of %d)", i, err, n, len(b))
		}
		if got != events[i] {
			t.Fatalf("event %d round trip:\n got %+v\nwant %+v", i, got, events[i])
		}
	}
	for i := range cmds {
		b := AppendCommand(nil, &cmds[i])
		got, n, err := DecodeCommand(b)
		if err != nil || n != len(b) || !bytes.Equal(AppendCommand(nil, &got), b) {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	if bad := VerifyChain(events, [32]byte{}); bad != -1 {
		t.Fatalf("chain breaks at event %d", bad)
	}
	i := 100
	for events[i].NLegs == 0 {
		i++
	}
	events[i].Legs[0].After = AmountFromInt64(1)
	if bad := VerifyChain(events, [32]byte{}); bad == -1 {
		t.Fatal("a changed event still verifies")
	}
}

func FuzzDecodeEvent(f *testing.F) {
	_, events, _ := simEvents(f, 2, 200)
	for i := range events {
		f.Add(AppendEvent(nil, &events[i]))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, n, err := DecodeEvent(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to the same bytes: the encoding is canonical.
		if again := AppendEvent(nil, &e); !bytes.Equal(again, b[:n]) {
			t.Fatalf("decoded %x, re-encoded %x", b[:n], again)
		}
	})
}

func FuzzDecodeCommand(f *testing.F) {
	cmds, _, _ := simEvents(f, 3, 200)
	for i := range cmds {
		f.Add(AppendCommand(nil, &cmds[i]))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, n, err := DecodeCommand(b)
		if err != nil {
			return
		}
		if again := AppendCommand(nil, &c); !bytes.Equal(again, b[:n]) {
			t.Fatalf("decoded %x, re-encoded %x", b[:n], again)
		}
	})
}

// TestSnapshotRestoreThenContinue: a ledger restored from a snapshot and fed
// the rest of the workload produces exactly the events and state hash of a
// ledger that never stopped.
func TestSnapshotRestoreThenContinue(t *testing.T) {
	sim := newSimulation(7)
	var cmds []Command
	q := &sequence{s: Genesis(), tb: t}
	var snap bytes.Buffer
	var restored *State
	for i := range 20000 {
		cmd := sim.next(q.s)
		cmds = append(cmds, cmd)
		q.run(cmd)
		if i == 12000 {
			if _, err := q.s.Freeze().WriteTo(&snap); err != nil {
				t.Fatal(err)
			}
			var err error
			if restored, err = DecodeSnapshot(snap.Bytes()); err != nil {
				t.Fatal(err)
			}
			if StateHash(restored) != StateHash(q.s) {
				t.Fatal("restored state hash differs")
			}
			var again bytes.Buffer
			restored.Freeze().WriteTo(&again)
			if !bytes.Equal(again.Bytes(), snap.Bytes()) {
				t.Fatal("snapshot encoding is not canonical: re-encoding the restored state differs")
			}
		}
	}
	// Replay the commands after the snapshot into the restored state: the
	// same ts (the sequence helper derives ts from the state) and events.
	r := &sequence{s: restored, tb: t}
	full := &sequence{s: Genesis(), tb: t}
	for i, cmd := range cmds {
		evFull, _ := full.run(cmd)
		if i <= 12000 {
			continue
		}
		evRestored, _ := r.run(cmd)
		if len(evFull) != len(evRestored) {
			t.Fatalf("command %d: %d events vs %d", i, len(evFull), len(evRestored))
		}
		for k := range evFull {
			if evFull[k] != evRestored[k] {
				t.Fatalf("command %d event %d differs after restore", i, k)
			}
		}
	}
	if StateHash(r.s) != StateHash(full.s) || StateHash(full.s) != StateHash(q.s) {
		t.Fatal("final state hashes differ")
	}
}

func TestSnapshotRejectsCorruption(t *testing.T) {
	_, _, s := simEvents(t, 4, 3000)
	var buf bytes.Buffer
	s.Freeze().WriteTo(&buf)
	good := buf.Bytes()
	for _, off := range []int{0, 9, 20, len(good) / 2, len(good) - 40, len(good) - 1} {
		bad := bytes.Clone(good)
		bad[off] ^= 0x40
		if _, err := DecodeSnapshot(bad); err == nil {
			t.Errorf("flipped byte %d of %d: snapshot still decodes", off, len(good))
		}
	}
	if _, err := DecodeSnapshot(good[:len(good)-7]); err == nil {
		t.Error("truncated snapshot decodes")
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	_, _, s := simEvents(f, 5, 300)
	var buf bytes.Buffer
	s.Freeze().WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeSnapshot(b) // must not panic or allocate without bound
	})
}

// TestSnapshotIDTableIsChecked: a snapshot whose id table does not index its
// id log exactly is refused even with a valid checksum, since a lookup that
// misses an id would let a duplicate command through.
func TestSnapshotIDTableIsChecked(t *testing.T) {
	_, _, s := simEvents(t, 6, 2000)
	var buf bytes.Buffer
	s.Freeze().WriteTo(&buf)
	good := buf.Bytes()
	slots := len(s.ids.slots)
	// The table is the last thing before the state hash and checksum.
	tableAt := len(good) - 4 - 32 - 16*slots
	occupied := []int{}
	for i, sl := range s.ids.slots {
		if sl.key != 0 {
			occupied = append(occupied, i)
		}
	}
	tamper := map[string]func(b []byte){
		"slot emptied": func(b []byte) { clear(b[tableAt+16*occupied[0] : tableAt+16*occupied[0]+16]) },
		"index repeated": func(b []byte) {
			copy(b[tableAt+16*occupied[1]+8:tableAt+16*occupied[1]+16], b[tableAt+16*occupied[0]+8:tableAt+16*occupied[0]+16])
		},
		"key moved away from home": func(b []byte) {
			// Move an entry one slot back from a slot whose predecessor is empty.
			for _, i := range occupied {
				prev := (i - 1 + slots) % slots
				if s.ids.slots[prev].key == 0 && s.ids.home(s.ids.slots[i].key) == uint64(i) {
					at, to := tableAt+16*i, tableAt+16*prev
					copy(b[to:to+16], b[at:at+16])
					clear(b[at : at+16])
					return
				}
			}
			t.Fatal("no entry to move")
		},
	}
	for name, fn := range tamper {
		bad := bytes.Clone(good)
		fn(bad)
		binary.LittleEndian.PutUint32(bad[len(bad)-4:], crc32.Checksum(bad[:len(bad)-4], castagnoli))
		if _, err := DecodeSnapshot(bad); err == nil || !strings.Contains(err.Error(), "id table") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := DecodeSnapshot(good); err != nil {
		t.Fatal(err)
	}
}
