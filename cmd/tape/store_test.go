//go:build duckdb_arrow

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/tape-ledger/tape/columnar/duckdb"
	"github.com/tape-ledger/tape/internal/workload"
)

// projectedSeq scrapes tape_store_projected_seq from the server's metrics.
func projectedSeq(t *testing.T, addr string) uint64 {
	t.Helper()
	return uint64(metric(t, addr, "tape_store_projected_seq "))
}

// metric scrapes the first sample whose line starts with prefix (name and
// labels, then a space).
func metric(t *testing.T, addr, prefix string) float64 {
	t.Helper()
	resp, err := http.Get(addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0 // a counter not yet touched
}

// waitProjected polls the metrics until the store holds seq.
func waitProjected(t *testing.T, addr string, seq uint64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for projectedSeq(t, addr) < seq {
		if time.Now().After(deadline) {
			t.Fatalf("the store did not reach seq %d in 60 s (at %d)", seq, projectedSeq(t, addr))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// postWorkload sends the generated commands [from, to) of seed's workload
// and returns the highest seq acknowledged.
func postWorkload(t *testing.T, addr string, lines []string) uint64 {
	t.Helper()
	var last uint64
	for len(lines) > 0 {
		n := min(len(lines), 500)
		res, err := post(http.DefaultClient, addr, strings.Join(lines[:n], "\n"))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			last = max(last, r.Seq)
		}
		lines = lines[n:]
	}
	return last
}

// sqlCSV runs tape sql and returns the CSV rows after the header.
func sqlCSV(t *testing.T, bin, data, query string) [][]string {
	t.Helper()
	out, err := exec.Command(bin, "sql", "--data", data, "--format", "csv", query).Output()
	if err != nil {
		t.Fatalf("tape sql %q: %v", query, err)
	}
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// tape serve follows the tape into its DuckDB file; after a kill -9 it
// resumes, and the file holds every event exactly once.
func TestServeProjectsExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server; skipped with -short")
	}
	bin := buildTape(t)
	data := t.TempDir()
	gen, err := exec.Command(bin, "gen", "commands", "--seed", "11", "--n", "6000").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(gen)), "\n")
	// The server sequences with its own clock: drop the file's ts.
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "ts")
		b, _ := json.Marshal(m)
		lines[i] = string(b)
	}

	srv := startServer(t, bin, data)
	first := postWorkload(t, srv.addr, lines[:3000])
	waitProjected(t, srv.addr, first)
	srv.kill9()

	srv = startServer(t, bin, data)
	last := postWorkload(t, srv.addr, lines[3000:])
	waitProjected(t, srv.addr, last)
	srv.cmd.Process.Signal(syscall.SIGTERM)
	if err := srv.cmd.Wait(); err != nil {
		t.Fatalf("tape serve after SIGTERM: %v", err)
	}

	got := sqlCSV(t, bin, data, `SELECT count(*), count(DISTINCT (seq, leg)), count(DISTINCT seq), max(seq) FROM events`)[0]
	want := []string{got[1], got[1], fmt.Sprint(last), fmt.Sprint(last)}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("events: rows, distinct keys, distinct seqs, max seq = %v; want %v", got, want)
	}
	accounts := sqlCSV(t, bin, data, `SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM events WHERE type = 'account_opened')`)[0]
	if accounts[0] != accounts[1] {
		t.Fatalf("%s accounts stored, %s account_opened events", accounts[0], accounts[1])
	}
}

