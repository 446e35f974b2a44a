package chdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/tape-ledger/tape/columnar/clickhouse"
)

// Engine is the process's chDB engine.
type Engine struct {
	dir string // data folder

	mu      sync.Mutex // serializes calls (the current database is the engine's)
	conn    unsafe.Pointer
	handle  unsafe.Pointer // chdb_connection *, for chdb_close_conn
	current string         // the database of the last USE
	users   int
}

var engine struct {
	sync.Mutex
	e *Engine
}

// Open returns the process's engine with its data in dir, starting it on first use. Every Open is
// matched by a Close; the engine stops at the last. A second dir while the engine runs is an error.
func Open(dir string) (*Engine, error) {
	if err := loadLibrary(); err != nil {
		return nil, err
	}
	engine.Lock()
	defer engine.Unlock()
	if e := engine.e; e != nil {
		if e.dir != dir {
			return nil, fmt.Errorf("chdb: engine runs on %s; one engine per process, cannot open %s", e.dir, dir)
		}
		e.users++
		return e, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("chdb: %w", err)
	}
	args := []string{"clickhouse", "--path=" + dir}
	argv := make([]*byte, len(args))
	for i, a := range args {
		b := append([]byte(a), 0)
		argv[i] = &b[0]
	}
	handle := lib.connect(len(argv), argv)
	if handle == nil || *(*unsafe.Pointer)(handle) == nil {
		return nil, fmt.Errorf("chdb: cannot start the engine on %s", dir)
	}
	engine.e = &Engine{dir: dir, handle: handle, conn: *(*unsafe.Pointer)(handle), users: 1}
	return engine.e, nil
}

// Close stops the engine at its last user.
func (e *Engine) Close() {
	engine.Lock()
	defer engine.Unlock()
	if e.users--; e.users > 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	lib.closeConn(e.handle)
	e.conn = nil
	engine.e = nil
}

// query runs one statement in database and returns its output in format.
func (e *Engine) query(ctx context.Context, database, query, format string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == nil {
		return nil, errors.New("chdb: engine closed")
	}
	if e.current != database {
		if _, err := e.run("USE "+database, "TSV"); err != nil {
			return nil, err
		}
		e.current = database
	}
	return e.run(query, format)
}

// run calls chdb_query; the output is copied out of chDB's memory.
func (e *Engine) run(query, format string) ([]byte, error) {
	res := lib.query(e.conn, query, format)
	if res == nil {
		return nil, nil
	}
	defer lib.destroyResult(res)
	if msg := lib.resultError(res); msg != "" {
		return nil, fmt.Errorf("chdb: %s", strings.TrimSpace(msg))
	}
	n := lib.resultLength(res)
	if n == 0 {
		return nil, nil
	}
	return bytes.Clone(unsafe.Slice((*byte)(lib.resultBuffer(res)), n)), nil
}

// Conn returns a connection of the engine whose current database is database, created if missing. Its
// Close does not stop the engine.
func (e *Engine) Conn(ctx context.Context, database string) (clickhouse.Conn, error) {
	if _, err := e.query(ctx, "default", "CREATE DATABASE IF NOT EXISTS "+database, "TSV"); err != nil {
		return nil, fmt.Errorf("chdb: create database %s: %w", database, err)
	}
	return &conn{e: e, database: database}, nil
}

// OpenStore opens a Store of layout single (or a layout o names) in database o.Database of the engine.
func (e *Engine) OpenStore(ctx context.Context, o clickhouse.Options) (*clickhouse.Store, error) {
	if o.Database == "" {
		o.Database = "default"
	}
	c, err := e.Conn(ctx, o.Database)
	if err != nil {
		return nil, err
	}
	return clickhouse.OpenConn(ctx, c, o)
}

// conn is one database of the engine.
type conn struct {
	e        *Engine
	database string
}

func (c *conn) Exec(ctx context.Context, query string) error {
	_, err := c.e.query(ctx, c.database, query, "TSV")
	return err
}

// Retryable: chDB runs in this process, there is no connection to lose.
func (c *conn) Retryable(error) bool { return false }

func (c *conn) Close() error { return nil }

// Insert writes rec to an Arrow IPC file and inserts it with INSERT ... SELECT FROM file().
func (c *conn) Insert(ctx context.Context, table string, rec arrow.RecordBatch, settings clickhouse.Settings) error {
	f, err := os.CreateTemp(c.e.dir, "batch-*.arrow")
	if err != nil {
		return fmt.Errorf("table %s: %w", table, err)
	}
	path := f.Name()
	defer os.Remove(path)
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(rec.Schema()))
	if err == nil {
		err = w.Write(rec)
		err = errors.Join(err, w.Close())
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("table %s: write batch file: %w", table, err)
	}
	names := make([]string, rec.NumCols())
	for i := range names {
		names[i] = rec.ColumnName(i)
	}
	cols := strings.Join(names, ", ")
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM file('%s', 'Arrow')%s", table, cols, cols, abs, settingsClause(settings))
	return c.Exec(ctx, q)
}

func settingsClause(s clickhouse.Settings) string {
	if len(s) == 0 {
		return ""
	}
	parts := make([]string, 0, len(s))
	for k, v := range s {
		parts = append(parts, fmt.Sprintf("%s = %d", k, v))
	}
	sort.Strings(parts)
	return " SETTINGS " + strings.Join(parts, ", ")
}

// Query reads the result as ArrowStream.
func (c *conn) Query(ctx context.Context, query string) (array.RecordReader, error) {
	out, err := c.e.query(ctx, c.database, query, "ArrowStream")
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("chdb: %q returned no Arrow stream", query)
	}
	r, err := ipc.NewReader(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("chdb: read Arrow result: %w", err)
	}
	return r, nil
}
