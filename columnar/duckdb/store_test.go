//go:build duckdb_arrow

package duckdb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tape-ledger/tape/columnar/columnartest"
)

// testStreams and testUpTo are the stream and watermark of a write of testRows.
var (
	testStreams = map[string]string{"events": "events", "accounts": "accounts", "snapshots": "snapshots",
		"trades": "trades/feed", "quotes": "quotes/feed"}
	testUpTo = map[string]uint64{"events": 4, "accounts": u64Max, "snapshots": u64Max, "trades": 5, "quotes": 2}
)

var tableKeys = map[string]string{
	"events":    "seq, leg",
	"accounts":  "account",
	"snapshots": "day, account",
	"trades":    "source, source_seq",
	"quotes":    "source, source_seq",
}

func openTest(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func tempDB(t testing.TB) string { return filepath.Join(t.TempDir(), "tape.duckdb") }

func count(t testing.TB, s *Store, table string) uint64 {
	t.Helper()
	_, rows := columnartest.QueryAll(t, s, "SELECT count(*)::UBIGINT FROM "+table)
	return rows[0][0].(uint64)
}

func watermark(t testing.TB, s *Store, stream string) uint64 {
	t.Helper()
	w, err := s.Watermark(context.Background(), stream)
	if err != nil {
		t.Fatalf("Watermark(%s): %v", stream, err)
	}
	return w
}

func mustWrite(t testing.TB, s *Store, table string, rec arrow.RecordBatch, stream string, upTo uint64) bool {
	t.Helper()
	skipped, err := s.Write(context.Background(), table, rec, stream, upTo)
	if err != nil {
		t.Fatalf("Write %s: %v", table, err)
	}
	return skipped
}

// The database's tables, read from its catalog, are the contract's schemas (names, order, types).
func TestCatalogMatchesContract(t *testing.T) {
	s := openTest(t, tempDB(t))
	for name, want := range contractSchemas {
		got := s.tables[name].schema
		if got.NumFields() != want.NumFields() {
			t.Fatalf("%s: %d columns, contract %d", name, got.NumFields(), want.NumFields())
		}
		for i, f := range want.Fields() {
			g := got.Field(i)
			if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) {
				t.Errorf("%s column %d: %s %s, contract %s %s", name, i, g.Name, g.Type, f.Name, f.Type)
			}
		}
	}
	if len(s.tables) != len(contractSchemas) {
		t.Errorf("store knows %d tables, contract %d", len(s.tables), len(contractSchemas))
	}
}

