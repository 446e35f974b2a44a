//go:build duckdb_arrow

package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	duckdbgo "github.com/duckdb/duckdb-go/v2"

	"github.com/tape-ledger/tape/columnar"
)

// Limits enforced by Write.
const (
	batchRowsMax   = 1 << 22 // rows of one batch (the pipeline sends 64k)
	streamBytesMax = 256     // bytes of a stream name
)

// rowGroupRows is DuckDB's row group size: a batch is shown to DuckDB in slices of this many rows, which
// its parallel insert turns into whole row groups, one per thread.
const rowGroupRows = 122_880

// ErrInvalidBatch reports a Write refused before it reached the database.
var ErrInvalidBatch = errors.New("invalid batch")

// Write appends rec to table exactly once. In one transaction it inserts the rows and advances the
// watermark of stream to upTo; if the stream's watermark is already at or past upTo it changes nothing and
// reports skipped. A failed batch leaves no row and the watermark where it was.
//
// rec must have exactly the table's columns, in order, with the Arrow types of columnar/SCHEMAS.md, and
// pass columnar.Validate; the caller keeps ownership of rec. upTo is the highest seq (or source_seq) the
// batch carries and must be > 0: 0 is the watermark of a stream never written. stream is the table's name
// for the ledger tables and "<table>/<source>" for ticks; the batch's keys must be increasing and above the
// watermark (columnar.CheckKeys), which is what makes a write exactly once without a unique index.
func (s *Store) Write(ctx context.Context, tableName string, rec arrow.RecordBatch, stream string, upTo uint64) (skipped bool, err error) {
	t, err := s.checkWrite(tableName, rec, stream, upTo)
	if err != nil {
		return false, err
	}
	scan := relabel(rec, t.scan)
	defer scan.Release()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writer == nil {
		return false, ErrClosed
	}
	skipped, err = s.writer.write(ctx, t, scan, stream, upTo)
	if err != nil {
		return false, fmt.Errorf("duckdb: write %s (%s up to %d): %w", t.name, stream, upTo, err)
	}
	return skipped, nil
}

// checkWrite validates a Write's arguments before anything touches the database.
func (s *Store) checkWrite(tableName string, rec arrow.RecordBatch, stream string, upTo uint64) (*table, error) {
	t, ok := s.tables[tableName]
	if !ok {
		return nil, fmt.Errorf("duckdb: write %q: %w (want one of %v)", tableName, ErrUnknownTable, dataTables)
	}
	switch {
	case rec == nil:
		return nil, fmt.Errorf("duckdb: write %s: %w: nil record", tableName, ErrInvalidBatch)
	case rec.NumRows() > batchRowsMax:
		return nil, fmt.Errorf("duckdb: write %s: %w: %d rows, more than %d", tableName, ErrInvalidBatch,
			rec.NumRows(), batchRowsMax)
	case stream == "" || len(stream) > streamBytesMax || !utf8.ValidString(stream):
		return nil, fmt.Errorf("duckdb: write %s: %w: stream %q must be 1 to %d bytes of UTF-8", tableName,
			ErrInvalidBatch, stream, streamBytesMax)
	case upTo == 0:
		return nil, fmt.Errorf("duckdb: write %s: %w: upTo must be > 0", tableName, ErrInvalidBatch)
	}
	if err := t.check(rec.Schema()); err != nil {
		return nil, fmt.Errorf("duckdb: write %s: %w", tableName, err)
	}
	if err := columnar.Validate(t.contract, rec); err != nil {
		return nil, fmt.Errorf("duckdb: write %s: %w: %w", tableName, ErrInvalidBatch, err)
	}
	return t, nil
}

// Watermark returns the highest seq stored for stream, 0 if none.
func (s *Store) Watermark(ctx context.Context, stream string) (uint64, error) {
	if err := s.beginRead(); err != nil {
		return 0, err
	}
	defer s.gate.Leave()
	var seq uint64
	err := s.db.QueryRowContext(ctx, `SELECT seq FROM watermarks WHERE stream = ?`, stream).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("duckdb: watermark %s: %w", stream, err)
	}
	return seq, nil
}

// writer is the one connection that writes; the Store's mutex serializes its use.
type writer struct {
	conn  *duckdbgo.Conn
	arrow *duckdbgo.Arrow
}

