// Package projector follows the tape and writes its events into a column
// store, exactly once: every table has its own stream watermark, written in
// the same transaction as each batch, and a restart resumes after it.
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

// The streams the projector writes, one per table.
const (
	StreamEvents   = "events"
	StreamAccounts = "accounts"
)

// Stats counts what one Project call wrote.
type Stats struct {
	Events, EventRows, Accounts int
	Batches                     int
	Seq                         uint64 // the last seq projected
}

// Project writes every event of the tape after the store's watermarks, in
// batches of at most the builders' size, and returns when it reached the
// end of the tape as it was at the start. progress, if not nil, is called
// after each batch.
func Project(ctx context.Context, l *tape.Ledger, st Store, progress func(Stats)) (Stats, error) {
	p, err := newProjection(ctx, l, st)
	if err != nil {
		return Stats{}, err
	}
	defer p.release()
	var werr error
	err = l.Records(p.from(), func(rec *tape.Record) bool {
		for i := range rec.Events {
			if werr = p.add(ctx, &rec.Events[i]); werr != nil {
				return false
			}
		}
		if p.full() {
			if werr = p.flush(ctx); werr == nil && progress != nil {
				progress(p.stats)
			}
		}
		return werr == nil && ctx.Err() == nil
	})
	if err = errors.Join(err, werr, ctx.Err()); err != nil {
		return p.stats, err
	}
	if err := p.flush(ctx); err != nil {
		return p.stats, err
	}
	return p.stats, nil
}

// projection is one run: builders, watermarks and what is pending.
type projection struct {
	l                   *tape.Ledger
	st                  Store
	events              *columnar.EventsBuilder
	accounts            *columnar.AccountsBuilder
	eventsWM, accountWM uint64
	last                uint64 // seq of the last event added
	stats               Stats
}

func newProjection(ctx context.Context, l *tape.Ledger, st Store) (*projection, error) {
	p := &projection{l: l, st: st, events: columnar.NewEventsBuilder(), accounts: columnar.NewAccountsBuilder()}
	var err error
	if p.eventsWM, err = st.Watermark(ctx, StreamEvents); err != nil {
		return nil, fmt.Errorf("projector: %w", err)
	}
	if p.accountWM, err = st.Watermark(ctx, StreamAccounts); err != nil {
		return nil, fmt.Errorf("projector: %w", err)
	}
	p.last = min(p.eventsWM, p.accountWM)
	return p, nil
}

func (p *projection) release() {
	p.events.Release()
	p.accounts.Release()
}

// from is the first seq either table still needs.
func (p *projection) from() uint64 { return min(p.eventsWM, p.accountWM) + 1 }

func (p *projection) full() bool { return p.events.Full() || p.accounts.Full() }

func (p *projection) add(ctx context.Context, e *ledgercore.Event) error {
	if e.Seq <= p.last {
		return nil // before the point this run starts from
	}
	if p.full() {
		if err := p.flush(ctx); err != nil {
			return err
		}
	}
	if e.Seq > p.eventsWM {
		p.events.Append(e)
		p.stats.Events++
	}
	if e.Kind == ledgercore.EvAccountOpened && e.Seq > p.accountWM {
		p.accounts.Append(e, p.scaleOf(e.Asset))
		p.stats.Accounts++
	}
	p.last = e.Seq
	return nil
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

// flush writes what is pending, accounts first: each table's watermark moves
// to the last seq seen, even with no rows, so a restart skips what this run
// read.
func (p *projection) flush(ctx context.Context) error {
	if p.last > p.accountWM {
		if err := p.write(ctx, "accounts", p.accounts.NewRecord(), StreamAccounts); err != nil {
			return err
		}
		p.accountWM = p.last
	}
	if p.last > p.eventsWM {
		n := p.events.Len()
		if err := p.write(ctx, "events", p.events.NewRecord(), StreamEvents); err != nil {
			return err
		}
		p.eventsWM, p.stats.EventRows, p.stats.Batches = p.last, p.stats.EventRows+n, p.stats.Batches+1
	}
	p.stats.Seq = p.last
	return nil
}

func (p *projection) write(ctx context.Context, table string, rec arrow.RecordBatch, stream string) error {
	defer rec.Release()
	if _, err := p.st.Write(ctx, table, rec, stream, p.last); err != nil {
		return fmt.Errorf("projector: %s up to seq %d: %w", table, p.last, err)
	}
	return nil
}
