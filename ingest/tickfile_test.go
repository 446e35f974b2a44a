package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/klauspost/compress/zstd"

	"github.com/tape-ledger/tape/columnar"
	"github.com/tape-ledger/tape/internal/workload"
)

// tickFixture is one generated day, as the generator's Arrow batches and rows.
type tickFixture struct {
	opts    workload.TickOptions
	batches map[string][]arrow.RecordBatch
	rows    map[string][][]string
}

func newTickFixture(t *testing.T) *tickFixture {
	f := &tickFixture{opts: workload.TickOptions{Seed: 12, Symbols: 12, Rate: 0.3, Source: "fx"},
		batches: map[string][]arrow.RecordBatch{}, rows: map[string][][]string{}}
	if _, err := workload.GenerateTickBatches(f.opts, func(b workload.TickBatch) error {
		f.batches[b.Table] = append(f.batches[b.Table], b.Rec)
		f.rows[b.Table] = append(f.rows[b.Table], batchRows(b.Rec)...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, bs := range f.batches {
			for _, b := range bs {
				b.Release()
			}
		}
	})
	return f
}

// encode writes table in format to w.
func (f *tickFixture) encode(t *testing.T, w io.Writer, table string, format TickFormat, arrowFile bool) {
	switch format {
	case FormatCSV, FormatNDJSON:
		tf := workload.TickCSV
		if format == FormatNDJSON {
			tf = workload.TickNDJSON
		}
		trades, quotes := io.Discard, io.Discard
		if table == "trades" {
			trades = w
		} else {
			quotes = w
		}
		if _, err := workload.GenerateTicks(trades, quotes, f.opts, tf); err != nil {
			t.Fatal(err)
		}
	case FormatArrow:
		schema := f.batches[table][0].Schema()
		var iw interface {
			Write(arrow.RecordBatch) error
			Close() error
		}
		if arrowFile {
			fw, err := ipc.NewFileWriter(w, ipc.WithSchema(schema))
			if err != nil {
				t.Fatal(err)
			}
			iw = fw
		} else {
			iw = ipc.NewWriter(w, ipc.WithSchema(schema))
		}
		for _, b := range f.batches[table] {
			if err := iw.Write(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := iw.Close(); err != nil {
			t.Fatal(err)
		}
	case FormatParquet:
		pw, err := pqarrow.NewFileWriter(f.batches[table][0].Schema(), w, nil, pqarrow.DefaultWriterProps())
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range f.batches[table] {
			if err := pw.Write(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Every format, compressed or not, gives back the generator's rows exactly.
func TestTickFilesRoundTrip(t *testing.T) {
	f := newTickFixture(t)
	dir := t.TempDir()
	cases := []struct {
		ext       string
		format    TickFormat
		arrowFile bool
	}{
		{".csv", FormatCSV, false}, {".csv.gz", FormatCSV, false}, {".csv.zst", FormatCSV, false},
		{".ndjson", FormatNDJSON, false}, {".jsonl.gz", FormatNDJSON, false},
		{".arrow", FormatArrow, true}, {".arrows", FormatArrow, false}, {".arrows.zst", FormatArrow, false},
		{".parquet", FormatParquet, false},
	}
	for _, table := range []string{"trades", "quotes"} {
		for _, tc := range cases {
			t.Run(table+tc.ext, func(t *testing.T) {
				path := filepath.Join(dir, table+tc.ext)
				out, err := os.Create(path)
				if err != nil {
					t.Fatal(err)
				}
				var w io.Writer = out
				var closeZ func() error
				switch {
				case strings.HasSuffix(tc.ext, ".gz"):
					zw := gzip.NewWriter(out)
					w, closeZ = zw, zw.Close
				case strings.HasSuffix(tc.ext, ".zst"):
					zw, err := zstd.NewWriter(out)
					if err != nil {
						t.Fatal(err)
					}
					w, closeZ = zw, zw.Close
				}
				f.encode(t, w, table, tc.format, tc.arrowFile)
				if closeZ != nil {
					if err := closeZ(); err != nil {
						t.Fatal(err)
					}
				}
				out.Close()

				tf, err := OpenTickFile(context.Background(), path, TickOptions{Table: table}, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer tf.Close()
				got, streams, _, err := readAll(t, tf.TickReader)
				if err != nil {
					t.Fatal(err)
				}
				want := f.rows[table]
				if len(got) != len(want) {
					t.Fatalf("%d rows, want %d", len(got), len(want))
				}
				for i := range want {
					if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
						t.Fatalf("row %d:\n got %v\nwant %v", i, got[i], want[i])
					}
				}
				if streams[0] != table+"/fx" {
					t.Errorf("stream %q", streams[0])
				}
				if tf.Read() != tf.Size {
					t.Errorf("read %d of %d bytes", tf.Read(), tf.Size)
				}
			})
		}
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]string{
		"a.csv": "csv", "x/b.CSV.GZ": "csv gz", "c.ndjson.zst": "ndjson zst", "d.jsonl": "ndjson",
		"e.parquet": "parquet", "f.arrows": "arrow", "g.feather": "arrow",
	} {
		f, c, err := FormatOf(path)
		if got := strings.TrimSpace(string(f) + " " + c); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"a.txt", "b.parquet.gz", "c"} {
		if _, _, err := FormatOf(path); err == nil {
			t.Errorf("%s accepted", path)
		}
	}
	if got := SourceFromPath("/data/nyse.2026-01-05.csv.gz"); got != "nyse.2026-01-05" {
		t.Errorf("source %q", got)
	}
}

// NDJSON: numbers or strings for decimals, \u escapes and surrogate pairs,
// fields that are not columns ignored.
func TestNDJSONTicks(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString(`{"ts":"2026-01-05T09:30:00.000001Z","sym":"AAPL","px":187.25,"qty":"100","side":"S","trade_id":"x","source":"q","source_seq":7}` + "\n")
	buf.WriteString(`{"ts":"2026-01-05T09:30:00.000002Z","sym":"A\u00c9\ud83d\ude00","px":0.1,"qty":100,"side":"B","source":"q","source_seq":8,"extra":true}` + "\n")
	r, err := NewNDJSONTicks(&buf, "n.ndjson", TickOptions{Table: "trades"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, _, _, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"2026-01-05T09:30:00.000001Z", "AAPL", "187.25000000", "100.00000000", "S", "x", "", "q", "7"},
		{"2026-01-05T09:30:00.000002Z", "AÉ😀", "0.10000000", "100.00000000", "B", "", "", "q", "8"},
	}
	for i := range want {
		if i >= len(rows) || strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Fatalf("rows %q, want %q", rows, want)
		}
	}
}

// Arrow inputs of other types convert exactly: other timestamp units,
// decimals at other scales, floats by their shortest text, integers,
// dictionaries; a value that would need rounding is a bad row.
func TestArrowTicksConversions(t *testing.T) {
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "America/New_York"}},
		{Name: "sym", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}},
		{Name: "px", Type: &arrow.Decimal128Type{Precision: 20, Scale: 10}},
		{Name: "qty", Type: arrow.PrimitiveTypes.Float64},
		{Name: "side", Type: arrow.BinaryTypes.String},
		{Name: "source_seq", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{1767605400000001, 1767605400000002}, nil)
	sym := b.Field(1).(*array.BinaryDictionaryBuilder)
	sym.AppendString("AAPL")
	sym.AppendString("MSFT")
	px := b.Field(2).(*array.Decimal128Builder)
	px.Append(decimal128.FromI64(1872500000000)) // 187.25 at scale 10
	px.Append(decimal128.FromI64(1))             // 1e-10: not at scale 8
	b.Field(3).(*array.Float64Builder).AppendValues([]float64{0.1, 3}, nil)
	b.Field(4).(*array.StringBuilder).AppendValues([]string{"B", "S"}, nil)
	b.Field(5).(*array.Int64Builder).AppendValues([]int64{10, 11}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	if err != nil {
		t.Fatal(err)
	}
	o := TickOptions{Table: "trades", Source: "a", Columns: map[string]string{"ts": "time"}, SkipBadRows: true}
	var rejects bytes.Buffer
	o.Rejects = &rejects
	r, err := NewArrowTicks(rr, "a.arrow", o, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, _, _, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := "2026-01-05T09:30:00.000001Z|AAPL|187.25000000|0.10000000|B||||a|10"
	if len(rows) != 1 || strings.Join(rows[0], "|") != strings.Replace(want, "||||", "|||", 1) {
		t.Fatalf("rows %q, want %q", rows, want)
	}
	if !strings.Contains(rejects.String(), `a.arrow: row 2: column px: value "0.0000000001": does not fit decimal128(18, 8) without rounding`) {
		t.Errorf("rejects %q", rejects.String())
	}
	bad := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: arrow.PrimitiveTypes.Float64}}, nil)
	badRR, _ := array.NewRecordReader(bad, nil)
	if _, err := NewArrowTicks(badRR, "b.arrow", TickOptions{Table: "trades", Source: "b"}, nil); err == nil ||
		!strings.Contains(err.Error(), "b.arrow: no column sym") {
		t.Errorf("bad schema: %v", err)
	}
}

// Batches in the table's own schema pass whole: rows stored before are cut
// off, bad values and keys are named with their row, and small input
// batches are gathered into big ones.
func TestArrowTicksPassThrough(t *testing.T) {
	b := columnar.NewTradesBuilder()
	defer b.Release()
	var parts []arrow.RecordBatch
	for k := range 3 {
		for i := range 4 {
			seq := uint64(k*4 + i + 1)
			side := "B"
			if seq == 11 {
				side = "X"
			}
			b.Append(&columnar.Trade{Ts: int64(seq), Sym: "AAPL", Px: decimal128.FromU64(1), Qty: decimal128.FromU64(1),
				Side: side, Source: "p", SourceSeq: seq})
		}
		parts = append(parts, b.NewRecord())
	}
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	rr, err := array.NewRecordReader(columnar.TradesSchema, parts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewArrowTicks(rr, "p.arrow", TickOptions{Table: "trades"}, func(string) (uint64, error) { return 2, nil })
	if err != nil {
		t.Fatal(err)
	}
	if r.pass == nil {
		t.Fatal("batches in the table's schema were not passed through")
	}
	rows, _, _, err := readAll(t, r)
	var re *RowError
	if !errors.As(err, &re) || re.Row != 11 || re.Column != "side" || len(rows) != 0 {
		t.Fatalf("rows %d, error %v; want row 11's side named and nothing handed out", len(rows), err)
	}
	if st := r.Stats(); st.Skipped != 2 || st.Rows != 12 {
		t.Errorf("stats %+v", st)
	}
	rr2, _ := array.NewRecordReader(columnar.TradesSchema, parts[:2])
	r2, err := NewArrowTicks(rr2, "p.arrow", TickOptions{Table: "trades"}, func(string) (uint64, error) { return 2, nil })
	if err != nil {
		t.Fatal(err)
	}
	rows, streams, upTos, err := readAll(t, r2)
	if err != nil || len(rows) != 6 || rows[0][8] != "3" || len(upTos) != 1 || upTos[0] != 8 || streams[0] != "trades/p" {
		t.Fatalf("rows %v, up to %v, streams %v: %v", rows, upTos, streams, err)
	}
}

// Input batches bigger than the batch size, or not adding up to it, are
// cut and carried: every handed-out batch holds at most BatchRowsMax rows,
// and upTo is its own last key.
func TestArrowTicksPassThroughCuts(t *testing.T) {
	b := columnar.NewTradesBuilder()
	defer b.Release()
	var parts []arrow.RecordBatch
	seq := uint64(0)
	for _, n := range []int{200_000, 200_000, 100_000} {
		for range n {
			seq++
			b.Append(&columnar.Trade{Ts: int64(seq), Sym: "S", Px: decimal128.FromU64(1), Qty: decimal128.FromU64(1),
				Side: "B", Source: "c", SourceSeq: seq})
		}
		parts = append(parts, b.NewRecord())
	}
	rr, _ := array.NewRecordReader(columnar.TradesSchema, parts)
	r, err := NewArrowTicks(rr, "c.arrow", TickOptions{Table: "trades"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	var upTos []uint64
	for {
		tb, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes, upTos = append(sizes, tb.Rec.NumRows()), append(upTos, tb.UpTo)
		tb.Rec.Release()
	}
	max := int64(columnar.BatchRowsMax)
	if fmt.Sprint(sizes) != fmt.Sprint([]int64{max, max, 500_000 - 2*max}) ||
		fmt.Sprint(upTos) != fmt.Sprint([]uint64{uint64(max), uint64(2 * max), 500_000}) {
		t.Errorf("batches of %v rows up to %v", sizes, upTos)
	}
	for _, p := range parts {
		p.Release()
	}
}

// Malformed NDJSON lines each get their precise error, with the line.
func TestNDJSONTicksBadLines(t *testing.T) {
	const good = `{"ts":"2026-01-05T09:30:00Z","sym":"A","px":"1","qty":1,"side":"B","source_seq":1}` + "\n"
	for _, tc := range []struct{ line, want string }{
		{`{"ts":"2026-01-05T09:30:01Z","sym":"A","px":"1","qty":1,"side":"B","source_seq":2`, "n.ndjson:2: row 2: byte 82: expected ',' or '}'"},
		{`["not","an","object"]`, "a line must be one JSON object"},
		{`{"ts":"2026-01-05T09:30:01Z","sym":{"nested":1},"px":"1","qty":1,"side":"B","source_seq":2}`, "nested objects and arrays"},
		{`{"ts":"2026-01-05T09:30:01Z","sym":"A\q","px":"1","qty":1,"side":"B","source_seq":2}`, `unknown escape \q`},
		{`{"ts":"2026-01-05T09:30:01Z","sym":"A","px":"1","qty":1,"side":"B","source_seq":2} x`, "text after the object"},
		{"{\"ts\":\"2026-01-05T09:30:01Z\",\"sym\":\"A\xff\",\"px\":\"1\",\"qty\":1,\"side\":\"B\",\"source_seq\":2}", "not valid UTF-8"},
		{`{"ts":"2026-01-05T09:30:01Z","sym":"A","px":true,"qty":1,"side":"B","source_seq":2}`, `column px: value "true": want a string or a number`},
		{`{"ts":"2026-01-05T09:30:01Z","sym":"A","px":"1","qty":01x,"side":"B","source_seq":2}`, `"01x" is not a JSON value`},
		{`{"ts":"2026-01-05T09:30:01Z","sym":"A","px":"1","qty":1,"side":"B","source_seq":2,"sym":"B"}`, ""},
	} {
		r, err := NewNDJSONTicks(strings.NewReader(good+tc.line+"\n"), "n.ndjson", TickOptions{Table: "trades", Source: "n"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, err = readAll(t, r)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.line, err)
			}
			continue
		}
		var re *RowError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n error %v\n want a RowError containing %q", tc.line, err, tc.want)
		}
	}
}
