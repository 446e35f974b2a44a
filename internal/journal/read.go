package journal

import (
	"fmt"
	"os"
	"slices"
)

// Reader streams frames from a start position to the log's durable end as of
// NewReader: frames appended later are not seen, so a Reader may run while
// appends continue. It re-verifies every checksum. A Reader is not safe for
// concurrent use.
type Reader struct {
	dir     string
	first   uint64  // segment whose limit is limits[0]
	limits  []int64 // where reading stops in segments first, first+1, ...
	seg     uint64  // segment being read
	file    *os.File
	sc      *frameScanner
	pos     Position
	payload []byte
	err     error
}

// NewReader returns a Reader of the frames from `from` to End as of now.
// from must be a frame boundary: a Position from Append, Reader.Pos,
// Reader.NextPos or End. A Position that is inside the log but not a frame
// boundary is reported as a *CorruptionError by Next.
func (l *Log) NewReader(from Position) (*Reader, error) {
	l.stateMu.Lock()
	closed, end := l.closed, l.end
	inLog := from.Segment >= segmentIndexFirst && from.Segment <= end.Segment &&
		from.Offset >= segmentHeaderBytes && from.Offset <= l.segSizes[from.Segment-1]
	var limits []int64
	if inLog {
		limits = slices.Clone(l.segSizes[from.Segment-1:]) // publish reuses the array
	}
	l.stateMu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if !inLog {
		return nil, fmt.Errorf("%w: reader from %v, log ends at %v", ErrBadPosition, from, end)
	}
	r := &Reader{dir: l.dir, first: from.Segment, limits: limits, sc: newFrameScanner()}
	if err := r.open(from.Segment, from.Offset); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Reader) open(index uint64, off int64) error {
	if r.file != nil {
		if err := r.file.Close(); err != nil {
			return fmt.Errorf("journal: close segment: %w", err)
		}
		r.file = nil
	}
	f, size, err := openSegment(r.dir, index, os.O_RDONLY)
	if err != nil {
		return err
	}
	limit := r.limits[index-r.first]
	if size < limit {
		f.Close()
		return &CorruptionError{Segment: f.Name(), Offset: size,
			Reason: fmt.Sprintf("segment shrank below its durable size %d", limit)}
	}
	r.file, r.seg = f, index
	r.sc.reset(f, off, limit)
	return nil
}

// Next advances to the next frame and reports whether there is one. It
// returns false at the end and on error; check Err.
func (r *Reader) Next() bool {
	r.payload = nil
	if r.err != nil || r.file == nil {
		return false
	}
	last := r.first + uint64(len(r.limits)) - 1
	for r.seg <= last {
		payload, frameBytes, status, err := r.sc.next()
		if err != nil {
			r.err = err
			return false
		}
		switch status {
		case frameOK:
			r.pos = Position{Segment: r.seg, Offset: r.sc.off - frameBytes}
			r.payload = payload
			return true
		case frameEnd:
			if r.seg == last {
				return false
			}
			if r.err = r.open(r.seg+1, segmentHeaderBytes); r.err != nil {
				return false
			}
		default:
			r.err = &CorruptionError{Segment: r.file.Name(), Offset: r.sc.off, Reason: status.String()}
			return false
		}
	}
	panic("BUG: journal: reader past its last segment")
}

// Payload returns the current frame's payload, valid until the next call to
// Next. Copy it to keep it.
func (r *Reader) Payload() []byte { return r.payload }

// Pos returns the position of the current frame.
func (r *Reader) Pos() Position { return r.pos }

// NextPos returns the position just after the current frame (before the
// first Next, the start position): where a later reader would resume.
func (r *Reader) NextPos() Position { return Position{Segment: r.seg, Offset: r.sc.off} }

// Err returns the error that stopped Next, if any.
func (r *Reader) Err() error { return r.err }

// Close releases the Reader's file.
func (r *Reader) Close() error {
	r.payload = nil
	if r.err == nil {
		r.err = ErrClosed
	}
	if r.file == nil {
		return nil
	}
	err := r.file.Close()
	r.file = nil
	if err != nil {
		return fmt.Errorf("journal: close reader: %w", err)
	}
	return nil
}
