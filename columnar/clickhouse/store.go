package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tape-ledger/tape/columnar"
)

var (
	// ErrUnknownTable reports a Write to a table that is not one of Tape's data tables.
	ErrUnknownTable = errors.New("unknown table")
	// ErrInvalidBatch reports a Write refused before anything was sent.
	ErrInvalidBatch = errors.New("invalid batch")
	// ErrClosed reports a call on a closed Store.
	ErrClosed = errors.New("clickhouse store is closed")
)

// Store is Tape's tables in one ClickHouse database.
type Store struct {
	conn    Conn
	opts    Options
	retries atomic.Uint64

	mu      sync.Mutex              // serializes writes; guards streams
	streams map[string]*streamState // what this Store knows of each stream it wrote

	gate columnar.Gate // calls in flight and open Query readers
}

// streamState is what a Store knows of a stream. Until a write of the stream succeeded in this Store,
// and again after one failed, it is unsure: rows above the watermark may be stored (a batch whose
// watermark row was lost), so the next write looks for them first.
type streamState struct {
	sure bool   // no row of the stream is stored above mark
	mark uint64 // the watermark, valid when sure
}

// Open connects to the server of o over the native protocol, creates the database if it is missing and
// applies the pending migrations of o.Layout. Opening again is a no-op for the schema.
func Open(ctx context.Context, o Options) (*Store, error) {
	if err := o.check(); err != nil {
		return nil, fmt.Errorf("clickhouse: open: %w", err)
	}
	c, err := dialNative(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: open %s/%s: %w", o.Addr, o.Database, err)
	}
	return OpenConn(ctx, c, o)
}

// OpenConn makes a Store of a connection whose current database is o.Database, applying the pending
// migrations of o.Layout. The Store owns c: Close closes it, and so does a failed OpenConn.
func OpenConn(ctx context.Context, c Conn, o Options) (*Store, error) {
	if err := o.check(); err != nil {
		return nil, errors.Join(fmt.Errorf("clickhouse: open: %w", err), c.Close())
	}
	ms, err := loadMigrations(o)
	if err == nil {
		_, err = migrate(ctx, c, ms)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("clickhouse: open database %s: %w", o.Database, err), c.Close())
	}
	return &Store{conn: c, opts: o, streams: map[string]*streamState{}}, nil
}

// Close waits for the calls in flight and the open Query readers, then closes the connection. Calls
// after Close fail with ErrClosed.
func (s *Store) Close() error {
	if !s.gate.Shut() {
		return ErrClosed
	}
	if err := s.conn.Close(); err != nil {
		return fmt.Errorf("clickhouse: close: %w", err)
	}
	return nil
}

// Retries counts the operations this Store retried after a lost connection.
func (s *Store) Retries() uint64 { return s.retries.Load() }

// begin registers a call unless the store is closed; the caller calls s.gate.Leave when it ends.
func (s *Store) begin() error {
	if !s.gate.Enter() {
		return ErrClosed
	}
	return nil
}
