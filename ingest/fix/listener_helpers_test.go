package fix

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tape-ledger/tape/columnar"
)

// memStore is a Store in memory that applies the rules of the real ones
// (columnar.Validate, columnar.CheckKeys, skip at or below the watermark)
// and keeps each row as text.
type memStore struct {
	mu    sync.Mutex
	marks map[string]uint64
	rows  map[string][]string // by table
	// gate, when set, is received from before each Write: a test holds
	// the writer with it.
	gate chan struct{}
}

func newMemStore() *memStore {
	return &memStore{marks: make(map[string]uint64), rows: make(map[string][]string)}
}

func (s *memStore) Write(ctx context.Context, table string, rec arrow.RecordBatch, stream string, upTo uint64) (bool, error) {
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	t := columnar.TradesTable
	if table == columnar.QuotesTable.Name {
		t = columnar.QuotesTable
	}
	if err := columnar.Validate(t, rec); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.marks[stream] >= upTo {
		return true, nil
	}
	if err := columnar.CheckKeys(t, rec, stream, s.marks[stream], upTo); err != nil {
		return false, err
	}
	for i := range int(rec.NumRows()) {
		var row []string
		for _, c := range rec.Columns() {
			row = append(row, c.ValueStr(i))
		}
		s.rows[table] = append(s.rows[table], strings.Join(row, " "))
	}
	s.marks[stream] = upTo
	return false, nil
}

func (s *memStore) Watermark(_ context.Context, stream string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.marks[stream], nil
}

// dump renders the rows and watermarks.
func (s *memStore) dump() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, table := range tables {
		fmt.Fprintf(&b, "%s:\n", table)
		for _, r := range s.rows[table] {
			fmt.Fprintf(&b, "\t%s\n", r)
		}
	}
	streams := make([]string, 0, len(s.marks))
	for st := range s.marks {
		streams = append(streams, st)
	}
	slices.Sort(streams)
	for _, st := range streams {
		fmt.Fprintf(&b, "watermark %s: MsgSeqNum %d entry %d\n", st, s.marks[st]>>entryBits, s.marks[st]&EntriesPerMessageMax)
	}
	return b.String()
}

// rewind forgets the rows of stream above MessageMark(seq), as a crash
// between two writes would have left them.
func (s *memStore) rewind(table, stream string, seq int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mark := MessageMark(seq)
	var kept []string
	for _, r := range s.rows[table] {
		var key uint64
		fmt.Sscan(r[strings.LastIndexByte(r, ' ')+1:], &key)
		if key <= mark {
			kept = append(kept, r)
		}
	}
	s.rows[table], s.marks[stream] = kept, mark
}

// listen starts a Listener on loopback; the test's cleanup closes it.
func listen(t testing.TB, store Store, cfg Config) (*Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, ln, store, cfg)
}

// smallBuffers accepts connections with a small socket receive buffer, so
// that what the kernel holds for a Listener that stops reading is small.
type smallBuffers struct{ net.Listener }

const smallBufferBytes = 64 << 10

func (s smallBuffers) Accept() (net.Conn, error) {
	c, err := s.Listener.Accept()
	if err == nil {
		err = c.(*net.TCPConn).SetReadBuffer(smallBufferBytes)
	}
	return c, err
}

// serveOn starts a Listener on ln; the test's cleanup closes it.
func serveOn(t testing.TB, ln net.Listener, store Store, cfg Config) (*Listener, string) {
	t.Helper()
	if cfg.CompID == "" {
		cfg.CompID = "TAPE"
	}
	l, err := NewListener(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		l.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return l, ln.Addr().String()
}

// client is the test suite's FIX client: it sends messages as written
// and checks what Tape answers.
type client struct {
	t    testing.TB
	conn net.Conn
	sc   *Scanner
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, sc: NewScanner(conn)}
}

// send frames a readable body ("35=...|...|") and sends it.
func (c *client) send(body string) { c.sendRaw(soh(framed(body))) }

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// expect reads Tape's next message and checks that it holds the fields of
// want ("35=3|45=4|"): each tag's first value.
func (c *client) expect(want string) {
	c.t.Helper()
	m, err := c.sc.Next()
	if err != nil {
		c.t.Fatalf("want %s: %v", want, err)
	}
	for _, f := range strings.Split(strings.TrimSuffix(want, "|"), "|") {
		tag, value, _ := strings.Cut(f, "=")
		var n int
		fmt.Sscan(tag, &n)
		if got, ok := m.Get(n); !ok || string(got) != value {
			c.t.Fatalf("want %s\n got %s", want, bar(m.Bytes()))
		}
	}
}

// expectEOF checks that Tape closed the connection.
func (c *client) expectEOF() {
	c.t.Helper()
	if m, err := c.sc.Next(); !errors.Is(err, io.EOF) {
		if m != nil {
			c.t.Fatalf("want the connection closed, got %s", bar(m.Bytes()))
		}
		c.t.Fatalf("want the connection closed, got %v", err)
	}
}

// play plays a recorded session, testdata/sessions/<name>.fix, against the
// Listener at addr. Lines:
//
//	> body        send the message body, framed (8=, 9=, 10= added)
//	! raw         send raw bytes as written, | for SOH (a partial message)
//	< fields      expect Tape's next message to hold these fields
//	eof           expect Tape to close the connection
//	reconnect     close the connection and open a new one
//
// Blank lines and lines starting with # are skipped.
func play(t *testing.T, addr, name string) {
	t.Helper()
	f, err := os.Open("testdata/sessions/" + name + ".fix")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := dial(t, addr)
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		op, arg, _ := strings.Cut(text, " ")
		switch op {
		case "", "#":
		case ">":
			c.send(arg)
		case "!":
			c.sendRaw(soh(arg))
		case "<":
			c.expect(arg)
		case "eof":
			c.expectEOF()
		case "reconnect":
			c.conn.Close()
			c = dial(t, addr)
		default:
			t.Fatalf("%s.fix:%d: unknown line %q", name, line, text)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	c.conn.Close()
}

// liveIncremental appends a 35=X with MsgSeqNum seq and n entries cycling
// through bids, offers and trades of 8 symbols, as a busy feed sends them.
func liveIncremental(dst []byte, seq, n int) []byte {
	body := make([]Field, 0, 2+n*8)
	body = append(body, Field{TagMDReqID, "md-1"}, Field{TagNoMDEntries, strconv.Itoa(n)})
	for i := range n {
		k := seq*n + i
		typ := strconv.Itoa(k % 3)
		body = append(body, Field{TagMDUpdateAction, "0"}, Field{TagMDEntryType, typ},
			Field{TagSymbol, "SYM" + strconv.Itoa(k/3%8)}, Field{TagMDEntryPx, "1.0851" + strconv.Itoa(k%10)},
			Field{TagMDEntrySize, strconv.Itoa(1000000 + k%1000*1000)}, Field{TagMDEntryTime, "13:30:31." + strconv.Itoa(100+k%900)})
		if typ == "2" {
			body = append(body, Field{TagTradeID, "T-" + strconv.Itoa(k)}, Field{TagLastMkt, "XLON"})
		}
	}
	h := Header{MsgType: MsgTypeMarketDataIncremental, SenderCompID: "VENUE", TargetCompID: "TAPE",
		MsgSeqNum: seq, SendingTs: 1741959031_500_000_000}
	return Append(dst, h, body)
}
