// Package projector follows the tape and writes its events into a column
// store, exactly once: every table has its own stream watermark, written in
// the same transaction as each batch (or deduplicated by key where the store
// has no transactions), and a restart resumes after it.
//
// Reading the tape and building Arrow batches run on the caller's goroutine
// while the previous batch is written on another, so decoding overlaps the
// store's insert. At most two batches per table are alive at any time:
// memory is bounded by the batch size, not by the length of the tape.
package projector

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tape-ledger/tape/columnar"
	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/ledgercore"
)

// Store is what the projector needs of a column store.
type Store interface {
	// Write stores rec in table and advances stream's watermark to upTo in
	// one transaction; skipped is true when the watermark was there already.
	Write(ctx context.Context, table string, rec arrow.RecordBatch, stream string, upTo uint64) (skipped bool, err error)
	Watermark(ctx context.Context, stream string) (uint64, error)
}

// The streams the projector writes, one per table, named like the table.
const (
	StreamEvents    = "events"
	StreamAccounts  = "accounts"
	StreamSnapshots = "snapshots"
)

// Stats counts what one Project call wrote.
type Stats struct {
	Events, EventRows, Accounts, SnapshotRows int
	Batches                                   int
	Seq                                       uint64 // the last seq projected
}

// Project writes every event of the tape after the store's watermarks, in
// batches of at most the builders' size, and returns when it reached the
// end of the tape as it was at the start. Each day close also writes one
// snapshots row per account, as the account stood at that seq. progress,
// if not nil, is called after each batch is stored.
func Project(ctx context.Context, l *tape.Ledger, st Store, progress func(Stats)) (Stats, error) {
	p, err := newProjection(ctx, l, st)
	if err != nil {
		return Stats{}, err
	}
	defer p.release()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w := startWriter(ctx, st, progress, cancel)

	var perr error
	err = l.Records(p.from(), func(rec *tape.Record) bool {
		for i := range rec.Events {
			if perr = p.add(w, &rec.Events[i]); perr != nil {
				return false
			}
		}
		if p.full() {
			p.flush(w)
		}
		return ctx.Err() == nil
	})
	if err == nil && perr == nil && ctx.Err() == nil {
		p.flush(w)
	}
	stats, werr := w.finish()
	if err := errors.Join(err, perr, werr, context.Cause(ctx)); err != nil {
		return stats, err
	}
	return stats, nil
}

// projection is one run: builders, watermarks and what is pending. The
// watermarks here are those of the batches handed to the writer.
type projection struct {
	l        *tape.Ledger
	events   *columnar.EventsBuilder
	accounts *columnar.AccountsBuilder
	marks    [tableCount]uint64
	last     uint64 // seq of the last event added
	stats    Stats  // counts handed to the writer
}

// The tables, in the order a flush writes them.
const (
	tableAccounts = iota
	tableSnapshots
	tableEvents
	tableCount
)

var tableStreams = [tableCount]string{StreamAccounts, StreamSnapshots, StreamEvents}

func newProjection(ctx context.Context, l *tape.Ledger, st Store) (*projection, error) {
	p := &projection{l: l, events: columnar.NewEventsBuilder(), accounts: columnar.NewAccountsBuilder()}
	for i, stream := range tableStreams {
		var err error
		if p.marks[i], err = st.Watermark(ctx, stream); err != nil {
			return nil, fmt.Errorf("projector: %w", err)
		}
	}
	p.last = p.from() - 1
	return p, nil
}

func (p *projection) release() {
	p.events.Release()
	p.accounts.Release()
}

// from is the first seq some table still needs.
func (p *projection) from() uint64 { return min(p.marks[0], p.marks[1], p.marks[2]) + 1 }

func (p *projection) full() bool { return p.events.Full() || p.accounts.Full() }

func (p *projection) add(w *writer, e *ledgercore.Event) error {
	if e.Seq <= p.last {
		return nil // before the point this run starts from
	}
	if p.full() {
		p.flush(w)
	}
	if e.Kind == ledgercore.EvDayClosed && e.Seq > p.marks[tableSnapshots] {
		// The day's rows are one batch, stored after everything before the
		// close and before the close itself, so no watermark splits a day.
		p.flush(w)
		rec, err := p.snapshot(e)
		if err != nil {
			return err
		}
		p.stats.SnapshotRows += int(rec.NumRows())
		w.send(job{table: tableSnapshots, rec: rec, upTo: e.Seq}, p.stats)
		p.marks[tableSnapshots] = e.Seq
	}
	if e.Seq > p.marks[tableEvents] {
		p.events.Append(e)
		p.stats.Events++
	}
	if e.Kind == ledgercore.EvAccountOpened && e.Seq > p.marks[tableAccounts] {
		p.accounts.Append(e, p.scaleOf(e.Asset))
		p.stats.Accounts++
	}
	p.last = e.Seq
	return nil
}

