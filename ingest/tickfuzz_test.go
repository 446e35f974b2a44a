package ingest

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/tape-ledger/tape/columnar"
)

// fuzzTicks reads body with newReader and checks what any input must give:
// no panic, and every batch handed out valid for the store (schema, values,
// increasing keys above the previous batch).
func fuzzTicks(t *testing.T, body []byte, newReader func(io.Reader) (*TickReader, error)) {
	r, err := newReader(bytes.NewReader(body))
	if err != nil {
		return
	}
	var after uint64
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			var re *RowError
			if errors.As(err, &re) && (re.Reason == "" || re.Name == "") {
				t.Fatalf("row error without a reason or a name: %#v", re)
			}
			return
		}
		if err := columnar.Validate(columnar.TradesTable, b.Rec); err != nil {
			t.Fatalf("batch refused by Validate: %v", err)
		}
		if err := columnar.CheckKeys(columnar.TradesTable, b.Rec, b.Stream, after, b.UpTo); err != nil {
			t.Fatalf("batch refused by CheckKeys: %v", err)
		}
		after = b.UpTo
		b.Rec.Release()
	}
}

func FuzzCSVTicks(f *testing.F) {
	f.Add([]byte(vendorCSV))
	f.Add([]byte("ts,sym,px,qty,side,source,source_seq\n2026-01-05T09:30:00Z,AAPL,1.5,1,B,f,1\n2026-01-05T09:30:01.5+01:00,\"A\"\"B\",-0.00000001,99999.99999999,S,f,7\n"))
	f.Add([]byte("ts,sym,px,qty,side\n2026-01-05T09:30:00Z,AAPL,1e5,1,B\n,,,,\n\"x\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzTicks(t, body, func(r io.Reader) (*TickReader, error) {
			return NewCSVTicks(r, "f.csv", TickOptions{Table: "trades", Source: "f", SkipBadRows: true}, nil)
		})
	})
}

func FuzzNDJSONTicks(f *testing.F) {
	f.Add([]byte(`{"ts":"2026-01-05T09:30:00Z","sym":"A\u00e9","px":1.5,"qty":"2","side":"B","source_seq":3}` + "\n" +
		`{"ts":"2026-01-05T09:30:01Z","sym":"\ud83d\ude00","px":"0.1","qty":1,"side":"S","x":[1]}` + "\n"))
	f.Add([]byte(`{"ts":null,"sym":"A","px":1,"qty":1,"side":"B"}` + "\n{}\n\n" + `{"ts":"2026-01-05T09:30:00Z"`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzTicks(t, body, func(r io.Reader) (*TickReader, error) {
			return NewNDJSONTicks(r, "f.ndjson", TickOptions{Table: "trades", Source: "f", SkipBadRows: true}, nil)
		})
	})
}
