package fix

import (
	"bytes"
	"strconv"
	"testing"
)

// benchIncremental returns a 35=X message with n entries that look like a
// busy FX feed: bids, offers and trades with times, trade ids and venues.
func benchIncremental(n int) []byte {
	body := []Field{{TagMDReqID, "md-1"}, {TagNoMDEntries, strconv.Itoa(n)}}
	for i := range n {
		typ := strconv.Itoa(i % 3)
		body = append(body, Field{TagMDUpdateAction, "0"}, Field{TagMDEntryType, typ}, Field{TagSymbol, "EURUSD"},
			Field{TagMDEntryPx, "1.0851" + strconv.Itoa(i%10)}, Field{TagMDEntrySize, strconv.Itoa(1000000 + i*1000)},
			Field{TagMDEntryTime, "13:30:31." + strconv.Itoa(100+i)})
		if typ == "2" {
			body = append(body, Field{TagTradeID, "T-" + strconv.Itoa(77000+i)}, Field{TagLastMkt, "XLON"})
		}
	}
	h := Header{MsgType: MsgTypeMarketDataIncremental, SenderCompID: "VENUE", TargetCompID: "TAPE",
		MsgSeqNum: 123456, SendingTs: 1741959031_500_000_000}
	return Append(nil, h, body)
}

const benchEntries = 10

func BenchmarkParse(b *testing.B) {
	msg := benchIncremental(benchEntries)
	var m Message
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Parse(msg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*benchEntries/b.Elapsed().Seconds(), "entries/s")
}

func BenchmarkParseAndMap(b *testing.B) {
	msg := benchIncremental(benchEntries)
	var m Message
	entries := make([]Entry, 0, benchEntries)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Parse(msg); err != nil {
			b.Fatal(err)
		}
		var err error
		if entries, err = AppendEntries(entries[:0], &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*benchEntries/b.Elapsed().Seconds(), "entries/s")
}

func BenchmarkScanner(b *testing.B) {
	msg := benchIncremental(benchEntries)
	const msgs = 1000
	stream := bytes.Repeat(msg, msgs)
	r := bytes.NewReader(stream)
	s := NewScanner(r)
	entries := make([]Entry, 0, benchEntries)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(stream)
		s.Reset(r)
		for {
			m, err := s.Next()
			if err != nil {
				break
			}
			if entries, err = AppendEntries(entries[:0], m); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)*msgs*benchEntries/b.Elapsed().Seconds(), "entries/s")
}

func BenchmarkAppend(b *testing.B) {
	msg := benchIncremental(benchEntries)
	m, _, err := Parse(msg)
	if err != nil {
		b.Fatal(err)
	}
	body := fieldsOf(&m)[7 : m.Len()-1]
	h := Header{MsgType: MsgTypeMarketDataIncremental, SenderCompID: "VENUE", TargetCompID: "TAPE",
		MsgSeqNum: 123456, SendingTs: 1741959031_500_000_000}
	buf := make([]byte, 0, 2*len(msg))
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], h, body)
	}
	if !bytes.Equal(buf, msg) {
		b.Fatalf("Append wrote\n%s\nwant\n%s", bar(buf), bar(msg))
	}
}