func newWriter(ctx context.Context, connector *duckdbgo.Connector) (*writer, error) {
	dc, err := connector.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect writer: %w", err)
	}
	conn, ok := dc.(*duckdbgo.Conn)
	if !ok {
		panic(fmt.Sprintf("BUG: duckdb connector returned %T", dc))
	}
	ar, err := duckdbgo.NewArrowFromConn(conn)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("arrow on writer: %w", err), conn.Close())
	}
	w := &writer{conn: conn, arrow: ar}
	// Lets an insert run on every thread (see insert). Only this session: queries keep their order.
	if err := w.exec(ctx, `SET SESSION preserve_insertion_order = false`); err != nil {
		return nil, errors.Join(fmt.Errorf("writer settings: %w", err), conn.Close())
	}
	return w, nil
}

func (w *writer) close() error { return w.conn.Close() }

// write runs one batch's transaction: check the watermark, insert, advance the watermark, commit.
func (w *writer) write(ctx context.Context, t *table, rec arrow.RecordBatch, stream string, upTo uint64) (skipped bool, err error) {
	if err := w.exec(ctx, `BEGIN TRANSACTION`); err != nil {
		return false, err
	}
	open := true
	defer func() {
		if open { // also after a failed statement: DuckDB then refuses everything but ROLLBACK
			err = errors.Join(err, w.exec(context.WithoutCancel(ctx), `ROLLBACK`))
		}
	}()
	mark, err := w.watermark(ctx, stream)
	if err != nil {
		return false, err
	}
	if mark >= upTo {
		return true, nil
	}
	if err := columnar.CheckKeys(t.contract, rec, stream, mark, upTo); err != nil {
		return false, fmt.Errorf("%w: %w", ErrInvalidBatch, err)
	}
	if err := w.insert(ctx, t, rec); err != nil {
		return false, err
	}
	err = w.exec(ctx, `INSERT INTO watermarks (stream, seq) VALUES (?, ?)
		ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq`, stream, upTo)
	if err != nil {
		return false, fmt.Errorf("advance watermark: %w", err)
	}
	open = false // a failed COMMIT rolls back by itself
	if err := w.exec(ctx, `COMMIT`); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return false, nil
}

// insert shows rec to DuckDB as a temporary view over the Arrow C stream and copies it into the table.
// It runs inside the write transaction, so a rollback also removes the view.
//
// The view is read exactly once and whole (SELECT *): the stream cannot be rewound, and DuckDB 1.5's
// C-API Arrow scan maps a projected subset of columns onto the wrong arrays (wrong values, or a crash on
// string columns). The row count check after the insert catches a stream read short.
//
// The stream hands the batch over in row-group slices: with preserve_insertion_order off, DuckDB's two
// threads then convert and compress a row group each, which raises a trades insert from ~0.55x to ~0.9x
// of its own CREATE TABLE AS from Parquet.
func (w *writer) insert(ctx context.Context, t *table, rec arrow.RecordBatch) error {
	var parts []arrow.RecordBatch
	for off := int64(0); off < rec.NumRows(); off += rowGroupRows {
		parts = append(parts, rec.NewSlice(off, min(off+rowGroupRows, rec.NumRows())))
	}
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	reader, err := array.NewRecordReader(rec.Schema(), parts)
	if err != nil {
		panic(fmt.Sprintf("BUG: record reader over its own schema: %v", err))
	}
	defer reader.Release()
	release, err := w.arrow.RegisterView(reader, batchView)
	if err != nil {
		return fmt.Errorf("register arrow view: %w", err)
	}
	defer release()
	res, err := w.conn.ExecContext(ctx, t.insertSQL, nil)
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	if n != rec.NumRows() {
		return fmt.Errorf("insert: stored %d rows of %d", n, rec.NumRows())
	}
	if err := w.exec(ctx, `DROP VIEW `+batchView); err != nil {
		return fmt.Errorf("drop arrow view: %w", err)
	}
	return nil
}

// watermark reads stream's watermark inside the write transaction.
func (w *writer) watermark(ctx context.Context, stream string) (uint64, error) {
	rows, err := w.conn.QueryContext(ctx, `SELECT seq FROM watermarks WHERE stream = ?`, namedValues(stream))
	if err != nil {
		return 0, fmt.Errorf("read watermark: %w", err)
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	switch err := rows.Next(dest); {
	case errors.Is(err, io.EOF):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("read watermark: %w", err)
	}
	seq, ok := dest[0].(uint64)
	if !ok {
		panic(fmt.Sprintf("BUG: watermarks.seq scanned as %T", dest[0]))
	}
	return seq, nil
}

func (w *writer) exec(ctx context.Context, query string, args ...any) error {
	_, err := w.conn.ExecContext(ctx, query, namedValues(args...))
	return err
}

func namedValues(args ...any) []driver.NamedValue {
	if len(args) == 0 {
		return nil
	}
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}
