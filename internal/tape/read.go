package tape

import (
	"errors"
	"fmt"
	"sort"

	"github.com/tape-ledger/tape/ledgercore"
)

// Records calls fn for every record from the one holding fromSeq to the end
// of the tape as it is now, until fn returns false.
func (l *Ledger) Records(fromSeq uint64, fn func(rec *Record) bool) error {
	l.mu.RLock()
	i := sort.Search(len(l.index), func(i int) bool { return l.index[i].Seq > fromSeq }) - 1
	pos := l.j.Start()
	if i >= 0 {
		pos = l.index[i].Pos
	}
	l.mu.RUnlock()
	r, err := l.j.NewReader(pos)
	if err != nil {
		return err
	}
	defer r.Close()
	var rec Record
	for r.Next() {
		rec.Events = nil // the caller may keep the events
		if err := decodeRecord(r.Payload(), &rec); err != nil {
			return fmt.Errorf("tape record at %s: %w", r.Pos(), err)
		}
		if rec.LastSeq() < fromSeq {
			continue
		}
		if !fn(&rec) {
			return nil
		}
	}
	return r.Err()
}

// EventsMax bounds one Events call.
const EventsMax = 10_000

// Events returns up to limit events from seq fromSeq on.
func (l *Ledger) Events(fromSeq uint64, limit int) ([]ledgercore.Event, error) {
	if limit <= 0 || limit > EventsMax {
		return nil, fmt.Errorf("limit must be 1..%d", EventsMax)
	}
	var out []ledgercore.Event
	err := l.Records(fromSeq, func(rec *Record) bool {
		for _, e := range rec.Events {
			if e.Seq >= fromSeq && len(out) < limit {
				out = append(out, e)
			}
		}
		return len(out) < limit
	})
	return out, err
}

// errNotOnTape means a seq the state remembers is missing from the tape: a
// bug or a damaged data dir.
var errNotOnTape = errors.New("tape: seq not found on the tape")

// fillDuplicate completes a duplicate's result with the original outcome:
// the whole record for a top-level id, the one event for an id inside a
// linked batch.
func (l *Ledger) fillDuplicate(r *Result) error {
	var found bool
	err := l.Records(r.Seq, func(rec *Record) bool {
		found = true
		events := rec.Events
		if rec.Command.ID != r.ID {
			events = rec.Events[r.Seq-rec.FirstSeq : r.Seq-rec.FirstSeq+1]
		}
		r.Seq, r.Events = events[0].Seq, events
		if events[0].Kind == ledgercore.EvCommandRejected {
			r.Code, r.Detail = events[0].Code.String(), events[0].Detail
		}
		return false
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: %d (duplicate of %s)", errNotOnTape, r.Seq, r.ID)
	}
	return err
}

// AsOf names an instant of the tape: the last record whose events all have
// seq <= Seq and ts <= Ts. Zero fields do not limit.
type AsOf struct {
	Seq uint64
	Ts  int64
}

func (a AsOf) includes(rec *Record) bool {
	last := &rec.Events[len(rec.Events)-1]
	return (a.Seq == 0 || last.Seq <= a.Seq) && (a.Ts == 0 || last.Ts <= a.Ts)
}

func (a AsOf) allowsSnapshot(m *snapMeta) bool {
	return (a.Seq == 0 || m.Seq <= a.Seq) && (a.Ts == 0 || m.Ts <= a.Ts)
}

// StateAt rebuilds the state as of an instant: the newest snapshot at or
// before it, then the records after that, whole records only (a linked
// batch is never cut). It returns a private state the caller owns.
func (l *Ledger) StateAt(at AsOf) (*ledgercore.State, error) {
	snaps, _, err := listSnapshots(l.opts.Dir)
	if err != nil {
		return nil, err
	}
	state := ledgercore.Genesis()
	for i := len(snaps) - 1; i >= 0; i-- {
		if !at.allowsSnapshot(snaps[i]) {
			continue
		}
		s, err := loadSnapshotState(snaps[i])
		if err != nil {
			l.log.Warn("snapshot unusable for the time machine, trying an older one", "err", err)
			continue
		}
		state = s
		break
	}
	err = l.Records(state.Seq+1, func(rec *Record) bool {
		if !at.includes(rec) {
			return false
		}
		for i := range rec.Events {
			ledgercore.Apply(state, &rec.Events[i])
		}
		return true
	})
	return state, err
}
