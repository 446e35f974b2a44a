package clickhouse_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tape-ledger/tape/columnar"
	"github.com/tape-ledger/tape/columnar/clickhouse"
	"github.com/tape-ledger/tape/columnar/columnartest"
	"github.com/tape-ledger/tape/internal/projector"
	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/internal/tapetest"
	"github.com/tape-ledger/tape/ledgercore"
)

// serverBinary is Debian's ClickHouse 18.16 server (scripts/integration-deps.sh installs it).
const serverBinary = "/usr/sbin/clickhouse-server"

// Bounds of the harness's waits.
const (
	serverStartPolls = 600 // of serverPoll: 30 s for the server to listen
	serverPoll       = 50 * time.Millisecond
)

// server is a clickhouse-server subprocess with its own config, data and logs in a test folder.
type server struct {
	t    testing.TB
	dir  string
	port int
	cmd  *exec.Cmd
	done chan error // the process's exit
}

// startServer writes a config for 127.0.0.1 on free ports and starts the server.
func startServer(t testing.TB) *server {
	t.Helper()
	if _, err := os.Stat(serverBinary); err != nil {
		unavailable(t, "ClickHouse server: %v", err)
	}
	s := &server{t: t, dir: t.TempDir(), port: freePort(t)}
	config := fmt.Sprintf(`<yandex>
  <logger><level>warning</level><log>%[1]s/log/server.log</log><errorlog>%[1]s/log/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <format_schema_path>%[1]s/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size>
</yandex>
`, s.dir, s.port, freePort(t))
	users := `<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`
	for name, text := range map[string]string{"config.xml": config, "users.xml": users} {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// start runs the server on its folder (again after a kill) and waits until it accepts connections.
func (s *server) start() {
	s.t.Helper()
	var out bytes.Buffer
	s.cmd = exec.Command(serverBinary, "--config-file="+filepath.Join(s.dir, "config.xml"))
	s.cmd.Stdout, s.cmd.Stderr = &out, &out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(s.cmd, s.done)
	for range serverStartPolls {
		select {
		case err := <-s.done:
			log, _ := os.ReadFile(filepath.Join(s.dir, "log", "error.log"))
			s.t.Fatalf("clickhouse-server exited: %v\n%s\n%s", err, out.String(), log)
		default:
		}
		if c, err := net.DialTimeout("tcp", s.addr(), serverPoll); err == nil {
			c.Close()
			return
		}
		time.Sleep(serverPoll)
	}
	s.t.Fatalf("clickhouse-server not listening on %s after %v", s.addr(), serverStartPolls*serverPoll)
}

// kill stops the server with SIGKILL, as a crash would.
func (s *server) kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

func (s *server) stop() { s.kill() }

func (s *server) options(database string) clickhouse.Options {
	return clickhouse.Options{Addr: s.addr(), Database: database, Layout: clickhouse.LayoutLegacy, Compress: true}
}

func openServerStore(t testing.TB, srv *server, database string) *clickhouse.Store {
	t.Helper()
	st, err := clickhouse.Open(context.Background(), srv.options(database))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// ClickHouse 18.16 over the native protocol, legacy layout: every table's random batches (extremes
// included, timestamps before 1970) go in and come back bit-exact in the contract's types; opening again
// applies no migration; a bad batch stores nothing.
func TestServerRoundTrip(t *testing.T) {
	srv := startServer(t)
	s := openServerStore(t, srv, "tape")
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	g := columnartest.NewGen(seed, false)
	for _, tb := range columnar.Tables()[:5] {
		stream, source := tb.Name, ""
		if tb.Name == "trades" || tb.Name == "quotes" {
			source = "feed😀"
			stream = tb.Name + "/" + source
		}
		rec, upTo := g.Batch(t, tb.Name, 300, 1, source)
		want := columnartest.Cells(t, rec)
		mustWrite(t, s, tb.Name, rec, stream, upTo)
		if !mustWrite(t, s, tb.Name, rec, stream, upTo) {
			t.Errorf("%s: second write not skipped", tb.Name)
		}
		rec.Release()
		schema, got := columnartest.QueryAll(t, s, "SELECT * FROM "+tb.Name+" ORDER BY "+columnartest.OrderBy[tb.Name])
		columnartest.SameTypes(t, schema, tb.Schema)
		columnartest.SameRows(t, fmt.Sprintf("%s (seed %d)", tb.Name, seed), got, want)
	}
	again := openServerStore(t, srv, "tape")
	if n := count(t, again, "SELECT count() FROM _tape_migrations"); n != 1 {
		t.Errorf("%d migration rows after a second open, want 1", n)
	}
	// A bad batch (a null in a required column, last row) sends nothing.
	bad, upTo := g.Batch(t, "accounts", 10, 1000, "")
	defer bad.Release()
	rows := columnartest.Cells(t, bad)
	rows[9][1] = nil
	badRec := columnartest.BuildRecord(t, bad.Schema(), rows)
	defer badRec.Release()
	before := count(t, s, "SELECT count() FROM accounts")
	if _, err := s.Write(context.Background(), "accounts", badRec, "accounts", upTo); err == nil || !strings.Contains(err.Error(), "column asset") {
		t.Errorf("bad batch: %v, want an error naming column asset", err)
	}
	if after := count(t, s, "SELECT count() FROM accounts"); after != before {
		t.Errorf("a refused batch stored %d rows", after-before)
	}
}

// crashingStore kills the server a random moment (0-100 ms) after the start of the first write to
// table, then runs after (in the background).
type crashingStore struct {
	*clickhouse.Store
	srv   *server
	table string
	after func()
	done  chan struct{} // closed when the crash and after are over
	rng   *rand.Rand
}

func (c *crashingStore) Write(ctx context.Context, table string, rec arrow.RecordBatch, stream string, upTo uint64) (bool, error) {
	if table == c.table && c.srv != nil {
		srv, delay := c.srv, time.Duration(c.rng.IntN(100))*time.Millisecond
		c.srv = nil
		go func() {
			defer close(c.done)
			time.Sleep(delay)
			srv.kill()
			c.after()
		}()
	}
	return c.Store.Write(ctx, table, rec, stream, upTo)
}

// The projection of a real tape into ClickHouse 18.16 survives two server crashes (SIGKILL during an
// events insert): one the store rides out by retrying until the server is back, one that outlasts the
// projection, which then resumes in a new Store after the restart. Every event leg and account is
// stored exactly once and every balance equals the ledger's.
func TestServerOutage(t *testing.T) {
	l := tapetest.LoadLedger(t, 5, 100_000)
	srv := startServer(t)
	s := openServerStore(t, srv, "tape")
	rng := rand.New(rand.NewPCG(rand.Uint64(), 3))
	ctx := context.Background()

	// Outage 1: back after 700 ms; the write retries through it.
	c1 := &crashingStore{Store: s, srv: srv, table: "events", rng: rng, done: make(chan struct{}),
		after: func() { time.Sleep(700 * time.Millisecond); srv.start() }}
	_, err := projector.Project(ctx, l, c1, nil)
	if c1.srv != nil {
		t.Fatalf("outage 1: the projection wrote no events batch (%v)", err)
	}
	<-c1.done
	if err != nil {
		t.Fatalf("projection through a short outage: %v", err)
	}
	t.Logf("outage 1: %d retries", s.Retries())

	checkProjection(t, l, s)

	// Outage 2, into a second database: down until the projection gives up (its context ends 1.5 s
	// after the crash); after the restart a new Store resumes it.
	ctx2, cancel := context.WithCancel(ctx)
	defer cancel()
	c2 := &crashingStore{Store: openServerStore(t, srv, "tape2"), srv: srv, table: "events", rng: rng,
		done: make(chan struct{}), after: func() { time.Sleep(1500 * time.Millisecond); cancel() }}
	_, err = projector.Project(ctx2, l, c2, nil)
	if c2.srv != nil {
		t.Fatalf("outage 2: the projection wrote no events batch (%v)", err)
	}
	<-c2.done
	t.Logf("outage 2: projection ended with %v", err)
	srv.kill()
	srv.start()
	s2 := openServerStore(t, srv, "tape2")
	mark, err := s2.Watermark(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outage 2: %d event rows stored above the watermark %d, found again on resume",
		count(t, s2, fmt.Sprintf("SELECT count() FROM events WHERE seq > %d", mark)), mark)
	if _, err := projector.Project(ctx, l, s2, nil); err != nil {
		t.Fatalf("resumed projection: %v", err)
	}
	checkProjection(t, l, s2)
}

// checkProjection: every seq present, no (seq, leg) or account twice, balances as the ledger's.
func checkProjection(t *testing.T, l *tape.Ledger, s *clickhouse.Store) {
	t.Helper()
	if n := count(t, s, "SELECT uniqExact(seq) FROM events"); n != l.Seq() {
		t.Errorf("%d distinct seqs stored, the tape has %d", n, l.Seq())
	}
	rows, distinct := count(t, s, "SELECT count() FROM events"), count(t, s, "SELECT uniqExact(seq, leg) FROM events")
	if rows != distinct {
		t.Errorf("%d event rows for %d distinct (seq, leg): %d stored twice", rows, distinct, rows-distinct)
	}
	rr, err := s.Query(context.Background(),
		"SELECT account, argMax(balance_after, seq * 2 + leg) FROM events WHERE delta IS NOT NULL GROUP BY account")
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	stored := map[string]string{}
	for rr.Next() {
		rec := rr.RecordBatch()
		acct, bal := rec.Column(0).(*array.String), rec.Column(1).(*array.Decimal128)
		for i := range acct.Len() {
			stored[acct.Value(i)] = bal.Value(i).ToString(18)
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	var accounts int
	var mismatch []string
	l.View(func(st *ledgercore.State) {
		accounts = len(st.Accounts())
		for _, a := range st.Accounts() {
			asset, _ := st.Asset(a.Asset)
			want := columnar.Money(a.Balance, asset.Scale).ToString(18)
			got, ok := stored[a.ID]
			if !ok {
				got = columnar.Money(ledgercore.Amount{}, asset.Scale).ToString(18)
			}
			if got != want {
				mismatch = append(mismatch, a.ID+": store "+got+", ledger "+want)
			}
		}
	})
	if len(mismatch) > 0 {
		t.Errorf("%d balances differ, e.g. %s", len(mismatch), mismatch[0])
	}
	if n, d := count(t, s, "SELECT count() FROM accounts"), count(t, s, "SELECT uniqExact(account) FROM accounts"); n != uint64(accounts) || d != n {
		t.Errorf("%d account rows (%d distinct), the ledger has %d accounts", n, d, accounts)
	}
}

// On ClickHouse 18.16: an events batch stored without its watermark (inserted behind the Store's back,
// as a crash between the two inserts leaves it) is completed, not doubled, by the next Store's Write of
// the same batch.
func TestServerDedupAfterLostWatermark(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	s := openServerStore(t, srv, "tape")
	g := columnartest.NewGen(11, true)
	rec, upTo := g.Batch(t, "events", 500, 1, "")
	defer rec.Release()
	c, err := clickhouse.DialNative(ctx, srv.options("tape"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	part := rec.NewSlice(0, 201) // cuts the legs of one seq apart: keys are (seq, leg)
	defer part.Release()
	if err := c.Insert(ctx, "events", part, nil); err != nil {
		t.Fatal(err)
	}
	if mustWrite(t, s, "events", rec, "events", upTo) {
		t.Fatal("write skipped")
	}
	n, d := count(t, s, "SELECT count() FROM events"), count(t, s, "SELECT uniqExact(seq, leg) FROM events")
	if n != uint64(rec.NumRows()) || d != n {
		t.Errorf("%d rows, %d distinct keys, want %d", n, d, rec.NumRows())
	}
}
