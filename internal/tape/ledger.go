package tape

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tape-ledger/tape/internal/journal"
	"github.com/tape-ledger/tape/internal/lockfile"
	"github.com/tape-ledger/tape/ledgercore"
)

// Defaults and limits of a Ledger.
const (
	SnapshotEveryDefault = 1_000_000 // commands between periodic snapshots
	snapshotsKept        = 3         // periodic snapshots kept besides day closes
	groupCommandsMax     = 1 << 16   // commands decided per group commit (one request may pass it)
	SubmitCommandsMax    = 1 << 16   // commands in one Submit
	queueRequestsMax     = 1024      // requests waiting for the sequencer
	indexEvery           = 256       // records between sparse index entries
	snapQueueMax         = 4         // snapshots waiting to be written
	journalDir           = "journal"
)

// Options configures a Ledger.
type Options struct {
	Dir           string
	SnapshotEvery uint64 // 0: SnapshotEveryDefault
	NoSync        bool   // tests and benchmarks only: no fsync anywhere
	// ReadOnly refuses commands and writes no snapshot on Close (replay,
	// inspection).
	ReadOnly bool
	// CloseIdleDays closes the last active day once the clock has left it
	// even when no command comes (a server); off for offline loads, whose
	// ts come from the file, not the clock.
	CloseIdleDays bool
	// Clock returns ns since the epoch; nil means the system clock.
	Clock           func() int64
	Logger          *slog.Logger
	SegmentBytesMax int64
	// Metrics observes the sequencer; nil means none.
	Metrics Metrics
}

// Metrics is what the sequencer reports, for the server's Prometheus
// collectors.
type Metrics interface {
	Committed(records int, commands map[Status]int, fsync time.Duration)
}

// Ledger is an open data dir: the state, the tape, and the one sequencer
// that writes to it.
type Ledger struct {
	opts Options
	log  *slog.Logger
	lock *lockfile.Lock
	j    *journal.Log

	// mu guards state, index, lastRecordHash and durable: the sequencer
	// holds it for writing from Decide to fsync, so a reader never sees a
	// state that is not on disk.
	mu             sync.RWMutex
	state          *ledgercore.State
	index          []indexEntry
	lastRecordHash [32]byte
	recordsSince   int // records since the last index entry
	lastSnapSeq    uint64
	failed         error // set when the tape could not be written: nothing more is accepted

	in       chan *request
	stop     chan struct{}
	done     chan struct{}
	snapQ    chan snapJob
	snapDone chan struct{}
	closeMu  sync.Mutex
	closed   bool
	// skipCloseSnapshot makes Close behave like a crash for the restart
	// benchmark: no final snapshot.
	skipCloseSnapshot bool
}

// indexEntry maps a seq to the journal position of the record starting at
// it: every indexEvery records, so finding a seq reads at most that many.
type indexEntry struct {
	Seq uint64
	Pos journal.Position
}

// Open locks the data dir, loads the newest snapshot that reads, replays
// the tape after it, and starts the sequencer.
func Open(opts Options) (*Ledger, error) {
	if opts.SnapshotEvery == 0 {
		opts.SnapshotEvery = SnapshotEveryDefault
	}
	if opts.Clock == nil {
		opts.Clock = func() int64 { return time.Now().UnixNano() }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, snapDir), 0o755); err != nil {
		return nil, err
	}
	lock, err := lockfile.Acquire(opts.Dir)
	if err != nil {
		return nil, err
	}
	l := &Ledger{opts: opts, log: opts.Logger, lock: lock}
	if err := l.recover(); err != nil {
		lock.Release()
		return nil, err
	}
	l.in = make(chan *request, queueRequestsMax)
	l.stop = make(chan struct{})
	l.done = make(chan struct{})
	l.snapQ = make(chan snapJob, snapQueueMax)
	l.snapDone = make(chan struct{})
	go l.sequence()
	go l.snapshotter()
	return l, nil
}

// recover restores the state: the newest snapshot whose state decodes, then
// every record after it, checking the record chain and the event chain.
func (l *Ledger) recover() error {
	start := time.Now()
	snaps, bad, err := listSnapshots(l.opts.Dir)
	if err != nil {
		return err
	}
	for _, e := range bad {
		l.log.Warn("snapshot header unreadable, not used", "err", e)
	}
	state, meta := ledgercore.Genesis(), (*snapMeta)(nil)
	for i := len(snaps) - 1; i >= 0; i-- {
		s, err := loadSnapshotState(snaps[i])
		if err != nil {
			l.log.Warn("snapshot unusable, trying an older one", "err", err)
			continue
		}
		state, meta = s, snaps[i]
		break
	}
	jopts := journal.Options{SegmentBytesMax: l.opts.SegmentBytesMax, NoSync: l.opts.NoSync}
	if meta != nil {
		jopts.VerifyFrom = meta.End
	}
	j, err := journal.Open(filepath.Join(l.opts.Dir, journalDir), jopts)
	if err != nil {
		return fmt.Errorf("open tape: %w", err)
	}
	if rec := j.Recovered(); rec.TruncatedBytes > 0 {
		l.log.Warn("torn record at the end of the tape truncated", "bytes", rec.TruncatedBytes, "at", rec.At.String(), "reason", rec.Reason)
	}
	l.j, l.state = j, state
	from := journal.Position{Segment: 1, Offset: 0}
	if meta != nil {
		l.index = append(l.index, meta.Index...)
		l.lastRecordHash, l.lastSnapSeq, from = meta.LastHash, meta.Seq, meta.End
	}
	replayed, err := l.replayTail(from, meta != nil)
	if err != nil {
		j.Close()
		return err
	}
	l.log.Info("ledger recovered", "seq", l.state.Seq, "snapshot_seq", l.lastSnapSeq, "records_replayed", replayed,
		"ms", time.Since(start).Milliseconds())
	return nil
}