// snapshot builds the snapshots rows of the day closed by e: every account
// as it stood at e.Seq, read from the tape's time machine (a snapshot file is
// written exactly at each day close, so this is a load, not a replay).
func (p *projection) snapshot(e *ledgercore.Event) (arrow.RecordBatch, error) {
	state, err := p.l.StateAt(tape.AsOf{Seq: e.Seq})
	if err != nil {
		return nil, fmt.Errorf("projector: state at day close seq %d: %w", e.Seq, err)
	}
	b := columnar.NewSnapshotsBuilder()
	defer b.Release()
	var parts []arrow.RecordBatch
	defer func() {
		for _, r := range parts {
			r.Release()
		}
	}()
	for _, a := range state.Accounts() {
		if b.Full() {
			parts = append(parts, b.NewRecord())
		}
		asset, _ := state.Asset(a.Asset)
		b.Append(e.Day, e.Seq, e.StateHash, a, asset.Scale)
	}
	parts = append(parts, b.NewRecord())
	if len(parts) == 1 {
		rec := parts[0]
		rec.Retain()
		return rec, nil
	}
	rec, err := columnar.Concat(parts)
	if err != nil {
		return nil, fmt.Errorf("projector: snapshot of day close seq %d: %w", e.Seq, err)
	}
	return rec, nil
}

// scaleOf reads an asset's scale from the ledger: assets are never removed
// and their scale never changes.
func (p *projection) scaleOf(asset string) uint8 {
	var scale uint8
	p.l.View(func(s *ledgercore.State) {
		a, ok := s.Asset(asset)
		if !ok {
			panic("BUG: projector: account in undefined asset " + asset)
		}
		scale = a.Scale
	})
	return scale
}

// flush hands what is pending to the writer: every table's watermark moves
// to the last seq seen, even with no rows, so a restart skips what this run
// read.
func (p *projection) flush(w *writer) {
	if p.last > p.marks[tableAccounts] {
		w.send(job{table: tableAccounts, rec: p.accounts.NewRecord(), upTo: p.last}, p.stats)
		p.marks[tableAccounts] = p.last
	}
	if p.last > p.marks[tableSnapshots] {
		w.send(job{table: tableSnapshots, rec: emptySnapshots(), upTo: p.last}, p.stats)
		p.marks[tableSnapshots] = p.last
	}
	if p.last > p.marks[tableEvents] {
		n := p.events.Len()
		p.stats.EventRows, p.stats.Batches = p.stats.EventRows+n, p.stats.Batches+1
		w.send(job{table: tableEvents, rec: p.events.NewRecord(), upTo: p.last}, p.stats)
		p.marks[tableEvents] = p.last
	}
	p.stats.Seq = p.last
}

func emptySnapshots() arrow.RecordBatch {
	b := columnar.NewSnapshotsBuilder()
	defer b.Release()
	return b.NewRecord()
}

// job is one batch for the writer; stats are the counts once it is stored.
type job struct {
	table int
	rec   arrow.RecordBatch
	upTo  uint64
	stats Stats
}

// writer stores batches on its own goroutine, in the order they were sent.
// The queue holds one batch per table, so reading runs at most one flush
// ahead of the store.
type writer struct {
	ctx    context.Context
	jobs   chan job
	done   chan struct{}
	stats  Stats // what is stored; read after done
	err    error
	failed func(error)
}

func startWriter(ctx context.Context, st Store, progress func(Stats), failed func(error)) *writer {
	w := &writer{ctx: ctx, jobs: make(chan job, tableCount), done: make(chan struct{}), failed: failed}
	go w.run(st, progress)
	return w
}

func (w *writer) run(st Store, progress func(Stats)) {
	defer close(w.done)
	for j := range w.jobs {
		if w.err == nil {
			w.err = w.write(st, j)
			if w.err != nil {
				w.failed(w.err) // stops the reader
			} else if j.table == tableEvents && progress != nil {
				progress(j.stats)
			}
		}
		j.rec.Release()
	}
}

func (w *writer) write(st Store, j job) error {
	stream := tableStreams[j.table]
	if _, err := st.Write(w.ctx, stream, j.rec, stream, j.upTo); err != nil {
		return fmt.Errorf("projector: %s up to seq %d: %w", stream, j.upTo, err)
	}
	w.stats = j.stats
	w.stats.Seq = j.upTo
	return nil
}

// send queues a batch; stats are the run's counts including it.
func (w *writer) send(j job, stats Stats) {
	j.stats = stats
	w.jobs <- j
}

// finish waits for the queued batches and returns what was stored.
func (w *writer) finish() (Stats, error) {
	close(w.jobs)
	<-w.done
	return w.stats, w.err
}