// Every table: a batch goes in through Arrow and comes back bit-exact, in the contract's types (hashes
// come back as binary).
func TestRoundTrip(t *testing.T) {
	s := openTest(t, tempDB(t))
	for name, schema := range contractSchemas {
		t.Run(name, func(t *testing.T) {
			rec := columnartest.BuildRecord(t, schema, testRows[name])
			defer rec.Release()
			if skipped := mustWrite(t, s, name, rec, testStreams[name], testUpTo[name]); skipped {
				t.Fatal("first write skipped")
			}
			gotSchema, got := columnartest.QueryAll(t, s, "SELECT * FROM "+name+" ORDER BY "+tableKeys[name])
			for i, f := range schema.Fields() {
				want := f.Type
				if want.ID() == arrow.FIXED_SIZE_BINARY {
					want = arrow.BinaryTypes.Binary
				}
				g := gotSchema.Field(i)
				if g.Name != f.Name || !arrow.TypeEqual(g.Type, want) {
					t.Errorf("column %d: got %s %s, want %s %s", i, g.Name, g.Type, f.Name, want)
				}
			}
			if want := columnartest.Cells(t, rec); !reflect.DeepEqual(got, want) {
				t.Errorf("read back differs:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// Decimal text and timestamps seen by SQL are the values written, not rounded or shifted.
func TestExactValuesInSQL(t *testing.T) {
	s := openTest(t, tempDB(t))
	rec := columnartest.BuildRecord(t, contractSchemas["events"], testRows["events"])
	defer rec.Release()
	mustWrite(t, s, "events", rec, "events", 4)
	_, got := columnartest.QueryAll(t, s, `SELECT amount::VARCHAR, delta::VARCHAR, epoch_ns(ts), strftime(ts, '%Y-%m-%dT%H:%M:%S.%n')
		FROM events WHERE seq = 2 AND leg = 0`)
	want := []any{moneyMax, moneyMin, tsSample + 1, "2026-01-05T08:00:00.123456790"}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("got %v, want %v", got[0], want)
	}
	_, got = columnartest.QueryAll(t, s, `SELECT sum(delta)::VARCHAR FROM events WHERE seq = 2`)
	if want := "0.000000000000000000"; got[0][0] != want {
		t.Errorf("sum = %v, want %v", got[0][0], want)
	}
	// Overflow is an error, never a wrapped or rounded number.
	rr, err := s.Query(context.Background(), `SELECT sum(amount) FROM events WHERE seq = 2`)
	if err == nil {
		for rr.Next() {
		}
		err = rr.Err()
		rr.Release()
	}
	if err == nil || !strings.Contains(err.Error(), "Overflow") {
		t.Errorf("sum past DECIMAL(38,18): %v, want an overflow error", err)
	}
}

// The same batch written twice with the same upTo is stored once; an older upTo is skipped too.
func TestWriteExactlyOnce(t *testing.T) {
	s := openTest(t, tempDB(t))
	rec := columnartest.BuildRecord(t, contractSchemas["trades"], testRows["trades"])
	defer rec.Release()
	for i, tc := range []struct {
		upTo        uint64
		wantSkipped bool
	}{{5, false}, {5, true}, {3, true}} {
		if got := mustWrite(t, s, "trades", rec, "trades/feed", tc.upTo); got != tc.wantSkipped {
			t.Errorf("write %d (upTo %d): skipped = %v, want %v", i, tc.upTo, got, tc.wantSkipped)
		}
	}
	if n := count(t, s, "trades"); n != 2 {
		t.Errorf("trades has %d rows, want 2", n)
	}
	if w := watermark(t, s, "trades/feed"); w != 5 {
		t.Errorf("watermark %d, want 5", w)
	}
	if w := watermark(t, s, "trades/other"); w != 0 {
		t.Errorf("watermark of an unwritten stream %d, want 0", w)
	}
}

// A batch that fails anywhere leaves no row and the watermark where it was, and the store keeps working.
func TestWriteFailureLeavesNothing(t *testing.T) {
	s := openTest(t, tempDB(t))
	schema := contractSchemas["events"]
	first := columnartest.BuildRecord(t, schema, testRows["events"][:3])
	defer first.Release()
	mustWrite(t, s, "events", first, "events", 2)

	floatSchema := schemaOf("ts", tsNS, false, "sym", utf8s, false, "px", arrow.PrimitiveTypes.Float64, false)
	nullHash := append([]any{}, testRows["events"][4]...)
	nullHash[len(nullHash)-1] = nil
	usTS := arrow.NewSchema(append([]arrow.Field{}, schema.Fields()...), nil)
	cases := []struct {
		name  string
		table string
		rec   arrow.RecordBatch
		want  error // nil: any database error
	}{
		{"key already stored", "events", columnartest.BuildRecord(t, schema, testRows["events"][2:4]), ErrInvalidBatch},
		{"key twice in the batch", "events", columnartest.BuildRecord(t, schema, [][]any{testRows["events"][3], testRows["events"][3]}), ErrInvalidBatch},
		{"null in NOT NULL", "events", columnartest.BuildRecord(t, schema, [][]any{testRows["events"][3], nullHash}), nil},
		{"float price", "trades", columnartest.BuildRecord(t, floatSchema, [][]any{{tsSample, "X", 1.5}}), ErrSchemaMismatch},
		{"microsecond ts", "events", columnartest.BuildRecord(t, withType(usTS, 2, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}), testRows["events"][2:3]), ErrSchemaMismatch},
		{"events batch into accounts", "accounts", columnartest.BuildRecord(t, schema, testRows["events"][2:3]), ErrSchemaMismatch},
		{"unknown table", "watermarks", columnartest.BuildRecord(t, schema, testRows["events"][2:3]), ErrUnknownTable},
		{"injection", "events; DROP TABLE events", columnartest.BuildRecord(t, schema, testRows["events"][2:3]), ErrUnknownTable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.rec.Release()
			skipped, err := s.Write(context.Background(), tc.table, tc.rec, "events", 9)
			if err == nil || skipped {
				t.Fatalf("Write: skipped %v, err %v; want an error", skipped, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			t.Log(err)
			if n := count(t, s, "events"); n != 3 {
				t.Errorf("events has %d rows, want 3", n)
			}
			if w := watermark(t, s, "events"); w != 2 {
				t.Errorf("watermark %d, want 2", w)
			}
		})
	}
	rest := columnartest.BuildRecord(t, schema, testRows["events"][3:])
	defer rest.Release()
	if skipped := mustWrite(t, s, "events", rest, "events", 4); skipped {
		t.Fatal("write after failures skipped")
	}
	if n, w := count(t, s, "events"), watermark(t, s, "events"); n != 5 || w != 4 {
		t.Errorf("after a good write: %d rows, watermark %d; want 5, 4", n, w)
	}
}

func withType(s *arrow.Schema, i int, typ arrow.DataType) *arrow.Schema {
	fields := s.Fields()
	fields[i].Type = typ
	return arrow.NewSchema(fields, nil)
}

func TestWriteRefusesBadArguments(t *testing.T) {
	s := openTest(t, tempDB(t))
	rec := columnartest.BuildRecord(t, contractSchemas["trades"], testRows["trades"])
	defer rec.Release()
	cases := []struct {
		name   string
		rec    arrow.RecordBatch
		stream string
		upTo   uint64
	}{
		{"nil record", nil, "trades/feed", 1},
		{"empty stream", rec, "", 1},
		{"long stream", rec, strings.Repeat("s", streamBytesMax+1), 1},
		{"invalid UTF-8 stream", rec, "trades/\xff", 1},
		{"upTo 0", rec, "trades/feed", 0},
	}
	for _, tc := range cases {
		if _, err := s.Write(context.Background(), "trades", tc.rec, tc.stream, tc.upTo); !errors.Is(err, ErrInvalidBatch) {
			t.Errorf("%s: error %v, want ErrInvalidBatch", tc.name, err)
		}
	}
	if n := count(t, s, "trades"); n != 0 {
		t.Errorf("trades has %d rows, want 0", n)
	}
}

// A write whose context is already cancelled stores nothing.
func TestWriteCancelled(t *testing.T) {
	s := openTest(t, tempDB(t))
	rec := columnartest.BuildRecord(t, contractSchemas["quotes"], testRows["quotes"])
	defer rec.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Write(ctx, "quotes", rec, "quotes/feed", 2); err == nil {
		t.Fatal("Write with a cancelled context succeeded")
	}
	if n, w := count(t, s, "quotes"), watermark(t, s, "quotes/feed"); n != 0 || w != 0 {
		t.Errorf("%d rows, watermark %d; want 0, 0", n, w)
	}
	mustWrite(t, s, "quotes", rec, "quotes/feed", 2)
	if n := count(t, s, "quotes"); n != 2 {
		t.Errorf("%d rows after a good write, want 2", n)
	}
}

// Rows and watermarks survive Close and Open; migrations are not applied again.
func TestReopenPersists(t *testing.T) {
	path := tempDB(t)
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	rec := columnartest.BuildRecord(t, contractSchemas["events"], testRows["events"])
	defer rec.Release()
	mustWrite(t, s, "events", rec, "events", 4)
	_, before := columnartest.QueryAll(t, s, "SELECT version, applied_at::VARCHAR FROM _tape_migrations ORDER BY version")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, path)
	_, got := columnartest.QueryAll(t, s, "SELECT * FROM events ORDER BY seq, leg")
	if want := columnartest.Cells(t, rec); !reflect.DeepEqual(got, want) {
		t.Errorf("after reopen:\n got %v\nwant %v", got, want)
	}
	if w := watermark(t, s, "events"); w != 4 {
		t.Errorf("watermark %d, want 4", w)
	}
	if mustWrite(t, s, "events", rec, "events", 4) != true {
		t.Error("batch written before the reopen was not skipped")
	}
	if _, after := columnartest.QueryAll(t, s, "SELECT version, applied_at::VARCHAR FROM _tape_migrations ORDER BY version"); !reflect.DeepEqual(before, after) {
		t.Errorf("migrations changed on reopen: %v then %v", before, after)
	}
}

func TestQueryReadOnly(t *testing.T) {
	s := openTest(t, tempDB(t))
	rec := columnartest.BuildRecord(t, contractSchemas["accounts"], testRows["accounts"])
	defer rec.Release()
	mustWrite(t, s, "accounts", rec, "accounts", u64Max)
	for _, q := range []string{
		"DELETE FROM accounts",
		"INSERT INTO accounts SELECT * FROM accounts",
		"DROP TABLE accounts",
		"SELECT 1; DROP TABLE accounts",
		"COPY accounts TO '/tmp/x.csv'",
		"ATTACH ':memory:' AS other",
		"SET threads = 1",
		"CREATE TABLE x AS SELECT 1",
	} {
		rr, err := s.Query(context.Background(), q)
		if err == nil {
			rr.Release()
			t.Errorf("Query %q succeeded", q)
			continue
		}
		if !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("Query %q: %v, want ErrNotReadOnly", q, err)
		}
		t.Logf("%q: %v", q, err)
	}
	if n := count(t, s, "accounts"); n != 2 {
		t.Errorf("accounts has %d rows, want 2", n)
	}
	_, rows := columnartest.QueryAll(t, s, "SELECT account FROM accounts WHERE scale = ? AND opened_seq >= ?", uint8(18), uint64(2))
	if len(rows) != 1 || rows[0][0] != "bob/日本語" {
		t.Errorf("query with args: %v", rows)
	}
}

// A reader keeps its snapshot while writes go on; Close waits for readers and refuses calls after.
func TestReaderSnapshotAndClose(t *testing.T) {
	s, err := Open(context.Background(), tempDB(t))
	if err != nil {
		t.Fatal(err)
	}
	schema := contractSchemas["trades"]
	first := columnartest.BuildRecord(t, schema, testRows["trades"][:1])
	defer first.Release()
	mustWrite(t, s, "trades", first, "trades/feed", 1)

	rr, err := s.Query(context.Background(), "SELECT count(*)::UBIGINT FROM trades")
	if err != nil {
		t.Fatal(err)
	}
	second := columnartest.BuildRecord(t, schema, testRows["trades"][1:])
	defer second.Release()
	mustWrite(t, s, "trades", second, "trades/feed", 5)

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	if !rr.Next() {
		t.Fatalf("no rows: %v", rr.Err())
	}
	if n := rr.RecordBatch().Column(0).(*array.Uint64).Value(0); n != uint64(1) {
		t.Errorf("reader saw %v rows, want its snapshot's 1", n)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) before the reader was released", err)
	default:
	}
	rr.Release()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Query(context.Background(), "SELECT 1"); !errors.Is(err, ErrClosed) {
		t.Errorf("Query after Close: %v", err)
	}
	if _, err := s.Write(context.Background(), "trades", second, "trades/feed", 3); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
	if _, err := s.Watermark(context.Background(), "trades/feed"); !errors.Is(err, ErrClosed) {
		t.Errorf("Watermark after Close: %v", err)
	}
}

// Strings of any valid UTF-8, NUL and supplementary planes included, and sliced batches, come back as written.
func TestRandomStringsAndSlices(t *testing.T) {
	const seed, rowsN = 20260105, 2000
	rng := rand.New(rand.NewPCG(seed, seed))
	runes := func() string {
		var b strings.Builder
		for range rng.IntN(40) {
			var r rune
			switch rng.IntN(4) {
			case 0:
				r = rune(rng.IntN(0x80)) // ASCII, NUL and controls included
			case 1:
				r = rune(0x80 + rng.IntN(0x800-0x80))
			case 2:
				r = rune(0xE000 + rng.IntN(0x10000-0xE000))
			default:
				r = rune(0x10000 + rng.IntN(0x10FFFF-0x10000))
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	rows := make([][]any, rowsN)
	for i := range rows {
		rows[i] = []any{int64(rng.Uint64() >> 1), runes(), tickMax, tickMin, []string{"B", "S"}[i%2], runes(), runes(), "feed", uint64(i + 1)}
	}
	s := openTest(t, tempDB(t))
	rec := columnartest.BuildRecord(t, contractSchemas["trades"], rows)
	defer rec.Release()
	slice := rec.NewSlice(100, 1100)
	defer slice.Release()
	mustWrite(t, s, "trades", slice, "trades/feed", 1100)
	_, got := columnartest.QueryAll(t, s, "SELECT * FROM trades ORDER BY source_seq")
	if want := columnartest.Cells(t, slice); !reflect.DeepEqual(got, want) {
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("seed %d row %d:\n got %q\nwant %q", seed, i, got[i], want[i])
			}
		}
		t.Fatalf("seed %d: %d rows, want %d", seed, len(got), len(want))
	}
}

// Writers on several streams and readers run at once; every batch lands once and readers see whole batches.
func TestConcurrentWritesAndReads(t *testing.T) {
	const writers, batches, rowsPerBatch = 4, 8, 50
	s := openTest(t, tempDB(t))
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches*2)
	for w := range writers {
		wg.Go(func() {
			source := fmt.Sprintf("feed%d", w)
			for k := range batches {
				rows := make([][]any, rowsPerBatch)
				for i := range rows {
					rows[i] = []any{tsSample, "BTC", "1", "1", "B", "t", "X", source, uint64(k*rowsPerBatch + i + 1)}
				}
				rec := columnartest.BuildRecord(t, contractSchemas["trades"], rows)
				for range 2 { // the second write of each batch is skipped
					if _, err := s.Write(context.Background(), "trades", rec, "trades/"+source, uint64((k+1)*rowsPerBatch)); err != nil {
						errs <- err
					}
				}
				rec.Release()
			}
		})
	}
	for range writers {
		wg.Go(func() {
			for range batches {
				rr, err := s.Query(context.Background(), "SELECT count(*)::UBIGINT FROM trades")
				if err != nil {
					errs <- err
					continue
				}
				for rr.Next() {
					if n := rr.RecordBatch().Column(0).(*array.Uint64).Value(0); n%rowsPerBatch != 0 {
						errs <- fmt.Errorf("reader saw %d rows, not whole batches", n)
					}
				}
				rr.Release()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := count(t, s, "trades"); n != writers*batches*rowsPerBatch {
		t.Errorf("%d rows, want %d", n, writers*batches*rowsPerBatch)
	}
	for w := range writers {
		if got := watermark(t, s, fmt.Sprintf("trades/feed%d", w)); got != batches*rowsPerBatch {
			t.Errorf("feed%d watermark %d, want %d", w, got, batches*rowsPerBatch)
		}
	}
}

// Every table: random batches, extremes included, go through Write and come back from Query bit-exact
// (columnartest.RoundTripProperty; the ClickHouse store passes the same). Hashes come back as BLOB.
func TestRoundTripProperty(t *testing.T) {
	columnartest.RoundTripProperty(t, openTest(t, tempDB(t)), rand.Uint64(), func(dt arrow.DataType) arrow.DataType {
		if dt.ID() == arrow.FIXED_SIZE_BINARY {
			return arrow.BinaryTypes.Binary
		}
		return dt
	})
}
