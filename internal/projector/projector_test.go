//go:build duckdb_arrow

package projector

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tape-ledger/tape/columnar"
	"github.com/tape-ledger/tape/columnar/columnartest"
	"github.com/tape-ledger/tape/columnar/duckdb"
	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/internal/tapetest"
	"github.com/tape-ledger/tape/ledgercore"
)

// failingStore fails every write after the first `ok` ones, like a store
// connection killed mid-projection.
type failingStore struct {
	*duckdb.Store
	ok int
}

func (f *failingStore) Write(ctx context.Context, table string, rec arrow.RecordBatch, stream string, upTo uint64) (bool, error) {
	if f.ok == 0 {
		return false, errors.New("connection killed")
	}
	f.ok--
	return f.Store.Write(ctx, table, rec, stream, upTo)
}

// TestProjectExactlyOnce: a projection killed after some batches and
// resumed stores every event once, and the store's balances equal the
// ledger's.
func TestProjectExactlyOnce(t *testing.T) {
	l := tapetest.LoadLedger(t, 3, 150_000)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tape.duckdb")
	st, err := duckdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Project(ctx, l, &failingStore{Store: st, ok: 3}, nil); err == nil {
		t.Fatal("projection through a failing store did not fail")
	}
	partial := columnartest.QueryInt(t, st, "SELECT count(DISTINCT seq) FROM events")
	if partial == 0 || uint64(partial) >= l.Seq() {
		t.Fatalf("after the failure %d of %d events are stored", partial, l.Seq())
	}
	stats, err := Project(ctx, l, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Seq != l.Seq() {
		t.Fatalf("projected up to seq %d, tape at %d", stats.Seq, l.Seq())
	}
	if again, err := Project(ctx, l, st, nil); err != nil || again.Events != 0 {
		t.Fatalf("a second run wrote %d events (%v)", again.Events, err)
	}
	if n := columnartest.QueryInt(t, st, "SELECT count(DISTINCT seq) FROM events"); uint64(n) != l.Seq() {
		t.Fatalf("%d distinct seqs stored, tape has %d", n, l.Seq())
	}
	if dup := columnartest.QueryInt(t, st, "SELECT count(*) FROM (SELECT seq, leg FROM events GROUP BY seq, leg HAVING count(*) > 1)"); dup != 0 {
		t.Fatalf("%d (seq, leg) stored twice", dup)
	}
	var accounts int
	var mismatch []string
	l.View(func(s *ledgercore.State) {
		accounts = len(s.Accounts())
		for _, a := range s.Accounts() {
			asset, _ := s.Asset(a.Asset)
			want := a.Balance.Decimal(asset.Scale)
			got := balanceFromStore(t, st, a.ID, asset.Scale)
			if got != want {
				mismatch = append(mismatch, a.ID+": store "+got+", ledger "+want)
			}
		}
	})
	if len(mismatch) > 0 {
		t.Fatalf("%d balances differ, e.g. %s", len(mismatch), mismatch[0])
	}
	if n := columnartest.QueryInt(t, st, "SELECT count(*) FROM accounts"); int(n) != accounts {
		t.Fatalf("%d accounts stored, ledger has %d", n, accounts)
	}
	checkSnapshots(t, l, st)
}

// checkSnapshots compares the snapshots table with the ledger's state at
// every day close: one row per account, same balance and pending amounts.
func checkSnapshots(t *testing.T, l *tape.Ledger, st *duckdb.Store) {
	t.Helper()
	events, err := l.Events(1, tape.EventsMax)
	if err != nil {
		t.Fatal(err)
	}
	closes := 0
	for seq := uint64(1); seq <= l.Seq(); seq += uint64(len(events)) {
		if events, err = l.Events(seq, tape.EventsMax); err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Kind != ledgercore.EvDayClosed {
				continue
			}
			closes++
			state, err := l.StateAt(tape.AsOf{Seq: e.Seq})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for _, a := range state.Accounts() {
				asset, _ := state.Asset(a.Asset)
				want[a.ID] = strings.Join([]string{columnar.Money(a.Balance, asset.Scale).ToString(18),
					columnar.Money(a.DebitsPending, asset.Scale).ToString(18),
					columnar.Money(a.CreditsPending, asset.Scale).ToString(18), hex.EncodeToString(e.StateHash[:])}, " ")
			}
			got := snapshotRows(t, st, e.Seq)
			if len(got) != len(want) {
				t.Fatalf("day close seq %d: %d snapshot rows, ledger has %d accounts", e.Seq, len(got), len(want))
			}
			for id, w := range want {
				if got[id] != w {
					t.Fatalf("day close seq %d, account %s: store %q, ledger %q", e.Seq, id, got[id], w)
				}
			}
		}
	}
	if closes < 2 {
		t.Fatalf("the workload closed %d days; the test needs at least 2", closes)
	}
	if n := columnartest.QueryInt(t, st, "SELECT count(DISTINCT seq) FROM snapshots"); int(n) != closes {
		t.Fatalf("snapshots hold %d day closes, the tape %d", n, closes)
	}
}

