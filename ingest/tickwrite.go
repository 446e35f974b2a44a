package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
)

// TickStore is what tick ingest needs of a column store (columnar/duckdb
// and columnar/clickhouse stores have it).
type TickStore interface {
	// Write stores rec in table exactly once: rows and the stream's new
	// watermark upTo together; skipped when the watermark is there already.
	Write(ctx context.Context, table string, rec arrow.RecordBatch, stream string, upTo uint64) (skipped bool, err error)
	Watermark(ctx context.Context, stream string) (uint64, error)
}

// StoreWatermark adapts a store's Watermark for a reader.
func StoreWatermark(ctx context.Context, st TickStore) Watermark {
	return func(stream string) (uint64, error) { return st.Watermark(ctx, stream) }
}

// WriteTicks reads every batch of r and writes it into st. Reading and
// parsing run on the caller's goroutine while the previous batch is
// written, and at most one batch waits: when the store falls behind, the
// reader waits too, so memory stays at a few batches whatever the input's
// size. progress, if not nil, is called after each batch is stored. On an
// error the batches before it are stored and the one it was in is not.
func WriteTicks(ctx context.Context, r *TickReader, st TickStore, progress func(TickStats)) (TickStats, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type job struct {
		b     TickBatch
		stats TickStats
	}
	jobs := make(chan job, 1)
	done := make(chan struct{})
	var werr error
	stored := TickStats{}
	go func() {
		defer close(done)
		for j := range jobs {
			if werr == nil {
				if _, err := st.Write(ctx, j.b.Table, j.b.Rec, j.b.Stream, j.b.UpTo); err != nil {
					werr = fmt.Errorf("ingest: %s: write %s up to source_seq %d: %w", r.name, j.b.Stream, j.b.UpTo, err)
					cancel(werr)
				} else {
					stored = j.stats
					if progress != nil {
						progress(stored)
					}
				}
			}
			j.b.Rec.Release()
		}
	}()
	var rerr error
	for ctx.Err() == nil {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rerr = err
			break
		}
		select {
		case jobs <- job{b: b, stats: r.Stats()}:
		case <-ctx.Done():
			b.Rec.Release()
		}
	}
	close(jobs)
	<-done
	if werr != nil {
		return stored, werr
	}
	if rerr != nil {
		return r.Stats(), rerr
	}
	if err := context.Cause(ctx); err != nil {
		return stored, err
	}
	return r.Stats(), nil
}
