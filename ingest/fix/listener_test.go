package fix

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tape-ledger/tape/internal/testkit"
)

// TestListenerSessions plays each recorded session against a Listener and
// compares the rows and watermarks stored with testdata/sessions/<name>.golden.
func TestListenerSessions(t *testing.T) {
	tests := []struct {
		name string
		want Stats // the counters compared; others are not
	}{
		{"basic", Stats{Messages: 6, Entries: 11, TradeRows: 3, QuoteRows: 4, OutOfOrder: 2,
			OutOfOrderBySymbol: map[SymbolKey]uint64{{"VENUE", "EURUSD"}: 1, {"VENUE", "GBPUSD"}: 1}}},
		{"reject", Stats{Messages: 7, Entries: 1, TradeRows: 1, Rejects: 4}},
		{"gap", Stats{Messages: 10, Entries: 6, TradeRows: 3, QuoteRows: 2, Gaps: 1, Duplicates: 2}},
		{"reconnect", Stats{Messages: 10, Entries: 4, TradeRows: 2, QuoteRows: 1, Gaps: 1, Duplicates: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore()
			l, addr := listen(t, store, Config{})
			play(t, addr, tt.name)
			l.Close()
			testkit.Golden(t, "testdata/sessions/"+tt.name+".golden", []byte(store.dump()))
			checkStats(t, l.Stats(), tt.want)
		})
	}
}

// checkStats compares the counters of the message flow.
func checkStats(t *testing.T, got, want Stats) {
	t.Helper()
	type flow struct {
		Messages, Entries, TradeRows, QuoteRows, Rejects, Gaps, Duplicates, Garbled, OutOfOrder, WriteErrors uint64
		BySymbol                                                                                             string
	}
	f := func(s Stats) flow {
		return flow{s.Messages, s.Entries, s.TradeRows, s.QuoteRows, s.Rejects, s.Gaps, s.Duplicates, s.Garbled,
			s.OutOfOrder, s.WriteErrors, bySymbol(s.OutOfOrderBySymbol)}
	}
	if f(got) != f(want) {
		t.Errorf("stats\n got %+v\nwant %+v", f(got), f(want))
	}
	if got.Sessions != 0 || got.SessionsBlocked != 0 || got.QueuedBatches != 0 {
		t.Errorf("after Close: %d sessions, %d blocked, %d batches queued", got.Sessions, got.SessionsBlocked, got.QueuedBatches)
	}
}

func bySymbol(m map[SymbolKey]uint64) string {
	var b []string
	for k, n := range m {
		b = append(b, k.Source+"/"+k.Symbol+"="+strconv.FormatUint(n, 10))
	}
	slices.Sort(b)
	return strings.Join(b, ",")
}

// TestListenerCrashReplay: a crash between the two writes of a batch left
// the quotes of messages 3 and 4 stored but not their trades. A new
// Listener on the same store asks for the messages from 3, and the store
// ends up exactly as without the crash: each row once.
func TestListenerCrashReplay(t *testing.T) {
	store := newMemStore()
	l, addr := listen(t, store, Config{})
	play(t, addr, "basic")
	l.Close()
	want := store.dump()
	store.rewind("trades", TradesStream("VENUE"), 2)

	l, addr = listen(t, store, Config{})
	play(t, addr, "crash_replay")
	l.Close()
	if got := store.dump(); got != want {
		t.Errorf("after the replay\n got:\n%s\nwant:\n%s", got, want)
	}
	if st := l.Stats(); st.TradeRows != 3 || st.QuoteRows != 0 || st.BatchesSkipped == 0 {
		t.Errorf("%d trades rows, %d quotes rows, %d writes skipped; want 3, 0 (stored already), > 0",
			st.TradeRows, st.QuoteRows, st.BatchesSkipped)
	}
}