// tape sql prints the same rows in every format, exactly.
func TestSQLFormats(t *testing.T) {
	path := t.TempDir() + "/s.duckdb"
	const q = `SELECT 1::UBIGINT AS n, CAST('-12345678901234567890.123456789012345678' AS DECIMAL(38,18)) AS m,
		CAST('1e-18' AS DECIMAL(38,18)) AS tiny, 'a "q", b' AS s, NULL::VARCHAR AS z,
		make_timestamp_ns(1767600000123456789) AS ts, '\x01\xff'::BLOB AS h, true AS b`
	run := func(format string) string {
		st, err := duckdb.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		r, err := st.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		var buf bytes.Buffer
		out, err := newRowWriter(&buf, format)
		if err != nil {
			t.Fatal(err)
		}
		if err := out.copy(r); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	cells := []string{"1", "-12345678901234567890.123456789012345678", "0.000000000000000001", `a "q", b`, "",
		"2026-01-05T08:00:00.123456789Z", "01ff", "true"}

	rows, err := csv.NewReader(strings.NewReader(run("csv"))).ReadAll()
	if err != nil || len(rows) != 2 || strings.Join(rows[1], "|") != strings.Join(cells, "|") {
		t.Errorf("csv: %q (%v), want %q", rows, err, cells)
	}
	var objs []map[string]any
	if err := json.Unmarshal([]byte(run("json")), &objs); err != nil || len(objs) != 1 {
		t.Fatalf("json: %v %v", objs, err)
	}
	wantJSON := map[string]any{"n": 1.0, "m": cells[1], "tiny": cells[2], "s": cells[3], "z": nil, "ts": cells[5], "h": cells[6], "b": true}
	if fmt.Sprint(objs[0]) != fmt.Sprint(wantJSON) {
		t.Errorf("json: %v, want %v", objs[0], wantJSON)
	}
	table := run("table")
	if !strings.Contains(table, "NULL") || !strings.Contains(table, cells[1]) {
		t.Errorf("table:\n%s", table)
	}
	rd, err := ipc.NewReader(strings.NewReader(run("arrow")))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	if !rd.Next() || rd.RecordBatch().NumRows() != 1 || rd.Schema().Field(1).Type.String() != "decimal(38, 18)" {
		t.Errorf("arrow: schema %s", rd.Schema())
	}
	if _, err := newRowWriter(&bytes.Buffer{}, "xml"); err == nil {
		t.Error("format xml accepted")
	}
}

// countingBody counts the bytes the HTTP client has read from it.
type countingBody struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// tape serve killed -9 in the middle of a large tick body; the client sends
// the body again to the restarted server, and the store holds every row
// exactly once.
func TestTicksKilledMidBody(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server; skipped with -short")
	}
	bin := buildTape(t)
	data := t.TempDir()
	prefix := filepath.Join(t.TempDir(), "t")
	if out, err := exec.Command(bin, "gen", "ticks", "--seed", "5", "--symbols", "40", "--rate", "3", "--out", prefix).CombinedOutput(); err != nil {
		t.Fatalf("gen ticks: %v %s", err, out)
	}
	body, err := os.ReadFile(prefix + ".trades.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows := bytes.Count(body, []byte{'\n'}) - 1

	srv := startServer(t, bin, data)
	cb := &countingBody{r: bytes.NewReader(body)}
	sent := make(chan error, 1)
	go func() {
		resp, err := http.Post(srv.addr+"/v1/ticks/trades", "text/csv", cb)
		if err == nil {
			resp.Body.Close()
		}
		sent <- err
	}()
	deadline := time.Now().Add(60 * time.Second)
	for metric(t, srv.addr, `tape_ticks_total{outcome="stored",table="trades"} `) == 0 { // a batch is stored
		if time.Now().After(deadline) {
			t.Fatal("no batch stored in 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if cb.n.Load() == int64(len(body)) {
		t.Log("the whole body was sent before the kill")
	}
	srv.kill9()
	if err := <-sent; err == nil {
		t.Log("the body was answered before the kill")
	}

	srv = startServer(t, bin, data)
	resp, err := http.Post(srv.addr+"/v1/ticks/trades", "text/csv", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Rows         int64 `json:"rows"`
		Stored       int64 `json:"stored"`
		StoredBefore int64 `json:"stored_before"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 {
		t.Fatalf("re-send: %d %v %v", resp.StatusCode, res, err)
	}
	resp.Body.Close()
	t.Logf("re-send after the kill: %+v", res)
	if int(res.Rows) != rows || res.Stored+res.StoredBefore != res.Rows || res.StoredBefore == 0 {
		t.Errorf("re-send: %v; want %d rows, some stored before the kill", res, rows)
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.cmd.Wait()
	got := sqlCSV(t, bin, data, `SELECT count(*), count(DISTINCT source_seq), max(source_seq) FROM trades`)[0]
	if want := fmt.Sprint(rows); got[0] != want || got[1] != want || got[2] != want {
		t.Fatalf("trades: rows, distinct, max source_seq = %v; want %d each", got, rows)
	}
}

// tape gen ticks sends to a running server over HTTP and over FIX; sending
// again over HTTP stores nothing twice.
func TestGenTicksToServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server; skipped with -short")
	}
	bin := buildTape(t)
	data := t.TempDir()
	srv := startServer(t, bin, data, "--fix-listen", "127.0.0.1:0")
	if srv.fixAddr == "" {
		t.Fatal("no FIX listener address in the log")
	}
	gen := func(args ...string) string {
		out, err := exec.Command(bin, append([]string{"gen", "ticks", "--symbols", "8", "--rate", "0.5"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("gen ticks %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	gen("--seed", "1", "--source", "web", "--format", "http", "--url", srv.addr)
	if again := gen("--seed", "1", "--source", "web", "--format", "http", "--url", srv.addr); !strings.Contains(again, ": 0 stored,") {
		t.Errorf("second HTTP send stored rows: %s", again)
	}
	gen("--seed", "2", "--format", "fix", "--fix-addr", srv.fixAddr, "--fix-sender", "VENUE")
	if n := metric(t, srv.addr, "tape_fix_messages_total "); n < 2 {
		t.Errorf("tape_fix_messages_total %v after a FIX session", n)
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	if err := srv.cmd.Wait(); err != nil {
		t.Fatalf("tape serve after SIGTERM: %v", err)
	}
	var want [2]workload.TickStats
	for i, seed := range []int64{1, 2} {
		var err error
		if want[i], err = workload.GenerateTicks(io.Discard, io.Discard, workload.TickOptions{Seed: seed, Symbols: 8, Rate: 0.5}, workload.TickCSV); err != nil {
			t.Fatal(err)
		}
	}
	got := sqlCSV(t, bin, data, `SELECT (SELECT count(*) FROM trades WHERE source = 'web'), (SELECT count(*) FROM quotes WHERE source = 'web'),
		(SELECT count(*) FROM trades WHERE source = 'VENUE'), (SELECT count(*) FROM quotes WHERE source = 'VENUE')`)[0]
	wantRows := []string{fmt.Sprint(want[0].Trades), fmt.Sprint(want[0].Quotes), fmt.Sprint(want[1].Trades), fmt.Sprint(want[1].Quotes)}
	if strings.Join(got, ",") != strings.Join(wantRows, ",") {
		t.Errorf("rows (web trades, web quotes, FIX trades, FIX quotes) = %v, want %v", got, wantRows)
	}
}
