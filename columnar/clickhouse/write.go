package clickhouse

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tape-ledger/tape/columnar"
)

// Limits enforced by Write.
const (
	streamBytesMax = 256     // bytes of a stream name
	storedRowsMax  = 1 << 24 // rows found above a watermark after a failure
)

// Write appends rec to table exactly once and advances the watermark of stream to upTo; if the
// stream's watermark is already at or past upTo it changes nothing and reports skipped. Rows a failed
// earlier write already stored are left out (see the package doc). A batch refused by validation sends
// nothing; a write that fails after retries may have stored its rows without its watermark, which the
// next Write of the stream finds and completes.
//
// rec must have exactly the table's columns, in order, with the Arrow types of columnar/SCHEMAS.md, and
// its keys increasing and above the stream's watermark (columnar.CheckKeys); the caller keeps ownership of
// rec. upTo is the highest seq (or source_seq) the batch covers and must be > 0. stream is the table's
// name for events, accounts and snapshots, and "<table>/<source>" for trades and quotes.
func (s *Store) Write(ctx context.Context, table string, rec arrow.RecordBatch, stream string, upTo uint64) (skipped bool, err error) {
	st, err := checkWrite(table, rec, stream, upTo)
	if err != nil {
		return false, fmt.Errorf("clickhouse: write %s: %w", table, err)
	}
	if err := s.begin(); err != nil {
		return false, err
	}
	defer s.gate.Leave()
	s.mu.Lock()
	defer s.mu.Unlock()
	state := s.streams[stream]
	if state == nil {
		state = &streamState{}
		s.streams[stream] = state
	}
	err = s.retry(ctx, "write "+table, func() error {
		var err error
		skipped, err = s.write(ctx, st, state, rec, upTo)
		if err != nil {
			state.sure = false
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("clickhouse: write %s (%s up to %d): %w", table, stream, upTo, err)
	}
	return skipped, nil
}

// checkWrite validates a Write's arguments before anything is sent.
func checkWrite(table string, rec arrow.RecordBatch, stream string, upTo uint64) (*stream, error) {
	if len(stream) > streamBytesMax || !utf8.ValidString(stream) {
		return nil, fmt.Errorf("%w: stream %q must be at most %d bytes of UTF-8", ErrInvalidBatch, stream, streamBytesMax)
	}
	st, err := resolveStream(table, stream)
	if err != nil {
		return nil, err
	}
	if upTo == 0 {
		return nil, fmt.Errorf("%w: upTo must be > 0", ErrInvalidBatch)
	}
	if err := columnar.Validate(st.table, rec); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBatch, err)
	}
	return st, nil
}

// write is one attempt: learn what is stored if unsure, insert the rows not stored, record the watermark.
func (s *Store) write(ctx context.Context, st *stream, state *streamState, rec arrow.RecordBatch, upTo uint64) (skipped bool, err error) {
	var stored map[string]bool
	if !state.sure {
		mark, err := s.watermark(ctx, st.name)
		if err != nil {
			return false, fmt.Errorf("read watermark: %w", err)
		}
		state.mark = mark
		if upTo > mark {
			if stored, err = s.storedKeys(ctx, st, mark); err != nil {
				return false, fmt.Errorf("find rows stored above watermark %d: %w", mark, err)
			}
		}
	}
	if upTo <= state.mark {
		return true, nil
	}
	if err := columnar.CheckKeys(st.table, rec, st.name, state.mark, upTo); err != nil {
		return false, fmt.Errorf("%w: %w", ErrInvalidBatch, err)
	}
	rows, err := newRows(st, rec, stored)
	if err != nil {
		return false, err
	}
	defer rows.Release()
	if rows.NumRows() > 0 {
		if err := s.conn.Insert(ctx, st.table.Name, rows, s.insertSettings()); err != nil {
			return false, fmt.Errorf("insert: %w", err)
		}
	}
	if err := s.insertWatermark(ctx, st.name, upTo); err != nil {
		return false, fmt.Errorf("advance watermark: %w", err)
	}
	state.sure, state.mark = true, upTo
	return false, nil
}

