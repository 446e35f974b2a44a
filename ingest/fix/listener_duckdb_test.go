//go:build duckdb_arrow

package fix

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tape-ledger/tape/columnar/duckdb"
)

// BenchmarkListenerIncremental streams 35=X messages of 10 entries over TCP
// loopback into a Listener writing to a DuckDB file, and reports entries/s,
// from the first byte sent until every row is stored.
func BenchmarkListenerIncremental(b *testing.B) {
	const entriesPerMessage = 10
	ctx := context.Background()
	store, err := duckdb.Open(ctx, filepath.Join(b.TempDir(), "bench.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	l, err := NewListener(store, Config{CompID: "TAPE"})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- l.Serve(ctx, ln) }()

	stream := make([]byte, 0, b.N*600)
	for i := range b.N {
		stream = liveIncremental(stream, i+2, entriesPerMessage)
	}
	b.SetBytes(int64(len(stream) / b.N))
	b.ReportAllocs()
	c := dial(b, ln.Addr().String())
	c.send("35=A|49=VENUE|56=TAPE|34=1|52=20250314-13:30:00.000|98=0|108=0|")
	c.expect("35=A|")
	b.ResetTimer()
	c.sendRaw(stream)
	c.send("35=1|49=VENUE|56=TAPE|34=" + strconv.Itoa(b.N+2) + "|52=20250314-13:30:00.000|112=done|")
	c.expect("35=0|112=done|")
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if err := <-served; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*entriesPerMessage)/b.Elapsed().Seconds(), "entries/s")
	for _, stream := range []string{TradesStream("VENUE"), QuotesStream("VENUE")} {
		if mark, err := store.Watermark(ctx, stream); err != nil || mark != MessageMark(b.N+1) {
			b.Fatalf("watermark of %s: %d, %v; want MessageMark(%d)", stream, mark, err, b.N+1)
		}
	}
	if st := l.Stats(); st.Entries != uint64(b.N*entriesPerMessage) || st.WriteErrors != 0 {
		b.Fatalf("%d entries, %d write errors (%s); want %d, 0", st.Entries, st.WriteErrors, st.LastWriteError, b.N*entriesPerMessage)
	}
}
