package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tape-ledger/tape/columnar/clickhouse"
	"github.com/tape-ledger/tape/columnar/clickhouse/chdb"
	"github.com/tape-ledger/tape/columnar/columnartest"
)

// unavailable skips a test whose engine (a ClickHouse server, chDB) is missing, or fails it when the
// environment requires integration tests (TAPE_REQUIRE_INTEGRATION=1, as make test sets).
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("TAPE_REQUIRE_INTEGRATION") == "1" {
		t.Fatalf("%s (required: TAPE_REQUIRE_INTEGRATION=1; run scripts/integration-deps.sh)", msg)
	}
	t.Skipf("%s (run scripts/integration-deps.sh)", msg)
}

var databases atomic.Int64

// openChDB opens a single-layout Store in a fresh database of the process's chDB engine.
func openChDB(t testing.TB) (*clickhouse.Store, *chdb.Engine, string) {
	t.Helper()
	e := chdbEngine(t)
	db := fmt.Sprintf("t%d", databases.Add(1))
	s, err := e.OpenStore(context.Background(), clickhouse.Options{Database: db})
	if err != nil {
		t.Fatalf("open store on chDB: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, clickhouse.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s, e, db
}

// chdbDir is the engine's folder: one engine per process, shared by the tests.
var chdbDir string

func chdbEngine(t testing.TB) *chdb.Engine {
	t.Helper()
	if chdbDir == "" {
		dir, err := os.MkdirTemp("", "tape-chdb-")
		if err != nil {
			t.Fatal(err)
		}
		chdbDir = dir
	}
	e, err := chdb.Open(chdbDir)
	if errors.Is(err, chdb.ErrNoLibrary) {
		unavailable(t, "chDB: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chdbDir != "" {
		os.RemoveAll(chdbDir)
	}
	os.Exit(code)
}

func mustWrite(t testing.TB, s *clickhouse.Store, table string, rec arrow.RecordBatch, stream string, upTo uint64) bool {
	t.Helper()
	skipped, err := s.Write(context.Background(), table, rec, stream, upTo)
	if err != nil {
		t.Fatalf("Write %s: %v", table, err)
	}
	return skipped
}

func count(t testing.TB, s *clickhouse.Store, query string) uint64 {
	t.Helper()
	_, rows := columnartest.QueryAll(t, s, query)
	return rows[0][0].(uint64)
}
