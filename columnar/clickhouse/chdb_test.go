package clickhouse_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tape-ledger/tape/columnar"
	"github.com/tape-ledger/tape/columnar/clickhouse"
	"github.com/tape-ledger/tape/columnar/columnartest"
)

// Every table on chDB (ClickHouse 26): random batches, extremes included, go through Write and come back
// from Query bit-exact in the contract's types (columnartest.RoundTripProperty, as for DuckDB).
func TestChDBRoundTripProperty(t *testing.T) {
	s, _, _ := openChDB(t)
	columnartest.RoundTripProperty(t, s, rand.Uint64(), func(dt arrow.DataType) arrow.DataType { return dt })
}

// A batch stored without its watermark (the process died between the two inserts) is found by the
// next Store's first Write of the stream: the same batch written again stores no row twice, and a
// batch that overlaps it stores only its new rows.
func TestChDBDedupAfterLostWatermark(t *testing.T) {
	ctx := context.Background()
	s, e, db := openChDB(t)
	g := columnartest.NewGen(7, false)
	for _, table := range []string{"events", "accounts", "snapshots", "trades", "quotes"} {
		t.Run(table, func(t *testing.T) {
			stream, source := table, ""
			if table == "trades" || table == "quotes" {
				source = "x"
				stream = table + "/x"
			}
			first, upTo1 := g.Batch(t, table, 50, 1, source)
			defer first.Release()
			mustWrite(t, s, table, first, stream, upTo1)
			// The second batch lands without its watermark: inserted behind the Store's back.
			second, upTo2 := g.Batch(t, table, 50, upTo1+1, source)
			defer second.Release()
			c, err := e.Conn(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Insert(ctx, table, second, nil); err != nil {
				t.Fatal(err)
			}
			// A new Store (unsure after open) gets the second batch again, then a third that overlaps
			// nothing.
			s2, err := e.OpenStore(ctx, clickhouse.Options{Database: db})
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if mustWrite(t, s2, table, second, stream, upTo2) {
				t.Fatal("second batch skipped: its watermark was never written")
			}
			third, upTo3 := g.Batch(t, table, 20, upTo2+1, source)
			defer third.Release()
			mustWrite(t, s2, table, third, stream, upTo3)
			if mustWrite(t, s2, table, third, stream, upTo3) == false {
				t.Error("third batch again: not skipped")
			}
			want := first.NumRows() + second.NumRows() + third.NumRows()
			n := count(t, s2, "SELECT count() FROM "+table)
			keys := strings.Join(columnar.Tables()[indexOf(table)].Key, ", ")
			distinct := count(t, s2, "SELECT uniqExact("+keys+") FROM "+table)
			if n != uint64(want) || distinct != n {
				t.Errorf("%d rows, %d distinct keys, want %d", n, distinct, want)
			}
		})
	}
}

func indexOf(table string) int {
	for i, tb := range columnar.Tables() {
		if tb.Name == table {
			return i
		}
	}
	panic(table)
}

// failingConn loses the watermark insert of the next write once: the rows land, the write fails.
type failingConn struct {
	clickhouse.Conn
	failWatermark bool
}

func (f *failingConn) Insert(ctx context.Context, table string, rec arrow.RecordBatch, settings clickhouse.Settings) error {
	if table == "watermarks" && f.failWatermark {
		f.failWatermark = false
		return errors.New("connection lost")
	}
	return f.Conn.Insert(ctx, table, rec, settings)
}

// In one Store: a write whose watermark insert failed leaves the stream unsure, and writing the same
// batch again (as the projector does after an error) completes it without doubles.
func TestChDBDedupAfterFailedWrite(t *testing.T) {
	ctx := context.Background()
	e := chdbEngine(t)
	c, err := e.Conn(ctx, "failed_write")
	if err != nil {
		t.Fatal(err)
	}
	fc := &failingConn{Conn: c}
	s, err := clickhouse.OpenConn(ctx, fc, clickhouse.Options{Database: "failed_write"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := columnartest.NewGen(8, false)
	rec, upTo := g.Batch(t, "events", 100, 1, "")
	defer rec.Release()
	fc.failWatermark = true
	if _, err := s.Write(ctx, "events", rec, "events", upTo); err == nil {
		t.Fatal("write with a lost watermark succeeded")
	}
	if w, _ := s.Watermark(ctx, "events"); w != 0 {
		t.Fatalf("watermark %d after the failed write", w)
	}
	if mustWrite(t, s, "events", rec, "events", upTo) {
		t.Fatal("retry skipped")
	}
	if n := count(t, s, "SELECT count() FROM events"); n != uint64(rec.NumRows()) {
		t.Errorf("%d rows, want %d", n, rec.NumRows())
	}
}

// A bad batch is refused whole before anything is sent, naming the column.
func TestChDBBadBatchStoresNothing(t *testing.T) {
	s, _, _ := openChDB(t)
	g := columnartest.NewGen(9, false)
	good, upTo := g.Batch(t, "trades", 10, 1, "f")
	defer good.Release()
	// A null sym in the middle.
	withNull := columnartest.BuildRecord(t, good.Schema(), func() [][]any {
		rows := columnartest.Cells(t, good)
		for i := range rows {
			rows[i][0] = rows[i][0].(int64)
			rows[i][2], rows[i][3] = rows[i][2].(columnartest.Dec).Num, rows[i][3].(columnartest.Dec).Num
		}
		rows[5][1] = nil
		return rows
	}())
	defer withNull.Release()
	cases := []struct {
		name, table, stream string
		rec                 arrow.RecordBatch
		want                string
	}{
		{"null in required column", "trades", "trades/f", withNull, "column sym"},
		{"wrong table for schema", "quotes", "quotes/f", good, "column px"},
		{"stream of another source", "trades", "trades/g", good, "column source"},
		{"stream without source", "trades", "trades", good, "trades/<source>"},
		{"unknown table", "orders", "orders", good, "unknown table"},
	}
	for _, tc := range cases {
		_, err := s.Write(context.Background(), tc.table, tc.rec, tc.stream, upTo)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
	if _, err := s.Write(context.Background(), "trades", good, "trades/f", upTo-1); err == nil || !strings.Contains(err.Error(), "source_seq") {
		t.Errorf("rows above upTo: %v", err)
	}
	if n := count(t, s, "SELECT count() FROM trades"); n != 0 {
		t.Errorf("%d rows stored by refused batches", n)
	}
}

// Query takes one SELECT, binds arguments as literals (NUL and quotes included) and refuses the rest.
func TestChDBQuery(t *testing.T) {
	s, _, _ := openChDB(t)
	_, rows := columnartest.QueryAll(t, s, "SELECT ? AS a, ? AS b, toInt64(?) AS c, '?' AS d", "it's \x00 \\ 😀", uint64(1<<64-1), int64(-5))
	want := []any{"it's \x00 \\ 😀", uint64(1<<64 - 1), int64(-5), "?"}
	columnartest.SameRows(t, "bound", rows, [][]any{want})
	for _, q := range []string{"INSERT INTO trades SELECT * FROM trades", "SELECT 1; DROP TABLE trades",
		"DROP TABLE trades", "SELECT 1 INTO OUTFILE '/tmp/x'", ""} {
		if _, err := s.Query(context.Background(), q); !errors.Is(err, clickhouse.ErrNotReadOnly) {
			t.Errorf("%q: %v, want ErrNotReadOnly", q, err)
		}
	}
	if _, err := s.Query(context.Background(), "SELECT ?", 1.5); err == nil {
		t.Error("a float argument was bound")
	}
	// An empty result still has its schema.
	schema, rows := columnartest.QueryAll(t, s, "SELECT * FROM events WHERE seq > 5")
	if len(rows) != 0 || schema.NumFields() != columnar.EventsSchema.NumFields() {
		t.Errorf("empty result: %d rows, schema %s", len(rows), schema)
	}
}

// Opening again applies nothing; the migrations table holds each version once.
func TestChDBReopen(t *testing.T) {
	ctx := context.Background()
	_, e, db := openChDB(t)
	for range 2 {
		s, err := e.OpenStore(ctx, clickhouse.Options{Database: db})
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, s, "SELECT count() FROM _tape_migrations"); n != 1 {
			t.Errorf("%d migration rows, want 1", n)
		}
		s.Close()
	}
}

// Every statement of the cluster layout parses in ClickHouse 26 (it cannot run without a cluster and
// ZooKeeper/Keeper); the single layout's run in every other test.
func TestChDBClusterDDLParses(t *testing.T) {
	ctx := context.Background()
	e := chdbEngine(t)
	c, err := e.Conn(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	stmts, err := clickhouse.MigrationStatements(clickhouse.Options{Layout: clickhouse.LayoutCluster, Cluster: "tape-prod", Database: "tape"})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stmts {
		if strings.Contains(st, "${") {
			t.Errorf("unfilled variable in %s", st)
		}
		rr, err := c.Query(ctx, "EXPLAIN AST "+st)
		if err != nil {
			t.Errorf("%s\n%v", st, err)
			continue
		}
		rr.Release()
	}
	if len(stmts) < 13 {
		t.Errorf("%d statements", len(stmts))
	}
}
