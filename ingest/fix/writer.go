package fix

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tape-ledger/tape/columnar"
)

// job is one item of a Listener's queue: a source's batches to write, or
// (resume set) a request for its watermarks at Logon. Jobs of a source are
// queued by its one live session, in order, so the writer sees a source's
// batches in source_seq order, and a resume after every batch before it.
type job struct {
	src    *source
	peer   *peer                // that queued the job; closed when a write fails
	rows   [2]arrow.RecordBatch // quotes, trades
	upTo   uint64               // MessageMark of the last message the rows come from
	resume chan<- resumed
}

// resumed answers a resume job.
type resumed struct {
	marks [2]uint64 // the watermarks of the quotes and trades streams
	lost  bool      // a write of the source failed since its last Logon
	err   error
}

// tables are the tables of job.rows, in the order they are written: a
// crash between the two writes leaves the quotes ahead, and the replay that
// follows (from the trades watermark) needs no book to remake trades rows,
// where quotes rows would need the book the crash lost.
var tables = [2]string{columnar.QuotesTable.Name, columnar.TradesTable.Name}

// write runs the writer until the queue is closed.
func (l *Listener) write(ctx context.Context) {
	for j := range l.queue {
		if j.resume != nil {
			j.resume <- l.watermarks(ctx, j.src)
			continue
		}
		l.writeJob(ctx, j)
		j.peer.inflight.Add(-1)
	}
}

// watermarks answers a resume job of src.
func (l *Listener) watermarks(ctx context.Context, src *source) resumed {
	r := resumed{lost: src.failed}
	src.failed = false
	for i, stream := range src.streams {
		if r.marks[i], r.err = l.store.Watermark(ctx, stream); r.err != nil {
			r.err = fmt.Errorf("fix: watermark of %s: %w", stream, r.err)
			return r
		}
	}
	return r
}

// writeJob writes a job's quotes, then its trades, each with upTo, even
// when empty: both watermarks then say which messages are stored. A write
// that fails ends the session and drops the source's later batches until
// it logs on again and resumes from the store's watermarks.
func (l *Listener) writeJob(ctx context.Context, j job) {
	defer func() {
		for _, rec := range j.rows {
			rec.Release()
		}
	}()
	if j.src.failed {
		l.stats.dropped.Add(1)
		return
	}
	for i, rec := range j.rows {
		skipped, err := l.store.Write(ctx, tables[i], rec, j.src.streams[i], j.upTo)
		if err != nil {
			j.src.failed = true
			l.stats.writeErrs.Add(1)
			l.setLastErr(fmt.Errorf("fix: write %d rows of %s up to MsgSeqNum %d: %w",
				rec.NumRows(), j.src.streams[i], j.upTo>>entryBits, err))
			j.peer.conn.Close()
			return
		}
		if skipped {
			l.stats.skipped.Add(1)
		}
	}
	l.stats.batches.Add(1)
}
