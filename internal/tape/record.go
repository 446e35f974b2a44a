// Package tape is Tape's ordered log of commands and their outcomes: the
// sequencer that gives every command its seq and ts, the record codec on top
// of the journal, recovery from snapshots, and the time machine (replay and
// verify).
package tape

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tape-ledger/tape/ledgercore"
)

// recordVersion is the record format; bump it, never change it in place.
const recordVersion = 1

// eventsPerRecordMax bounds a record: a linked batch at most.
const eventsPerRecordMax = ledgercore.LinkedCommandsMax

// Record is one entry on the tape: a sequenced command and its outcome (the
// events Decide returned, one per seq). Records are hash-chained: Prev is
// the hash of the record before (zero for the first).
type Record struct {
	FirstSeq uint64
	Ts       int64
	Prev     [32]byte
	Command  ledgercore.Command
	Events   []ledgercore.Event

	headLen int // bytes of the encoded head, set by appendRecord and decodeRecord
}

// LastSeq is the seq of the record's last event.
func (r *Record) LastSeq() uint64 { return r.FirstSeq + uint64(len(r.Events)) - 1 }

// appendRecordHead encodes what a record says besides its events: version,
// envelope, the previous record's hash and the command.
func appendRecordHead(b []byte, r *Record) []byte {
	b = append(b, recordVersion)
	b = binary.LittleEndian.AppendUint64(b, r.FirstSeq)
	b = binary.LittleEndian.AppendUint64(b, uint64(r.Ts))
	b = append(b, r.Prev[:]...)
	return ledgercore.AppendCommand(b, &r.Command)
}

// appendRecord encodes r.
func appendRecord(b []byte, r *Record) []byte {
	start := len(b)
	b = appendRecordHead(b, r)
	r.headLen = len(b) - start
	b = binary.AppendUvarint(b, uint64(len(r.Events)))
	for i := range r.Events {
		b = ledgercore.AppendEvent(b, &r.Events[i])
	}
	return b
}

// hash is what the next record's Prev must be: SHA-256 of the record's head
// and its last event's hash, which already commits to every event of the
// record through the event chain. payload is the record's encoding (from
// appendRecord or the tape), whose head is not encoded again.
func (r *Record) hash(payload []byte) [32]byte {
	var buf [512]byte
	b := append(buf[:0], payload[:r.headLen]...)
	b = append(b, r.Events[len(r.Events)-1].Hash[:]...)
	return sha256.Sum256(b)
}

// errRecord marks a record that does not decode or does not fit the chain.
var errRecord = errors.New("bad record")

// decodeRecord decodes a record payload, reusing r.Events.
func decodeRecord(b []byte, r *Record) error {
	if len(b) < 1+8+8+32 {
		return fmt.Errorf("%w: %d bytes is shorter than a record header", errRecord, len(b))
	}
	if b[0] != recordVersion {
		return fmt.Errorf("%w: version %d is not supported", errRecord, b[0])
	}
	r.FirstSeq = binary.LittleEndian.Uint64(b[1:])
	r.Ts = int64(binary.LittleEndian.Uint64(b[9:]))
	copy(r.Prev[:], b[17:49])
	off := 49
	cmd, n, err := ledgercore.DecodeCommand(b[off:])
	if err != nil {
		return fmt.Errorf("%w: command: %v", errRecord, err)
	}
	r.Command = cmd
	off += n
	r.headLen = off
	count, n := binary.Uvarint(b[off:])
	if n <= 0 || count == 0 || count > eventsPerRecordMax {
		return fmt.Errorf("%w: event count", errRecord)
	}
	off += n
	r.Events = r.Events[:0]
	for range count {
		e, n, err := ledgercore.DecodeEvent(b[off:])
		if err != nil {
			return fmt.Errorf("%w: event %d: %v", errRecord, len(r.Events), err)
		}
		r.Events = append(r.Events, e)
		off += n
	}
	if off != len(b) {
		return fmt.Errorf("%w: %d trailing bytes", errRecord, len(b)-off)
	}
	for i := range r.Events {
		if r.Events[i].Seq != r.FirstSeq+uint64(i) {
			return fmt.Errorf("%w: event %d has seq %d, want %d", errRecord, i, r.Events[i].Seq, r.FirstSeq+uint64(i))
		}
	}
	return nil
}