// TestListenerBackpressure: with the store stalled, the session stops
// reading its socket once the queue is full: the client cannot send its
// stream, and the rows held stay within the queue's bound. Released, every
// row is stored once.
func TestListenerBackpressure(t *testing.T) {
	const (
		batchRows         = 100
		queueBatches      = 1
		entriesPerMessage = 10
		streamBytesMin    = 8 << 20 // far above what the kernel buffers on both ends
	)
	store := newMemStore()
	store.gate = make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, addr := serveOn(t, smallBuffers{ln}, store, Config{BatchRows: batchRows, QueueBatches: queueBatches})
	c := dial(t, addr)
	if err := c.conn.(*net.TCPConn).SetWriteBuffer(smallBufferBytes); err != nil {
		t.Fatal(err)
	}
	c.send("35=A|49=VENUE|56=TAPE|34=1|52=20250314-13:30:00.000|98=0|108=0|")
	c.expect("35=A|")

	seq, sent := 1, make(chan error, 1)
	go func() {
		var chunk []byte
		for total := 0; total < streamBytesMin; total += len(chunk) {
			chunk = chunk[:0]
			for len(chunk) < 64<<10 {
				seq++
				chunk = liveIncremental(chunk, seq, entriesPerMessage)
			}
			if _, err := c.conn.Write(chunk); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	for l.Stats().SessionsBlocked == 0 {
		time.Sleep(time.Millisecond) // a wait, not a timing assertion
	}
	select {
	case err := <-sent:
		t.Fatalf("the client sent its whole stream to a stalled listener (%v)", err)
	default:
	}
	// Held: the batch the writer is stuck on, a full queue, the batch
	// waiting for room, each up to batchRows plus one message.
	st := l.Stats()
	if held, max := st.TradeRows+st.QuoteRows, uint64((queueBatches+2)*(batchRows+entriesPerMessage)); held > max {
		t.Errorf("%d rows made while the store is stalled, more than %d", held, max)
	}

	close(store.gate)
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	c.send("35=1|49=VENUE|56=TAPE|34=" + strconv.Itoa(seq+1) + "|52=20250314-13:30:00.000|112=sync|")
	c.expect("35=0|112=sync|")
	l.Close()
	st = l.Stats()
	if mark := store.marks[TradesStream("VENUE")]; mark != MessageMark(seq) {
		t.Errorf("trades watermark at MsgSeqNum %d, want %d", mark>>entryBits, seq)
	}
	if n := uint64(len(store.rows["trades"]) + len(store.rows["quotes"])); n != st.TradeRows+st.QuoteRows || st.Entries != uint64((seq-1)*entriesPerMessage) {
		t.Errorf("%d rows stored, %d made, %d entries; want the rows made, %d entries", n, st.TradeRows+st.QuoteRows,
			st.Entries, (seq-1)*entriesPerMessage)
	}
}

// A bid and an offer of one symbol at one instant, consecutive in a
// message, are one quote update: one quotes row, keyed by the offer; a lone
// side later makes its own row.
func TestListenerQuoteUpdateIsOneRow(t *testing.T) {
	store := newMemStore()
	l, addr := listen(t, store, Config{})
	c := dial(t, addr)
	c.send("35=A|49=VENUE|56=TAPE|34=1|52=20250314-13:30:00.000|98=0|108=30|")
	c.expect("35=A|")
	c.send("35=X|49=VENUE|56=TAPE|34=2|52=20250314-13:30:01.000|262=m|268=2|" +
		"279=0|269=0|55=EURUSD|270=1.0851|271=1000000|273=13:30:01.000|" +
		"279=0|269=1|55=EURUSD|270=1.0853|271=2000000|273=13:30:01.000|")
	c.send("35=X|49=VENUE|56=TAPE|34=3|52=20250314-13:30:02.000|262=m|268=1|" +
		"279=1|269=0|55=EURUSD|270=1.0852|271=500000|273=13:30:02.000|")
	c.send("35=5|49=VENUE|56=TAPE|34=4|52=20250314-13:30:03.000|")
	c.expect("35=5|")
	l.Close()
	rows := store.rows["quotes"]
	if len(rows) != 2 || !strings.Contains(rows[0], "EURUSD 1.0851 1.0853 1000000 2000000") ||
		!strings.Contains(rows[1], "EURUSD 1.0852 1.0853 500000 2000000") {
		t.Fatalf("quotes rows:\n%s", strings.Join(rows, "\n"))
	}
	if st := l.Stats(); st.QuoteRows != 2 {
		t.Errorf("%d quote rows counted, want 2", st.QuoteRows)
	}
}

// The session's timers, with HeartBtInt 1 s: a Heartbeat when Tape has sent
// nothing for 1 s, a TestRequest when the peer has sent nothing for 1.2 s,
// answered Heartbeats keep the session, and silence after a TestRequest
// ends it with a Logout. (Waits about 4 s; asserts order, not durations.)
func TestListenerHeartbeats(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the heartbeat timers; skipped with -short")
	}
	store := newMemStore()
	l, addr := listen(t, store, Config{})
	defer l.Close()
	c := dial(t, addr)
	c.send("35=A|49=VENUE|56=TAPE|34=1|52=20250314-13:30:00.000|98=0|108=1|")
	c.expect("35=A|108=1|")
	c.expect("35=0|")            // Tape's Heartbeat: nothing sent for 1 s
	c.expect("35=1|112=tape-1|") // TestRequest: nothing received for 1.2 s
	c.send("35=0|49=VENUE|56=TAPE|34=2|52=20250314-13:30:02.000|112=tape-1|")
	c.expect("35=0|")            // the session goes on: Tape's next Heartbeat
	c.expect("35=1|112=tape-2|") // silence again
	for range 3 {                // no answer: Logout, maybe after a Heartbeat due at the same instant
		m, err := c.sc.Next()
		if err != nil {
			t.Fatalf("want a Logout: %v", err)
		}
		if string(m.MsgType()) == MsgTypeLogout {
			break
		}
		if string(m.MsgType()) != MsgTypeHeartbeat {
			t.Fatalf("want a Logout, got %s", bar(m.Bytes()))
		}
	}
	c.expectEOF()
	if st := l.Stats(); st.Sessions != 0 || st.Messages != 2 {
		t.Errorf("after the timeout: %d sessions, %d messages", st.Sessions, st.Messages)
	}
}

// A connection that sends no Logon is closed after the logon timeout; one
// that logs on with the wrong TargetCompID is refused at once.
func TestListenerLogonRefused(t *testing.T) {
	store := newMemStore()
	l, addr := listen(t, store, Config{})
	defer l.Close()
	c := dial(t, addr)
	c.send("35=A|49=VENUE|56=SOMEONE|34=1|52=20250314-13:30:00.000|98=0|108=30|")
	c.expect("35=5|")
	c.expectEOF()
	if st := l.Stats(); st.LogonsRefused != 1 {
		t.Errorf("%d logons refused, want 1", st.LogonsRefused)
	}
}