// insertSettings are the settings of every INSERT of the layout. A valid batch may span many months or
// days (a backfill), so the guard against too many partitions in one INSERT is off; on a cluster the
// Distributed tables insert synchronously, so a write that returns is on its shard.
func (s *Store) insertSettings() Settings {
	switch s.opts.Layout {
	case LayoutSingle:
		return Settings{"max_partitions_per_insert_block": 0}
	case LayoutCluster:
		return Settings{"max_partitions_per_insert_block": 0, "insert_distributed_sync": 1}
	}
	return nil // 18.16 knows neither setting
}

// Watermark returns the highest seq stored for stream, 0 if none.
func (s *Store) Watermark(ctx context.Context, stream string) (uint64, error) {
	if err := s.begin(); err != nil {
		return 0, err
	}
	defer s.gate.Leave()
	var mark uint64
	err := s.retry(ctx, "watermark "+stream, func() error {
		var err error
		mark, err = s.watermark(ctx, stream)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("clickhouse: watermark %s: %w", stream, err)
	}
	return mark, nil
}

func (s *Store) watermark(ctx context.Context, stream string) (uint64, error) {
	return queryUint64(ctx, s.conn, "SELECT max(seq) FROM watermarks WHERE stream = "+quoteString(stream))
}

// insertWatermark adds the stream's row of the watermarks table.
func (s *Store) insertWatermark(ctx context.Context, stream string, upTo uint64) error {
	b := array.NewRecordBuilder(memory.DefaultAllocator, columnar.WatermarksSchema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append(stream)
	b.Field(1).(*array.Uint64Builder).Append(upTo)
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.conn.Insert(ctx, columnar.WatermarksTable.Name, rec, s.insertSettings())
}

// storedKeys returns the keys of the stream's rows stored above mark.
func (s *Store) storedKeys(ctx context.Context, st *stream, mark uint64) (map[string]bool, error) {
	rr, err := s.conn.Query(ctx, st.storedQuery(mark))
	if err != nil {
		return nil, err
	}
	rr = s.contractReader(rr)
	defer rr.Release()
	keys := map[string]bool{}
	var key []byte
	for rr.Next() {
		rec := rr.RecordBatch()
		cols := rec.Columns()
		for i := range int(rec.NumRows()) {
			if key, err = keyOf(key[:0], cols, i); err != nil {
				return nil, err
			}
			keys[string(key)] = true
		}
		if len(keys) > storedRowsMax {
			return nil, fmt.Errorf("more than %d rows of %s above its watermark", storedRowsMax, st.name)
		}
	}
	return keys, rr.Err()
}

// newRows returns the rows of rec to insert: those whose keys are not in stored. It shares rec's
// buffers; the caller releases the result.
func newRows(st *stream, rec arrow.RecordBatch, stored map[string]bool) (arrow.RecordBatch, error) {
	keyCols := st.keyColumns(rec)
	var runs [][2]int64 // [start, end) of the rows kept
	var key []byte
	for i := range int(rec.NumRows()) {
		keep := true
		if len(stored) > 0 {
			var err error
			if key, err = keyOf(key[:0], keyCols, i); err != nil {
				return nil, err
			}
			keep = !stored[string(key)]
		}
		switch n := len(runs); {
		case !keep:
		case n > 0 && runs[n-1][1] == int64(i):
			runs[n-1][1]++
		default:
			runs = append(runs, [2]int64{int64(i), int64(i) + 1})
		}
	}
	switch {
	case len(runs) == 0:
		return rec.NewSlice(0, 0), nil
	case len(runs) == 1:
		return rec.NewSlice(runs[0][0], runs[0][1]), nil
	}
	return concatRuns(rec, runs)
}

// concatRuns copies the given row ranges of rec into one batch.
func concatRuns(rec arrow.RecordBatch, runs [][2]int64) (arrow.RecordBatch, error) {
	parts := make([]arrow.RecordBatch, len(runs))
	for i, r := range runs {
		parts[i] = rec.NewSlice(r[0], r[1])
	}
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	return columnar.Concat(parts)
}
