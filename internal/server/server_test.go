package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/ledgercore"
)

type testServer struct {
	*httptest.Server
	ledger *tape.Ledger
	clock  *int64
}

func newTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	clock := ledgercore.DayStart(ledgercore.DayFromCivil(2026, 1, 5)) + 9*3600e9
	ts := &testServer{clock: &clock}
	m := NewMetrics()
	l, err := tape.Open(tape.Options{Dir: t.TempDir(), NoSync: true, Clock: func() int64 { return *ts.clock }, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	ts.ledger = l
	ts.Server = httptest.NewServer(New(cfg, l, slog.New(slog.DiscardHandler), m))
	t.Cleanup(func() { ts.Close(); l.Close() })
	return ts
}

func (ts *testServer) do(t *testing.T, method, path, body string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

const setupBody = `[
 {"type":"define_asset","id":"a","asset":"USD","scale":2},
 {"type":"open_account","id":"o1","account":"ext","asset":"USD"},
 {"type":"open_account","id":"o2","account":"alice","asset":"USD","flags":["debits_must_not_exceed_credits"]},
 {"type":"transfer","id":"t1","debit":"ext","credit":"alice","asset":"USD","amount":"100.50"}
]`

func TestCommandsAndReads(t *testing.T) {
	ts := newTestServer(t, Config{})
	code, _, body := ts.do(t, "POST", "/v1/commands", setupBody)
	if code != 200 {
		t.Fatalf("setup: %d %s", code, body)
	}
	var res []map[string]any
	if err := json.Unmarshal([]byte(body), &res); err != nil || len(res) != 4 || res[3]["status"] != "accepted" || res[3]["seq"] != 4.0 {
		t.Fatalf("answer: %v %s", err, body)
	}
	// NDJSON, with a rejection and a duplicate.
	code, _, body = ts.do(t, "POST", "/v1/commands", `{"type":"transfer","id":"t2","debit":"alice","credit":"ext","asset":"USD","amount":"500"}
{"type":"transfer","id":"t1","debit":"ext","credit":"alice","asset":"USD","amount":"100.50"}`)
	if code != 200 || !strings.Contains(body, `"id":"t2","status":"rejected","seq":5,"code":"insufficient_funds"`) ||
		!strings.Contains(body, `"id":"t1","status":"duplicate","seq":4`) {
		t.Fatalf("ndjson: %d %s", code, body)
	}
	_, _, body = ts.do(t, "GET", "/v1/accounts/alice", "")
	if !strings.Contains(body, `"balance":"100.50"`) || !strings.Contains(body, `"seq":5`) {
		t.Fatalf("account: %s", body)
	}
	if code, _, _ = ts.do(t, "GET", "/v1/accounts/nobody", ""); code != 404 {
		t.Fatalf("missing account: %d", code)
	}
	// As of an instant before the deposit, alice had nothing.
	*ts.clock += 3600e9
	ts.do(t, "POST", "/v1/commands", `{"type":"transfer","id":"t3","debit":"ext","credit":"alice","asset":"USD","amount":"1"}`)
	before := time.Unix(0, *ts.clock-1800e9).UTC().Format(time.RFC3339Nano)
	_, _, body = ts.do(t, "GET", "/v1/accounts/alice/balance?as_of="+before, "")
	if !strings.Contains(body, `"balance":"100.50"`) {
		t.Fatalf("balance as of %s: %s", before, body)
	}
	_, _, body = ts.do(t, "GET", "/v1/accounts/alice/balance", "")
	if !strings.Contains(body, `"balance":"101.50"`) {
		t.Fatalf("balance now: %s", body)
	}
	if code, _, body = ts.do(t, "GET", "/v1/accounts/alice/balance?as_of=yesterday", ""); code != 400 || !strings.Contains(body, "as_of") {
		t.Fatalf("bad as_of: %d %s", code, body)
	}
	_, _, body = ts.do(t, "GET", "/v1/events?from_seq=4&limit=2", "")
	var page struct {
		Events []map[string]any `json:"events"`
		Next   uint64           `json:"next_seq"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Events) != 2 || page.Next != 6 {
		t.Fatalf("events: %v %s", err, body)
	}
	_, _, body = ts.do(t, "GET", "/v1/state", "")
	if !strings.Contains(body, `"state_hash":"`) || !strings.Contains(body, `"account":"alice"`) {
		t.Fatalf("state: %s", body)
	}
	if code, _, body = ts.do(t, "GET", "/healthz", ""); code != 200 {
		t.Fatalf("healthz: %d %s", code, body)
	}
	if code, _, body = ts.do(t, "GET", "/metrics", ""); code != 200 || !strings.Contains(body, `tape_commands_total{status="accepted"} 5`) ||
		!strings.Contains(body, "tape_fsync_seconds") || !strings.Contains(body, "tape_tape_bytes") {
		t.Fatalf("metrics: %d %s", code, body[strings.Index(body, "# HELP tape_"):])
	}
}

func TestBadRequestsApplyNothing(t *testing.T) {
	ts := newTestServer(t, Config{BodyBytesMax: 4096, CommandsPerRequestMax: 3})
	ts.do(t, "POST", "/v1/commands", setupBody[:0]+`{"type":"define_asset","id":"a","asset":"USD","scale":2}`)
	tests := []struct {
		name, body string
		code       int
		want       string
	}{
		{"amount as a number", `{"type":"transfer","id":"x","debit":"a","credit":"b","asset":"USD","amount":"1"}
{"type":"transfer","id":"y","debit":"a","credit":"b","asset":"USD","amount":1.5}`, 400, `"line":2,"field":"amount"`},
		{"client ts", `{"type":"transfer","id":"x","ts":"2026-01-05T00:00:00Z","debit":"a","credit":"b","asset":"USD","amount":"1"}`, 400, `"field":"ts"`},
		{"close_day from a client", `{"type":"close_day","id":"x"}`, 400, `bad_command`},
		{"too many commands", strings.Repeat(`{"type":"void_pending","id":"v","pending_id":"p"}`+"\n", 4), 413, `too_many_commands`},
		{"body too large", strings.Repeat(" ", 5000), 413, `body_too_large`},
		{"empty", ``, 400, `no commands`},
	}
	for _, tt := range tests {
		code, _, body := ts.do(t, "POST", "/v1/commands", tt.body)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s", tt.name, code, body)
		}
	}
	if ts.ledger.Seq() != 1 {
		t.Fatalf("bad requests were sequenced: seq %d", ts.ledger.Seq())
	}
}

func TestAuthAndRateLimit(t *testing.T) {
	ts := newTestServer(t, Config{Token: "s3cret", Rate: 2, Burst: 3})
	one := `{"type":"define_asset","id":"a","asset":"USD","scale":2}`
	if code, h, _ := ts.do(t, "POST", "/v1/commands", one); code != 401 || h.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: %d", code)
	}
	if code, _, _ := ts.do(t, "POST", "/v1/commands", one, "Authorization", "Bearer wrong"); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}
	if code, _, _ := ts.do(t, "GET", "/v1/state", ""); code != 200 {
		t.Fatalf("reads need no token: %d", code)
	}
	three := one + "\n" + `{"type":"define_asset","id":"b","asset":"EUR","scale":2}` + "\n" + `{"type":"define_asset","id":"c","asset":"JPY","scale":0}`
	if code, _, body := ts.do(t, "POST", "/v1/commands", three, "Authorization", "Bearer s3cret"); code != 200 {
		t.Fatalf("within burst: %d %s", code, body)
	}
	code, h, body := ts.do(t, "POST", "/v1/commands", `{"type":"define_asset","id":"d","asset":"GBP","scale":2}`, "Authorization", "Bearer s3cret")
	if code != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %s", code, body)
	}
}

func TestRateLimiterRefills(t *testing.T) {
	now := time.Unix(0, 0)
	r := newRateLimiter(10, 20)
	r.now = func() time.Time { return now }
	if ok, _ := r.take("c", 20); !ok {
		t.Fatal("burst refused")
	}
	ok, wait := r.take("c", 5)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("empty bucket: ok=%v wait=%v", ok, wait)
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := r.take("c", 5); !ok {
		t.Fatal("refilled bucket refused")
	}
	if ok, _ := r.take("other", 20); !ok {
		t.Fatal("clients share a bucket")
	}
}
