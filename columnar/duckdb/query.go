//go:build duckdb_arrow

package duckdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	duckdbgo "github.com/duckdb/duckdb-go/v2"
)

// ErrNotReadOnly reports a Query that is not a single SELECT.
var ErrNotReadOnly = errors.New("query must be a single read-only SELECT")

// Query runs one SELECT with args bound to its placeholders and returns its rows as Arrow. The reader
// holds a connection and a snapshot until Release, which the caller must call (Close waits for it).
// TIMESTAMP_NS columns come back as timestamp[ns, UTC]. A batch is valid until the next call of Next or
// Release; strings and bytes read from it alias DuckDB's memory.
//
// Only a single SELECT is accepted, and it runs in a read-only transaction. It may still read files
// through DuckDB's table functions (read_parquet, read_csv, ...).
func (s *Store) Query(ctx context.Context, query string, args ...any) (array.RecordReader, error) {
	if err := s.beginRead(); err != nil {
		return nil, err
	}
	r, err := s.query(ctx, query, args)
	if err != nil {
		s.gate.Leave()
		return nil, fmt.Errorf("duckdb: query: %w", err)
	}
	return r, nil
}

func (s *Store) query(ctx context.Context, query string, args []any) (array.RecordReader, error) {
	dc, err := s.connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	conn, ok := dc.(*duckdbgo.Conn)
	if !ok {
		panic(fmt.Sprintf("BUG: duckdb connector returned %T", dc))
	}
	inner, err := startQuery(ctx, conn, query, args)
	if err != nil {
		return nil, errors.Join(err, conn.Close())
	}
	r := &reader{inner: inner, schema: inner.Schema(), conn: conn, done: s.gate.Leave}
	if utc := relabelSchema(inner.Schema(), inUTC); utc != nil {
		r.schema, r.relabel = utc, true
	}
	r.refs.Store(1)
	return r, nil
}

// startQuery checks that query is one SELECT, opens a read-only transaction and runs it.
func startQuery(ctx context.Context, conn *duckdbgo.Conn, query string, args []any) (array.RecordReader, error) {
	// Prepare (unlike PrepareContext) refuses several statements without running any of them.
	stmt, err := conn.Prepare(query)
	if err != nil {
		if strings.Contains(err.Error(), "multi-statement") {
			return nil, fmt.Errorf("%w: several statements", ErrNotReadOnly)
		}
		return nil, err
	}
	st, ok := stmt.(*duckdbgo.Stmt)
	if !ok {
		panic(fmt.Sprintf("BUG: duckdb Prepare returned %T", stmt))
	}
	kind, err := st.StatementType()
	err = errors.Join(err, stmt.Close())
	if err != nil {
		return nil, err
	}
	if kind != duckdbgo.STATEMENT_TYPE_SELECT {
		return nil, ErrNotReadOnly
	}
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION READ ONLY`, nil); err != nil {
		return nil, err
	}
	ar, err := duckdbgo.NewArrowFromConn(conn)
	if err == nil {
		var rr array.RecordReader
		if rr, err = ar.QueryContext(ctx, query, args...); err == nil {
			return rr, nil
		}
	}
	_, errRollback := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`, nil)
	return nil, errors.Join(err, errRollback)
}

// reader is a Query result: DuckDB's record reader plus the connection and transaction it holds.
type reader struct {
	inner   array.RecordReader
	schema  *arrow.Schema
	relabel bool // schema differs from inner's by timestamp zones
	conn    *duckdbgo.Conn
	done    func() // the Store's reader count

	refs atomic.Int64
	mu   sync.Mutex // guards cur and err
	cur  arrow.RecordBatch
	err  error
}

func (r *reader) Schema() *arrow.Schema { return r.schema }

func (r *reader) Next() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil || !r.inner.Next() {
		return false
	}
	rec := r.inner.RecordBatch()
	if r.relabel {
		r.cur = relabel(rec, r.schema)
	} else {
		rec.Retain()
		r.cur = rec
	}
	return true
}

func (r *reader) RecordBatch() arrow.RecordBatch {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// Record is RecordBatch (arrow-go's deprecated name).
func (r *reader) Record() arrow.RecordBatch { return r.RecordBatch() }

func (r *reader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	return r.inner.Err()
}

func (r *reader) Retain() { r.refs.Add(1) }

// Release frees the reader at the last reference: its batch, DuckDB's result, the transaction and the
// connection.
func (r *reader) Release() {
	switch n := r.refs.Add(-1); {
	case n > 0:
		return
	case n < 0:
		panic("BUG: duckdb reader released more often than retained")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.inner.Release()
	_, errRollback := r.conn.ExecContext(context.Background(), `ROLLBACK`, nil)
	r.err = errors.Join(errRollback, r.conn.Close())
	if r.err == nil {
		r.err = errors.New("duckdb reader released")
	}
	r.done()
}
