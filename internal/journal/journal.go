// Package journal is Tape's byte-level append-only log: numbered segment
// files of CRC-checked frames with opaque payloads. It knows nothing of what a
// record means; the record codec lives elsewhere.
//
// A log directory holds segments named %020d.seg, numbered from 1 without
// gaps. Open assumes it is the only process using the directory (take
// internal/lockfile first). Append is durable when it returns (fdatasync),
// and Readers see only what Append has made durable.
package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Options configures a Log. The zero value is a production configuration.
type Options struct {
	// SegmentBytesMax is the size at which a new segment is started; 0 means
	// SegmentBytesMaxDefault. A record larger than this gets a segment of its
	// own.
	SegmentBytesMax int64
	// VerifyFrom is a position the caller already trusts everything before
	// (for example, recorded by a snapshot). Open checksums only the frames
	// from there on; earlier segments get only their header checked. The zero
	// Position verifies every frame.
	VerifyFrom Position
	// NoSync skips every fsync. For tests and benchmarks only.
	NoSync bool
}

// Position names a frame boundary: the offset of a frame's start within its
// segment file, or the end of the log.
type Position struct {
	Segment uint64 // segment index, from 1
	Offset  int64  // byte offset within the segment file
}

func (p Position) String() string { return fmt.Sprintf("%d:%d", p.Segment, p.Offset) }

// Recovery describes the torn tail that Open cut away, if any.
type Recovery struct {
	TruncatedBytes int64    // 0 when the log ended cleanly
	At             Position // where the torn tail began: the End after Open
	Reason         string
}

// Log is an open journal directory. Its methods are safe for concurrent use;
// appends are serialised.
type Log struct {
	dir      string
	opts     Options
	recovery Recovery

	appendMu sync.Mutex           // serialises Append and Close; guards the fields below
	file     *os.File             // last segment, open for writing
	buf      []byte               // frames of the current Append, reused
	err      error                // sticky: once set, Append refuses to run
	syncData func(*os.File) error // fdatasync; tests inject faults here

	stateMu   sync.Mutex // guards the published state below; written under appendMu too
	end       Position   // durable end of the log
	segSizes  []int64    // durable size of segment i+1
	sizeBytes int64      // sum of segSizes
	closed    bool
}

// Open opens (creating if needed) the log in dir, verifies it and cuts away a
// torn tail left by a crash (see Recovered). Any other damage is reported as
// a *CorruptionError and the log is not opened.
func Open(dir string, opts Options) (*Log, error) {
	opts, err := opts.validated()
	if err != nil {
		return nil, err
	}
	if err := makeDir(dir, !opts.NoSync); err != nil {
		return nil, err
	}
	indexes, err := listSegments(dir, !opts.NoSync)
	if err != nil {
		return nil, err
	}
	if err := checkVerifyFrom(dir, opts.VerifyFrom, uint64(len(indexes))); err != nil {
		return nil, err
	}
	l := &Log{dir: dir, opts: opts, syncData: fdatasync}
	if len(indexes) == 0 {
		l.file, err = createSegment(dir, segmentIndexFirst, !opts.NoSync)
		if err != nil {
			return nil, err
		}
		l.segSizes = []int64{segmentHeaderBytes}
	} else {
		l.segSizes, l.recovery, err = recoverSegments(dir, indexes, opts.VerifyFrom)
		if err != nil {
			return nil, err
		}
		if l.file, err = l.openLastSegment(); err != nil {
			return nil, err
		}
	}
	l.end = Position{Segment: uint64(len(l.segSizes)), Offset: l.segSizes[len(l.segSizes)-1]}
	for _, size := range l.segSizes {
		l.sizeBytes += size
	}
	return l, nil
}

// makeDir creates dir if it is missing, durably.
func makeDir(dir string, durable bool) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if durable {
		return syncDir(filepath.Dir(filepath.Clean(dir)))
	}
	return nil
}

func (o Options) validated() (Options, error) {
	if o.SegmentBytesMax == 0 {
		o.SegmentBytesMax = SegmentBytesMaxDefault
	}
	if o.SegmentBytesMax < segmentBytesMaxMin || o.SegmentBytesMax > segmentBytesMaxCeiling {
		return o, fmt.Errorf("journal: SegmentBytesMax %d outside [%d, %d]",
			o.SegmentBytesMax, segmentBytesMaxMin, segmentBytesMaxCeiling)
	}
	return o, nil
}

// openLastSegment opens the last segment for writing and cuts the torn tail
// that recovery found, durably.
func (l *Log) openLastSegment() (*os.File, error) {
	index := uint64(len(l.segSizes))
	f, size, err := openSegment(l.dir, index, os.O_RDWR)
	if err != nil {
		return nil, err
	}
	want := l.segSizes[index-1]
	if size-want != l.recovery.TruncatedBytes {
		f.Close()
		return nil, fmt.Errorf("journal: segment %s changed size during Open", f.Name())
	}
	if size == want {
		return f, nil
	}
	if err := f.Truncate(want); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: truncate torn tail: %w", err)
	}
	if !l.opts.NoSync {
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("journal: fsync after truncating torn tail: %w", err)
		}
	}
	return f, nil
}

// Recovered reports the torn tail that Open cut away, for the caller to log.
func (l *Log) Recovered() Recovery { return l.recovery }

// Start returns the position of the first frame of the log.
func (l *Log) Start() Position {
	return Position{Segment: segmentIndexFirst, Offset: segmentHeaderBytes}
}

// End returns the durable end of the log: where the next frame will go.
func (l *Log) End() Position {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	return l.end
}

// SizeBytes returns the total size of all segment files, as of End.
func (l *Log) SizeBytes() int64 {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	return l.sizeBytes
}

// Close closes the log. Readers already created stay usable. Close does not
// fsync: every successful Append already did (unless Options.NoSync).
func (l *Log) Close() error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.closed = true
	l.err = ErrClosed
	if err := l.file.Close(); err != nil {
		return fmt.Errorf("journal: close: %w", err)
	}
	return nil
}