// replayBatch is how many records the reader hands the applier at once.
const replayBatch = 256

// replayed is a record read, decoded and checked, ready to apply.
type replayed struct {
	rec  Record
	pos  journal.Position
	hash [32]byte
}

// replayTail applies every record from `from` to the end of the tape. Two
// stages run at once: a reader decodes each record and checks its seq and
// both hash chains; the caller's goroutine applies them in order.
func (l *Ledger) replayTail(from journal.Position, fromSnapshot bool) (int, error) {
	if !fromSnapshot {
		from = l.j.Start()
	}
	r, err := l.j.NewReader(from)
	if err != nil {
		return 0, fmt.Errorf("replay tape: %w", err)
	}
	defer r.Close()
	batches := make(chan []replayed, 4)
	errc := make(chan error, 1)
	go func() {
		defer close(batches)
		c := chain{seq: l.state.Seq, record: l.lastRecordHash, event: l.state.LastHash}
		batch := make([]replayed, 0, replayBatch)
		for r.Next() {
			batch = append(batch, replayed{pos: r.Pos()})
			it := &batch[len(batch)-1]
			if err := c.check(r.Payload(), &it.rec, it.pos); err != nil {
				batches <- batch[:len(batch)-1]
				errc <- err
				return
			}
			it.hash = c.record
			if len(batch) == replayBatch {
				batches <- batch
				batch = make([]replayed, 0, replayBatch)
			}
		}
		batches <- batch
		if err := r.Err(); err != nil {
			errc <- fmt.Errorf("replay tape: %w", err)
			return
		}
		errc <- nil
	}()
	n := 0
	for batch := range batches {
		for i := range batch {
			it := &batch[i]
			for k := range it.rec.Events {
				ledgercore.Apply(l.state, &it.rec.Events[k])
			}
			l.noteRecord(it.rec.FirstSeq, it.pos, it.hash)
			n++
		}
	}
	return n, <-errc
}

// chain follows the tape's seq and hash chains while it is read.
type chain struct {
	seq    uint64   // the last seq
	record [32]byte // hash of the last record
	event  [32]byte // hash of the last event
}

// check decodes a record and checks that it continues the chain: the next
// seq, the record hash chain and the event hash chain; then advances.
func (c *chain) check(payload []byte, rec *Record, pos journal.Position) error {
	if err := decodeRecord(payload, rec); err != nil {
		return fmt.Errorf("tape record at %s: %w", pos, err)
	}
	if rec.FirstSeq != c.seq+1 {
		return fmt.Errorf("tape record at %s: seq %d does not follow seq %d", pos, rec.FirstSeq, c.seq)
	}
	if rec.Prev != c.record {
		return fmt.Errorf("tape record at %s (seq %d): record hash chain broken", pos, rec.FirstSeq)
	}
	if bad := ledgercore.VerifyChain(rec.Events, c.event); bad >= 0 {
		return fmt.Errorf("tape record at %s: event seq %d: event hash chain broken", pos, rec.Events[bad].Seq)
	}
	c.seq, c.record, c.event = rec.LastSeq(), rec.hash(payload), rec.Events[len(rec.Events)-1].Hash
	return nil
}

// noteRecord advances the chain head and the sparse index.
func (l *Ledger) noteRecord(firstSeq uint64, pos journal.Position, hash [32]byte) {
	if l.recordsSince == 0 {
		l.index = append(l.index, indexEntry{Seq: firstSeq, Pos: pos})
	}
	l.recordsSince = (l.recordsSince + 1) % indexEvery
	l.lastRecordHash = hash
}

// Errors of Submit.
var (
	ErrClosed     = errors.New("tape: ledger is closed")
	ErrOverloaded = errors.New("tape: sequencer queue full")
	ErrReadOnly   = errors.New("tape: ledger opened read-only")
)

// Close stops the sequencer after the requests already queued, writes a
// final snapshot, and releases the data dir.
func (l *Ledger) Close() error {
	l.closeMu.Lock()
	if l.closed {
		l.closeMu.Unlock()
		return nil
	}
	l.closed = true
	l.closeMu.Unlock()
	close(l.stop)
	<-l.done
	close(l.snapQ)
	<-l.snapDone
	l.mu.Lock()
	var err error
	if l.failed == nil && !l.opts.ReadOnly && !l.skipCloseSnapshot && l.state.Seq > l.lastSnapSeq {
		err = l.snapshotNow()
	}
	l.mu.Unlock()
	err = errors.Join(err, l.j.Close(), l.lock.Release())
	return err
}

// Seq returns the last durable seq.
func (l *Ledger) Seq() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.state.Seq
}

// View calls fn with the current durable state; fn must not keep it.
func (l *Ledger) View(fn func(s *ledgercore.State)) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	fn(l.state)
}

// TapeBytes is the size of the tape on disk.
func (l *Ledger) TapeBytes() int64 { return l.j.SizeBytes() }

// Failed reports the write failure that stopped the ledger, if any.
func (l *Ledger) Failed() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.failed
}
