package ingest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tape-ledger/tape/columnar"
	"github.com/tape-ledger/tape/internal/workload"
)

// readAll reads every batch and returns the rows as text, with the streams
// and upTos seen.
func readAll(t *testing.T, r *TickReader) (rows [][]string, streams []string, upTos []uint64, err error) {
	t.Helper()
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, streams, upTos, nil
		}
		if err != nil {
			return rows, streams, upTos, err
		}
		tab := columnar.TradesTable
		if b.Table == "quotes" {
			tab = columnar.QuotesTable
		}
		if verr := columnar.Validate(tab, b.Rec); verr != nil {
			t.Fatal(verr)
		}
		rows = append(rows, batchRows(b.Rec)...)
		streams, upTos = append(streams, b.Stream), append(upTos, b.UpTo)
		b.Rec.Release()
	}
}

func batchRows(rec arrow.RecordBatch) [][]string {
	out := make([][]string, rec.NumRows())
	for i := range out {
		for _, col := range rec.Columns() {
			s := col.ValueStr(i)
			if d, ok := col.(*array.Decimal128); ok {
				s = columnar.DecimalText(d.Value(i), 8)
			}
			out[i] = append(out[i], strings.Clone(s))
		}
	}
	return out
}

// Generated CSV read back gives exactly the generator's Arrow rows.
func TestCSVTicksMatchGenerator(t *testing.T) {
	for _, table := range []string{"trades", "quotes"} {
		t.Run(table, func(t *testing.T) {
			opts := workload.TickOptions{Seed: 4, Symbols: 30, Rate: 0.5, Source: "gen-4"}
			var trades, quotes bytes.Buffer
			if _, err := workload.GenerateTicks(&trades, &quotes, opts, workload.TickCSV); err != nil {
				t.Fatal(err)
			}
			var want [][]string
			if _, err := workload.GenerateTickBatches(opts, func(b workload.TickBatch) error {
				if b.Table == table {
					want = append(want, batchRows(b.Rec)...)
				}
				b.Rec.Release()
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			in := map[string]*bytes.Buffer{"trades": &trades, "quotes": &quotes}[table]
			r, err := NewCSVTicks(in, table+".csv", TickOptions{Table: table}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, streams, _, err := readAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || len(want) == 0 {
				t.Fatalf("%d rows, generator %d", len(got), len(want))
			}
			for i := range want {
				if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
					t.Fatalf("row %d:\n got %v\nwant %v", i, got[i], want[i])
				}
			}
			if streams[0] != table+"/gen-4" {
				t.Errorf("stream %q", streams[0])
			}
			if st := r.Stats(); st.Rows != int64(len(want)) || st.Stored != st.Rows || st.OutOfOrder != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

const vendorCSV = "\ufeffTime,Ticker,Price,Size,Aggressor,Exch\r\n" +
	"1767605400.5,AAPL,187.23,100,BUY,XNAS\r\n" +
	"1767605401,\"MS,FT\",\"402.1\",50,s,\"X\"\"Y\"\r\n" +
	"1767605400.25,AAPL,187.2,5,B,XNAS\r\n"

// Vendor files: mapped names, epoch seconds, quoted fields, BUY/SELL, a BOM
// and CRLF; rows numbered by position; an older ts is counted, not refused.
func TestCSVTicksVendorMapping(t *testing.T) {
	o := TickOptions{Table: "trades", Source: "vendor", Time: TimeEpochS,
		Columns: map[string]string{"ts": "Time", "sym": "Ticker", "px": "Price", "qty": "Size", "side": "Aggressor", "venue": "Exch"}}
	r, err := NewCSVTicks(strings.NewReader(vendorCSV), "v.csv", o, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, streams, upTos, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"2026-01-05T09:30:00.5Z", "AAPL", "187.23000000", "100.00000000", "B", "", "XNAS", "vendor", "1"},
		{"2026-01-05T09:30:01Z", "MS,FT", "402.10000000", "50.00000000", "S", "", `X"Y`, "vendor", "2"},
		{"2026-01-05T09:30:00.25Z", "AAPL", "187.20000000", "5.00000000", "B", "", "XNAS", "vendor", "3"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %v", rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i, rows[i], want[i])
		}
	}
	if streams[0] != "trades/vendor" || upTos[0] != 3 {
		t.Errorf("stream %q up to %d", streams[0], upTos[0])
	}
	if r.Stats().OutOfOrder != 1 {
		t.Errorf("out of order %d, want 1", r.Stats().OutOfOrder)
	}
}

// Each bad input gets its precise error: file, line, row, column, value.
func TestCSVTicksBadRows(t *testing.T) {
	const header = "ts,sym,px,qty,side,source,source_seq\n"
	const good = "2026-01-05T09:30:00Z,AAPL,1.5,1,B,f,1\n"
	cases := []struct {
		name, body, want string
	}{
		{"price with 9 decimals", good + "2026-01-05T09:30:01Z,AAPL,1.123456789,1,B,f,2\n",
			`t.csv:3: row 2: column px: value "1.123456789": not a decimal`},
		{"price too big", good + "2026-01-05T09:30:01Z,AAPL,12345678901,1,B,f,2\n", `column px: value "12345678901"`},
		{"float exponent", good + "2026-01-05T09:30:01Z,AAPL,1e3,1,B,f,2\n", `column px: value "1e3"`},
		{"bad ts", good + "2026-01-05 09:30:01,AAPL,1,1,B,f,2\n", `column ts: value "2026-01-05 09:30:01": ts must be RFC 3339`},
		{"no zone", good + "2026-01-05T09:30:01,AAPL,1,1,B,f,2\n", `ts must have a time zone`},
		{"February 30", good + "2026-02-30T09:30:01Z,AAPL,1,1,B,f,2\n", `not a valid date`},
		{"bad side", good + "2026-01-05T09:30:01Z,AAPL,1,1,X,f,2\n", `column side: value "X": side must be B or S`},
		{"empty symbol", good + "2026-01-05T09:30:01Z,,1,1,B,f,2\n", `column sym: value "": empty symbol`},
		{"bad UTF-8", good + "2026-01-05T09:30:01Z,A\xffB,1,1,B,f,2\n", `column sym: value "A\xffB": not valid UTF-8`},
		{"too few fields", good + "2026-01-05T09:30:01Z,AAPL,1,1,B,f\n", `t.csv:3: row 2: 6 fields, the header has 7`},
		{"truncated quote", good + "2026-01-05T09:30:01Z,\"AAPL,1,1,B,f,2\n", `a quoted field does not end on its line`},
		{"seq backwards", good + "2026-01-05T09:30:01Z,AAPL,1,1,B,f,1\n", `column source_seq: value "1": source_seq not above the previous row's 1`},
		{"seq zero", "2026-01-05T09:30:01Z,AAPL,1,1,B,f,0\n", `column source_seq: value "0"`},
		{"two sources", good + "2026-01-05T09:30:01Z,AAPL,1,1,B,g,2\n", `a second source in one input`},
		{"negative size", good + "2026-01-05T09:30:01Z,AAPL,1,-1,B,f,2\n", ``},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewCSVTicks(strings.NewReader(header+tc.body), "t.csv", TickOptions{Table: "trades"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rows, _, _, err := readAll(t, r)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var re *RowError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a RowError containing %q", err, tc.want)
			}
			if len(rows) != 0 {
				t.Errorf("%d rows of the bad batch handed out", len(rows))
			}
		})
	}
}

// Header problems are refused before any row.
func TestCSVTicksHeader(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"", "empty input"},
		{"ts,sym,px,qty\n", "no column side for trades"},
		{"ts,sym,px,qty,side,side\n", `column "side" twice`},
	} {
		if _, err := NewCSVTicks(strings.NewReader(tc.body), "h.csv", TickOptions{Table: "trades", Source: "s"}, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.body, err, tc.want)
		}
	}
	if _, err := NewCSVTicks(strings.NewReader("x\n"), "h.csv", TickOptions{Table: "trades", Columns: map[string]string{"price": "p"}}, nil); err == nil || !strings.Contains(err.Error(), `has no column "price"`) {
		t.Errorf("mapping an unknown column: %v", err)
	}
}

// --skip-bad-rows: bad rows go to the reject file with their reason, the
// good ones are stored, and the numbering of the good ones does not move.
func TestCSVTicksSkipBadRows(t *testing.T) {
	body := "ts,sym,px,qty,side\n" +
		"2026-01-05T09:30:00Z,AAPL,1.5,1,B\n" +
		"2026-01-05T09:30:01Z,AAPL,oops,1,B\n" +
		"2026-01-05T09:30:02Z,AAPL,1.6,1,S\n"
	var rejects bytes.Buffer
	r, err := NewCSVTicks(strings.NewReader(body), "s.csv", TickOptions{Table: "trades", Source: "s", SkipBadRows: true, Rejects: &rejects}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, _, _, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][8] != "1" || rows[1][8] != "3" {
		t.Fatalf("rows %v", rows)
	}
	want := "s.csv:3: row 2: column px: value \"oops\": not a decimal of at most 10 integer and 8 fractional digits\t2026-01-05T09:30:01Z,AAPL,oops,1,B\n"
	if rejects.String() != want {
		t.Errorf("rejects %q, want %q", rejects.String(), want)
	}
	if st := r.Stats(); st.Bad != 1 || st.Rows != 3 || st.Stored != 2 {
		t.Errorf("stats %+v", st)
	}
}

// Rows at or below the store's watermark are skipped, not handed out again.
func TestCSVTicksWatermark(t *testing.T) {
	body := "ts,sym,px,qty,side\n" + strings.Repeat("2026-01-05T09:30:00Z,AAPL,1.5,1,B\n", 5)
	r, err := NewCSVTicks(strings.NewReader(body), "w.csv", TickOptions{Table: "trades", Source: "w"},
		func(stream string) (uint64, error) {
			if stream != "trades/w" {
				t.Errorf("watermark asked for %q", stream)
			}
			return 3, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, upTos, err := readAll(t, r)
	if err != nil || len(rows) != 2 || rows[0][8] != "4" || upTos[0] != 5 {
		t.Fatalf("rows %v up to %v (%v)", rows, upTos, err)
	}
	if st := r.Stats(); st.Skipped != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestParseEpoch(t *testing.T) {
	for _, tc := range []struct {
		in   string
		f    TimeFormat
		want int64
		bad  bool
	}{
		{"1767605400", TimeEpochS, 1767605400e9, false},
		{"1767605400.000000001", TimeEpochS, 1767605400e9 + 1, false},
		{"1767605400.0000000001", TimeEpochS, 0, true},
		{"1767605400123", TimeEpochMS, 1767605400123e6, false},
		{"1767605400123.5", TimeEpochMS, 1767605400123e6 + 500e3, false},
		{"1767605400123456789", TimeEpochNS, 1767605400123456789, false},
		{"1767605400123456789.1", TimeEpochNS, 0, true},
		{"9300000000", TimeEpochS, 0, true},
		{"-1", TimeEpochS, 0, true},
		{"", TimeEpochS, 0, true},
		{"1.", TimeEpochS, 0, true},
		{"1e9", TimeEpochS, 0, true},
	} {
		got, reason := parseTs([]byte(tc.in), tc.f)
		if tc.bad != (reason != "") || !tc.bad && got != tc.want {
			t.Errorf("%q as %s: %d %q", tc.in, tc.f, got, reason)
		}
	}
}
