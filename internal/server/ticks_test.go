//go:build duckdb_arrow

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/tape-ledger/tape/columnar/columnartest"
	"github.com/tape-ledger/tape/columnar/duckdb"
	"github.com/tape-ledger/tape/internal/workload"
)

func tickServer(t *testing.T, store interface {
	Write(context.Context, string, arrow.RecordBatch, string, uint64) (bool, error)
	Watermark(context.Context, string) (uint64, error)
}, writers int) (*testServer, *duckdb.Store) {
	t.Helper()
	st, err := duckdb.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if store == nil {
		store = st
	}
	return newTestServer(t, Config{Ticks: store, TickWriters: writers}), st
}

// The three body formats store the generator's rows; a re-sent body stores
// nothing again.
func TestPostTicks(t *testing.T) {
	ts, st := tickServer(t, nil, 0)
	opts := workload.TickOptions{Seed: 2, Symbols: 5, Rate: 0.2, Source: "http"}
	var csvBody, ndjsonBody bytes.Buffer
	stats, err := workload.GenerateTicks(&csvBody, &ndjsonBody, opts, workload.TickCSV)
	if err != nil {
		t.Fatal(err)
	}
	ndjsonBody.Reset()
	if _, err := workload.GenerateTicks(nil, &ndjsonBody, opts, workload.TickNDJSON); err != nil {
		t.Fatal(err)
	}
	var arrowBody bytes.Buffer
	var aw *ipc.Writer
	if _, err := workload.GenerateTickBatches(workload.TickOptions{Seed: 3, Symbols: 5, Rate: 0.2, Source: "arrow"}, func(b workload.TickBatch) error {
		defer b.Rec.Release()
		if b.Table != "trades" {
			return nil
		}
		if aw == nil {
			aw = ipc.NewWriter(&arrowBody, ipc.WithSchema(b.Rec.Schema()))
		}
		return aw.Write(b.Rec)
	}); err != nil {
		t.Fatal(err)
	}
	aw.Close()

	for _, tc := range []struct {
		table, ctype string
		body         []byte
		rows         int64
	}{
		{"trades", "text/csv", csvBody.Bytes(), stats.Trades},
		{"quotes", "application/x-ndjson", ndjsonBody.Bytes(), stats.Quotes},
		{"trades", "application/vnd.apache.arrow.stream", arrowBody.Bytes(), -1},
	} {
		for round, want := range []string{"stored", "stored_before"} {
			code, _, body := ts.do(t, "POST", "/v1/ticks/"+tc.table, string(tc.body), "Content-Type", tc.ctype)
			var res map[string]any
			if code != 200 || json.Unmarshal([]byte(body), &res) != nil {
				t.Fatalf("%s round %d: %d %s", tc.ctype, round, code, body)
			}
			if res[want] != res["rows"] || res["rows"].(float64) == 0 || tc.rows >= 0 && res["rows"] != float64(tc.rows) {
				t.Errorf("%s round %d: %s, want every row %s", tc.ctype, round, body, want)
			}
		}
	}
	if n := columnartest.QueryInt(t, st, "SELECT count(*) - count(DISTINCT (source, source_seq)) FROM trades"); n != 0 {
		t.Errorf("%d trades stored twice", n)
	}
}

// Bad bodies get precise answers and store nothing of the bad batch.
func TestPostTicksErrors(t *testing.T) {
	ts, st := tickServer(t, nil, 0)
	for _, tc := range []struct {
		path, ctype, body string
		code              int
		want              string
	}{
		{"/v1/ticks/trades?source=s&first_seq=1", "text/csv", "ts,sym,px,qty,side\n2026-01-05T09:30:00Z,X,1,1,B\n2026-01-05T09:30:01Z,X,1.123456789,1,B\n",
			400, `"line":3,"field":"px"`},
		{"/v1/ticks/trades?source=s", "text/csv", "ts,sym,px,qty,side\n2026-01-05T09:30:00Z,X,1,1,B\n", 400, "no source_seq"},
		{"/v1/ticks/trades?source=s&first_seq=0", "text/csv", "", 400, "first_seq"},
		{"/v1/ticks/trades", "text/csv", "ts,sym\n", 400, "no column px"},
		{"/v1/ticks/trades", "application/xml", "<x/>", 415, "unsupported_media_type"},
		{"/v1/ticks/bars", "text/csv", "", 404, "trades or quotes"},
		{"/v1/ticks/quotes", "application/vnd.apache.arrow.stream", "not arrow", 400, "Arrow IPC stream"},
	} {
		code, _, body := ts.do(t, "POST", tc.path, tc.body, "Content-Type", tc.ctype)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s: %d %s, want %d with %q", tc.path, tc.ctype, code, body, tc.code, tc.want)
		}
	}
	if n := columnartest.QueryInt(t, st, "SELECT count(*) FROM trades"); n != 0 {
		t.Errorf("%d rows stored from bad bodies", n)
	}
	if code, _, body := newTestServer(t, Config{}).do(t, "POST", "/v1/ticks/trades", "", "Content-Type", "text/csv"); code != 503 {
		t.Errorf("without a store: %d %s", code, body)
	}
}

// blockingStore holds every Write until released: a store that fell behind.
type blockingStore struct {
	*duckdb.Store
	entered chan struct{}
	release chan struct{}
}

func (b *blockingStore) Write(ctx context.Context, table string, rec arrow.RecordBatch, stream string, upTo uint64) (bool, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.Store.Write(ctx, table, rec, stream, upTo)
}

// When the store falls behind, a body beyond the writer slots gets 429 with
// Retry-After instead of waiting in memory; once the store catches up, the
// held body is stored.
func TestPostTicksBackpressure(t *testing.T) {
	st, err := duckdb.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bs := &blockingStore{Store: st, entered: make(chan struct{}, 1), release: make(chan struct{})}
	ts, _ := tickServer(t, bs, 1)
	body := "ts,sym,px,qty,side,source,source_seq\n2026-01-05T09:30:00Z,X,1,1,B,s,1\n"
	var wg sync.WaitGroup
	var firstCode int
	wg.Go(func() { firstCode, _, _ = ts.do(t, "POST", "/v1/ticks/trades", body, "Content-Type", "text/csv") })
	<-bs.entered // the first body holds the only slot, its write stuck in the store
	code, header, answer := ts.do(t, "POST", "/v1/ticks/trades", body, "Content-Type", "text/csv")
	if code != http.StatusTooManyRequests || header.Get("Retry-After") == "" || !strings.Contains(answer, "store_busy") {
		t.Errorf("second body while the store is behind: %d %v %s", code, header, answer)
	}
	close(bs.release)
	wg.Wait()
	if firstCode != 200 {
		t.Errorf("held body: %d", firstCode)
	}
	if n := columnartest.QueryInt(t, st, "SELECT count(*) FROM trades"); n != 1 {
		t.Errorf("%d rows stored, want 1", n)
	}
}
