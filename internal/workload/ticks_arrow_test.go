package workload

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tape-ledger/tape/columnar"
)

// The Arrow batches hold exactly the rows of the CSV for the same options,
// in the same order, with upTo the last source_seq of each batch.
func TestTickBatchesEqualCSV(t *testing.T) {
	opts := TickOptions{Seed: 9, Symbols: 50, Rate: 1, Source: "feed-1"} // about 1.2M rows
	var tradesCSV, quotesCSV bytes.Buffer
	want, err := GenerateTicks(&tradesCSV, &quotesCSV, opts, TickCSV)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][][]string{}
	var batches int
	got, err := GenerateTickBatches(opts, func(b TickBatch) error {
		defer b.Rec.Release()
		tab := columnar.TradesTable
		if b.Table == "quotes" {
			tab = columnar.QuotesTable
		}
		if err := columnar.Validate(tab, b.Rec); err != nil {
			t.Fatal(err)
		}
		prev := uint64(len(rows[b.Table]))
		if err := columnar.CheckKeys(tab, b.Rec, b.Table+"/feed-1", prev, b.UpTo); err != nil {
			t.Fatal(err)
		}
		batches++
		rows[b.Table] = append(rows[b.Table], textRows(b.Rec)...)
		return nil
	})
	if err != nil || got != want {
		t.Fatalf("stats %+v (%v), CSV %+v", got, err, want)
	}
	if batches < 4 {
		t.Fatalf("%d batches: the test wants several per table", batches)
	}
	for table, text := range map[string][]byte{"trades": tradesCSV.Bytes(), "quotes": quotesCSV.Bytes()} {
		csvRows, err := csv.NewReader(bytes.NewReader(text)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		csvRows = csvRows[1:]
		if len(csvRows) != len(rows[table]) {
			t.Fatalf("%s: %d Arrow rows, %d CSV rows", table, len(rows[table]), len(csvRows))
		}
		for i := range csvRows {
			if strings.Join(csvRows[i], ",") != strings.Join(rows[table][i], ",") {
				t.Fatalf("%s row %d: Arrow %v, CSV %v", table, i, rows[table][i], csvRows[i])
			}
		}
	}
}

// textRows renders a tick batch like the generator's CSV: RFC 3339 ts,
// prices with 4 decimals, sizes as integers.
func textRows(rec arrow.RecordBatch) [][]string {
	out := make([][]string, rec.NumRows())
	for i := range out {
		for c, col := range rec.Columns() {
			var s string
			switch v := col.(type) {
			case *array.Timestamp:
				s = time.Unix(0, int64(v.Value(i))).UTC().Format("2006-01-02T15:04:05.000000000Z")
			case *array.Decimal128:
				s = columnar.DecimalText(v.Value(i), 8)
				if name := rec.ColumnName(c); strings.HasSuffix(name, "size") || name == "qty" {
					s = strings.TrimSuffix(s, ".00000000")
				} else {
					s = s[:len(s)-4] // pxScale decimals
				}
			default:
				s = col.ValueStr(i)
			}
			out[i] = append(out[i], strings.Clone(s)) // s may alias the batch's buffers
		}
	}
	return out
}
