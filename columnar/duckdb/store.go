//go:build duckdb_arrow

package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	duckdbgo "github.com/duckdb/duckdb-go/v2"

	"github.com/tape-ledger/tape/columnar"
	tapesql "github.com/tape-ledger/tape/sql"
)

var (
	// ErrLocked reports that another process, or another Store of this process, holds the database file.
	ErrLocked = errors.New("database file is locked")
	// ErrNotDatabase reports that the file exists but is not a DuckDB database.
	ErrNotDatabase = errors.New("not a DuckDB database file")
	// ErrClosed reports a call on a closed Store.
	ErrClosed = errors.New("duckdb store is closed")
)

// memoryPath opens an in-memory database (for tests of other packages); anything else is a file path.
const memoryPath = ":memory:"

// Store is one DuckDB database file with Tape's tables.
type Store struct {
	path   string
	pathID string // key in openPaths; empty for an in-memory database
	db     *sql.DB
	tables map[string]*table

	connector *duckdbgo.Connector

	mu     sync.Mutex // serializes writes; guards writer
	writer *writer    // nil once closed

	gate columnar.Gate // calls in flight and open Query readers
}

// MemoryLimitDefault bounds DuckDB's buffer pool unless Options say otherwise: DuckDB's own default
// (80% of RAM) would let a long ingest cache most of the file it writes, next to the ledger in the same
// process. Queries that need more spill to disk.
const MemoryLimitDefault = "512MB"

// Options tune a Store.
type Options struct {
	// MemoryLimit is DuckDB's memory_limit ("512MB", "4GB"); empty means MemoryLimitDefault.
	MemoryLimit string
}

// Open opens the database file at path with the default Options (see OpenWith).
func Open(ctx context.Context, path string) (*Store, error) { return OpenWith(ctx, path, Options{}) }

// OpenWith opens the database file at path, creating it if it does not exist, and applies the pending
// migrations of sql/duckdb in one transaction. The error names the file; errors.Is tells ErrLocked and
// ErrNotDatabase apart.
func OpenWith(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.MemoryLimit == "" {
		opts.MemoryLimit = MemoryLimitDefault
	}
	pathID, err := claimPath(path)
	if err != nil {
		return nil, err
	}
	s, err := open(ctx, path, opts)
	if err != nil {
		releasePath(pathID)
		return nil, err
	}
	s.pathID = pathID
	return s, nil
}

func open(ctx context.Context, path string, opts Options) (*Store, error) {
	migrations, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	connector, err := duckdbgo.NewConnector(path, nil)
	if err != nil {
		return nil, openError(path, err)
	}
	db := sql.OpenDB(connector) // db.Close closes the connector
	s := &Store{path: path, db: db, connector: connector}
	if err := s.init(ctx, migrations, opts); err != nil {
		return nil, errors.Join(fmt.Errorf("duckdb: open %s: %w", path, err), db.Close())
	}
	return s, nil
}

func (s *Store) init(ctx context.Context, migrations []tapesql.Migration, opts Options) error {
	// Casts between TIMESTAMP_NS and TIMESTAMPTZ follow the session zone; pin it so queries mean the
	// same on every machine.
	// A 64k-row events batch is ~17 MB: at the default 16 MB threshold every
	// commit also checkpointed, doubling its cost (199k -> 320k rows/s with
	// 1 GB). The price is a longer WAL replay after a crash, acceptable for a
	// projection that can be rebuilt from the tape.
	if _, err := s.db.ExecContext(ctx, `SET GLOBAL checkpoint_threshold = '1GB'`); err != nil {
		return fmt.Errorf("set checkpoint threshold: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `SET GLOBAL memory_limit = `+quoteLiteral(opts.MemoryLimit)); err != nil {
		return fmt.Errorf("memory_limit %q: %w", opts.MemoryLimit, err)
	}
	if _, err := s.db.ExecContext(ctx, `SET GLOBAL TimeZone = 'UTC'`); err != nil {
		return fmt.Errorf("set time zone: %w", err)
	}
	if _, err := migrate(ctx, s.db, migrations); err != nil {
		return err
	}
	tables, err := loadTables(ctx, s.db)
	if err != nil {
		return err
	}
	s.tables = tables
	w, err := newWriter(ctx, s.connector)
	if err != nil {
		return err
	}
	s.writer = w
	return nil
}

// Close waits for open Query readers to be released and for a write in flight, then closes the file.
// Calls after Close fail with ErrClosed.
func (s *Store) Close() error {
	if !s.gate.Shut() {
		return ErrClosed
	}
	s.mu.Lock()
	errWriter := s.writer.close()
	s.writer = nil
	s.mu.Unlock()
	err := errors.Join(errWriter, s.db.Close())
	releasePath(s.pathID)
	if err != nil {
		return fmt.Errorf("duckdb: close %s: %w", s.path, err)
	}
	return nil
}

// beginRead registers a reader unless the store is closed; the caller calls s.gate.Leave when it ends.
func (s *Store) beginRead() error {
	if !s.gate.Enter() {
		return ErrClosed
	}
	return nil
}

// openError names the file and classifies DuckDB's open failures.
func openError(path string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not set lock"):
		return fmt.Errorf("duckdb: open %s: %w (held by another process): %v", path, ErrLocked, err)
	case strings.Contains(msg, "not a valid DuckDB database file"):
		return fmt.Errorf("duckdb: open %s: %w: %v", path, ErrNotDatabase, err)
	}
	return fmt.Errorf("duckdb: open %s: %w", path, err)
}

// openPaths holds the files open in this process. DuckDB's driver shares one database instance per path
// inside a process, so a second Store would bypass the first one's write lock.
var openPaths = struct {
	sync.Mutex
	m map[string]bool
}{m: map[string]bool{}}

// claimPath validates path and marks its file open in this process; it returns the key for releasePath.
func claimPath(path string) (string, error) {
	if path == memoryPath {
		return "", nil
	}
	if path == "" || strings.ContainsRune(path, '?') {
		// DuckDB's driver reads "?" as the start of connection options.
		return "", fmt.Errorf("duckdb: open %q: path must be a file name without '?'", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("duckdb: open %s: %w", path, err)
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs)) // one key for every spelling of the folder
	}
	openPaths.Lock()
	defer openPaths.Unlock()
	if openPaths.m[abs] {
		return "", fmt.Errorf("duckdb: open %s: %w (already open in this process)", path, ErrLocked)
	}
	openPaths.m[abs] = true
	return abs, nil
}

func releasePath(pathID string) {
	if pathID == "" {
		return
	}
	openPaths.Lock()
	defer openPaths.Unlock()
	delete(openPaths.m, pathID)
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