func snapshotRows(t *testing.T, st *duckdb.Store, seq uint64) map[string]string {
	r, err := st.Query(context.Background(), `SELECT account, CAST(balance AS VARCHAR) || ' ' ||
		CAST(debits_pending AS VARCHAR) || ' ' || CAST(credits_pending AS VARCHAR) || ' ' || lower(hex(state_hash))
		FROM snapshots WHERE seq = ?`, seq)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	rows := map[string]string{}
	for r.Next() {
		ids, vals := r.RecordBatch().Column(0).(*array.String), r.RecordBatch().Column(1).(*array.String)
		for i := range ids.Len() {
			rows[strings.Clone(ids.Value(i))] = strings.Clone(vals.Value(i)) // the batch aliases DuckDB's memory
		}
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	return rows
}

// balanceFromStore is the as-of lookup: the last leg of the account.
func balanceFromStore(t *testing.T, st *duckdb.Store, account string, scale uint8) string {
	r, err := st.Query(context.Background(),
		"SELECT CAST(coalesce((SELECT balance_after FROM events WHERE account = ? AND delta IS NOT NULL ORDER BY seq DESC, leg DESC LIMIT 1), 0) AS VARCHAR)", account)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if !r.Next() {
		t.Fatal(r.Err())
	}
	text := r.RecordBatch().Column(0).(*array.String).Value(0)
	a, code := ledgercore.ParseAmount(trimScale(text, scale), scale)
	if code != ledgercore.CodeNone {
		t.Fatalf("balance %q of %s: %v", text, account, code)
	}
	return a.Decimal(scale)
}

// trimScale cuts a DECIMAL(38,18) text to the asset's scale (the dropped
// digits are zeros for a whole number of minor units).
func trimScale(text string, scale uint8) string {
	i := bytes.IndexByte([]byte(text), '.')
	if i < 0 {
		return text
	}
	if scale == 0 {
		return text[:i]
	}
	return text[:min(len(text), i+1+int(scale))]
}

// Projection streams: the heap it keeps live does not grow with the tape
// (a tape three times as long keeps about the same), and stays within a few
// batches: the one being built, the one being stored and the builder's
// recycled buffers. The live heap is measured after a GC at every stored
// batch, so it depends on how full the next batch is at that moment.
func TestProjectMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("projects two large tapes; skipped with -short")
	}
	peaks := map[int]uint64{}
	rows := map[int]int{}
	const small, large = 400_000, 1_200_000
	for _, n := range []int{small, large} {
		l := tapetest.LoadLedger(t, 3, n)
		st, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), "m.duckdb"))
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		base := m.HeapAlloc
		stats, err := Project(context.Background(), l, st, func(Stats) {
			runtime.GC()
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base {
				peaks[n] = max(peaks[n], m.HeapAlloc-base)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		rows[n] = stats.EventRows
		st.Close()
		l.Close()
		t.Logf("%d commands, %d rows in %d batches: live heap at most +%d MiB", n, rows[n], stats.Batches, peaks[n]>>20)
	}
	const limit = 400 << 20 // an events batch of 245,760 rows is about 65 MB
	if peaks[large] > limit {
		t.Errorf("projecting %d rows kept %d MiB of heap live, over %d MiB", rows[large], peaks[large]>>20, limit>>20)
	}
	if float64(peaks[large]) > 1.6*float64(peaks[small]) {
		t.Errorf("live heap grew with the tape: %d MiB for %d rows, %d MiB for %d rows",
			peaks[small]>>20, rows[small], peaks[large]>>20, rows[large])
	}
}
