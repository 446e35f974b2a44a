// Package columnartest holds what the stores' tests share: batches built
// from Go values, random batches of every table within the contract's
// limits, and comparable cells. Only tests import it.
package columnartest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tape-ledger/tape/columnar"
)

// NewGen returns a generator seeded with seed. A moderate one keeps
// decimals well inside their limits (so sums cannot overflow) and
// timestamps within one day.
func NewGen(seed uint64, moderate bool) *Gen {
	return &Gen{rng: rand.New(rand.NewPCG(seed, seed)), moderate: moderate}
}

// IntN draws from [0, n) with the generator's source, for sizes and choices
// that must replay with its seed.
func (g *Gen) IntN(n int) int { return g.rng.IntN(n) }

// Ranges of the random values: what the contract allows and DateTime64(9) / Date32 hold.
var (
	tsMin  = int64(-2208988800) * 1e9 // 1900-01-01
	tsMax  = int64(9222000000) * 1e9  // 2262-03 (DateTime64(9) ends 2262-04-11)
	dayMin = tsMin / 86400e9
	dayMax = tsMax / 86400e9
)

// Gen draws random column values and batches (NewGen).
type Gen struct {
	rng      *rand.Rand
	moderate bool // decimals well inside the limits, so sums cannot overflow; times within one day
}

// tsDay is the day of moderate timestamps: 2026-01-05 UTC.
const tsDay = int64(1767571200) * 1e9

var runeRanges = [...][2]rune{{0x00, 0x7f}, {0xa0, 0x24f}, {0x4e00, 0x9fff}, {0x1f300, 0x1faff}, {0x10fff0, 0x10ffff}}

// text is 0..n bytes of valid UTF-8, NUL and emoji included.
func (g *Gen) text(n int) string {
	limit := g.rng.IntN(n + 1)
	var b []byte
	for len(b) < limit {
		r := runeRanges[g.rng.IntN(len(runeRanges))]
		c := r[0] + g.rng.Int32N(r[1]-r[0]+1)
		if utf8.ValidRune(c) && len(b)+utf8.RuneLen(c) <= limit {
			b = utf8.AppendRune(b, c)
		} else if len(b) > 0 && g.rng.IntN(4) == 0 {
			break
		}
	}
	return string(b)
}

// decimal is a value of decimal128(precision, scale): often an extreme, else random digits.
func (g *Gen) decimal(precision int32) decimal128.Num {
	limit := decimal128.GetMaxValue(precision) // 10^precision - 1
	if g.moderate {
		limit = decimal128.GetMaxValue(precision - 8)
	} else {
		switch g.rng.IntN(8) {
		case 0:
			return limit
		case 1:
			return limit.Negate()
		case 2:
			return decimal128.FromI64(0)
		}
	}
	digits := 1 + g.rng.IntN(int(precision))
	v := new(big.Int)
	for range digits {
		v.Mul(v, big.NewInt(10))
		v.Add(v, big.NewInt(g.rng.Int64N(10)))
	}
	n := decimal128.FromBigInt(v)
	if n.Greater(limit) {
		n = limit
	}
	if g.rng.IntN(2) == 0 {
		n = n.Negate()
	}
	return n
}

func (g *Gen) ts() int64 {
	if g.moderate {
		return tsDay + g.rng.Int64N(86400e9)
	}
	switch g.rng.IntN(8) {
	case 0:
		return tsMin
	case 1:
		return tsMax
	case 2:
		return -1 // just before the epoch
	}
	return tsMin + int64(g.rng.Uint64N(uint64(tsMax)+uint64(-tsMin)))
}

func (g *Gen) hash() []byte {
	h := sha256.Sum256([]byte(fmt.Sprint(g.rng.Uint64())))
	return h[:]
}

// maybe returns v or, one time in three, nil (a null).
func (g *Gen) maybe(v any) any {
	if g.rng.IntN(3) == 0 {
		return nil
	}
	return v
}

// Batch is a random batch of a table with n rows whose watermark column runs from first; it returns
// the batch and the watermark it covers. Rows come in the order of OrderBy[table].
func (g *Gen) Batch(t testing.TB, table string, n int, first uint64, source string) (arrow.RecordBatch, uint64) {
	var rows [][]any
	seq := first
	switch table {
	case "events":
		for len(rows) < n {
			ts := g.ts()
			legs := 1 + g.rng.IntN(2)
			cmd, typ := g.text(40), []string{"transfer_posted", "pending_created", "account_opened", "day_closed"}[g.rng.IntN(4)]
			for leg := range legs {
				m := columnar.MoneyType.Precision
				rows = append(rows, []any{seq, uint8(leg), ts, cmd, typ, g.maybe(g.text(30)), g.maybe([]string{"debit", "credit"}[leg]),
					g.maybe(g.text(8)), g.maybe(g.decimal(m)), g.maybe(g.decimal(m)), g.maybe(g.decimal(m)), g.maybe(g.decimal(m)),
					g.maybe(g.decimal(m)), g.maybe(g.decimal(m)), g.maybe(g.text(20)), g.maybe(g.text(20)), g.maybe(g.text(20)),
					g.maybe(int32(dayMin + g.rng.Int64N(dayMax-dayMin))), g.maybe(g.hash()), g.hash()})
			}
			seq++
		}
	case "accounts":
		for range n {
			rows = append(rows, []any{fmt.Sprintf("%s#%d", g.text(30), seq), g.text(8), uint8(g.rng.IntN(19)), g.rng.IntN(2) == 0,
				g.rng.IntN(2) == 0, seq, g.ts()})
			seq++
		}
	case "snapshots":
		for len(rows) < n {
			day := int32(dayMin + g.rng.Int64N(dayMax-dayMin))
			state := g.hash()
			var accounts []string
			for k := range 1 + g.rng.IntN(4) {
				accounts = append(accounts, fmt.Sprintf("%s#%d", g.text(20), k))
			}
			slices.Sort(accounts)
			m := columnar.MoneyType.Precision
			for _, a := range accounts {
				rows = append(rows, []any{day, seq, a, g.text(8), g.decimal(m), g.decimal(m), g.decimal(m), state})
			}
			seq++
		}
	case "trades", "quotes":
		p := columnar.TickDecimalType.Precision
		syms := []string{"AAPL", "ÆØÅ", "😀", "", "a\x00b"}
		for range n {
			row := []any{g.ts(), syms[g.rng.IntN(len(syms))], g.decimal(p), g.decimal(p)}
			if table == "trades" {
				row = append(row, []string{"B", "S"}[g.rng.IntN(2)], g.text(30))
			} else {
				row = append(row, g.decimal(p), g.decimal(p))
			}
			rows = append(rows, append(row, g.text(10), source, seq))
			seq++
		}
	}
	return BuildRecord(t, schemaOf(table), rows), seq - 1
}

// OrderBy sorts a table's rows the way Batch makes them.
var OrderBy = map[string]string{
	"events":    "seq, leg",
	"accounts":  "opened_seq",
	"snapshots": "seq, account",
	"trades":    "source, source_seq",
	"quotes":    "source, source_seq",
}

func schemaOf(table string) *arrow.Schema {
	t, ok := columnar.TableNamed(table)
	if !ok {
		panic("no table " + table)
	}
	return t.Schema
}

// BuildRecord builds a batch of schema from rows of Go values: nil is null,
// timestamps are int64 ns, dates int32 days, decimals decimal128.Num or
// decimal text at the column's scale, hashes []byte.
func BuildRecord(t testing.TB, schema *arrow.Schema, rows [][]any) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for r, row := range rows {
		if len(row) != schema.NumFields() {
			t.Fatalf("row %d has %d values, schema %d", r, len(row), schema.NumFields())
		}
		for c, v := range row {
			if err := appendValue(b.Field(c), v); err != nil {
				t.Fatalf("row %d column %s: %v", r, schema.Field(c).Name, err)
			}
		}
	}
	return b.NewRecordBatch()
}

func appendValue(fb array.Builder, v any) error {
	if v == nil {
		fb.AppendNull()
		return nil
	}
	switch b := fb.(type) {
	case *array.Uint64Builder:
		b.Append(v.(uint64))
	case *array.Uint8Builder:
		b.Append(v.(uint8))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(int64)))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.Decimal128Builder:
		if text, ok := v.(string); ok {
			dt := b.Type().(*arrow.Decimal128Type)
			n, err := decimal128.FromString(text, dt.Precision, dt.Scale)
			if err != nil {
				return err
			}
			v = n
		}
		b.Append(v.(decimal128.Num))
	case *array.FixedSizeBinaryBuilder:
		b.Append(v.([]byte))
	case *array.Date32Builder:
		b.Append(arrow.Date32(v.(int32)))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.Float64Builder:
		b.Append(v.(float64))
	default:
		return fmt.Errorf("no test builder for %T", fb)
	}
	return nil
}

// Dec is a decimal cell: the unscaled integer and its scale, so values
// compare across engines.
type Dec struct {
	Num   decimal128.Num
	Scale int32
}

func (d Dec) String() string { return columnar.DecimalText(d.Num, int(d.Scale)) }

// Cells returns the values of rec as comparable Go values, row by row:
// timestamps as int64 ns, dates as int32 days, decimals as Dec, binaries as
// strings of bytes, nulls as nil. Strings are copied (a store's batch may
// alias memory it frees with the batch).
func Cells(t testing.TB, rec arrow.RecordBatch) [][]any {
	t.Helper()
	out := make([][]any, rec.NumRows())
	for r := range out {
		out[r] = make([]any, rec.NumCols())
		for c, col := range rec.Columns() {
			out[r][c] = cell(t, col, r)
		}
	}
	return out
}

func cell(t testing.TB, col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.Uint64:
		return a.Value(i)
	case *array.Uint8:
		return a.Value(i)
	case *array.Uint32:
		return uint64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.String:
		return strings.Clone(a.Value(i))
	case *array.Decimal128:
		return Dec{a.Value(i), a.DataType().(*arrow.Decimal128Type).Scale}
	case *array.Date32:
		return int32(a.Value(i))
	case *array.FixedSizeBinary:
		return string(a.Value(i))
	case *array.Binary:
		return string(a.Value(i))
	case *array.Boolean:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	}
	t.Fatalf("no cell for %s", col.DataType())
	return nil
}

// SameTypes fails unless got has the names and types of want (nullability
// aside).
func SameTypes(t testing.TB, got, want *arrow.Schema) {
	t.Helper()
	if got.NumFields() != want.NumFields() {
		t.Fatalf("%d columns, want %d: %s", got.NumFields(), want.NumFields(), got)
	}
	for i, f := range want.Fields() {
		g := got.Field(i)
		if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) {
			t.Errorf("column %d: %s %s, want %s %s", i, g.Name, g.Type, f.Name, f.Type)
		}
	}
}

// SameRows fails at the first differing cell.
func SameRows(t testing.TB, what string, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for r := range want {
		for c := range want[r] {
			if !reflect.DeepEqual(got[r][c], want[r][c]) {
				t.Fatalf("%s: row %d column %d: got %v, want %v", what, r, c, got[r][c], want[r][c])
			}
		}
	}
}

// Store is what the round-trip property needs of a store.
type Store interface {
	Write(ctx context.Context, table string, rec arrow.RecordBatch, stream string, upTo uint64) (skipped bool, err error)
	Watermark(ctx context.Context, stream string) (uint64, error)
	Query(ctx context.Context, query string, args ...any) (array.RecordReader, error)
}

// QueryAll runs query on st and returns its schema and rows as Cells; every
// batch must have the reader's schema.
func QueryAll(t testing.TB, st interface {
	Query(context.Context, string, ...any) (array.RecordReader, error)
}, query string, args ...any) (*arrow.Schema, [][]any) {
	t.Helper()
	rr, err := st.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("Query %q: %v", query, err)
	}
	defer rr.Release()
	var rows [][]any
	for rr.Next() {
		rec := rr.RecordBatch()
		if !rec.Schema().Equal(rr.Schema()) {
			t.Fatalf("batch schema %s differs from reader schema %s", rec.Schema(), rr.Schema())
		}
		rows = append(rows, Cells(t, rec)...)
	}
	if err := rr.Err(); err != nil {
		t.Fatalf("Query %q: %v", query, err)
	}
	return rr.Schema(), rows
}

// QueryInt runs a query whose first cell is an integer (a count) and
// returns it.
func QueryInt(t testing.TB, st interface {
	Query(context.Context, string, ...any) (array.RecordReader, error)
}, query string, args ...any) int64 {
	t.Helper()
	_, rows := QueryAll(t, st, query, args...)
	if len(rows) == 0 {
		t.Fatalf("%s: no rows", query)
	}
	switch v := rows[0][0].(type) {
	case int64:
		return v
	case uint64:
		return int64(v)
	case int32:
		return int64(v)
	}
	t.Fatalf("%s: %T is not an integer", query, rows[0][0])
	return 0
}

// RoundTripProperty writes four random batches of every data table into st
// (extremes included: decimals at ±(10^p−1), timestamps from 1900 to 2262
// and −1 ns, any UTF-8 with NUL and emoji, nulls) and checks that SELECT *
// gives them back bit-exact, with the contract's types as readType maps
// them (a store may read a type back as another, e.g. DuckDB's BLOB), and
// that every stream's watermark is its last batch's. It logs its seed.
func RoundTripProperty(t *testing.T, st Store, seed uint64, readType func(arrow.DataType) arrow.DataType) {
	t.Logf("seed %d", seed)
	g := NewGen(seed, false)
	for _, tb := range columnar.Tables()[:5] {
		t.Run(tb.Name, func(t *testing.T) {
			stream, source := tb.Name, ""
			if tb.Name == "trades" || tb.Name == "quotes" {
				source = "feed\x00😀"
				stream = tb.Name + "/" + source
			}
			var want [][]any
			next := uint64(1)
			for range 4 {
				rec, upTo := g.Batch(t, tb.Name, 1+g.IntN(200), next, source)
				want = append(want, Cells(t, rec)...)
				skipped, err := st.Write(context.Background(), tb.Name, rec, stream, upTo)
				rec.Release()
				if err != nil || skipped {
					t.Fatalf("Write: skipped %v, %v", skipped, err)
				}
				next = upTo + 1
			}
			schema, got := QueryAll(t, st, "SELECT * FROM "+tb.Name+" ORDER BY "+OrderBy[tb.Name])
			fields := slices.Clone(tb.Schema.Fields())
			for i := range fields {
				fields[i].Type = readType(fields[i].Type)
			}
			SameTypes(t, schema, arrow.NewSchema(fields, nil))
			SameRows(t, fmt.Sprintf("%s (seed %d)", tb.Name, seed), got, want)
			if w, err := st.Watermark(context.Background(), stream); err != nil || w != next-1 {
				t.Errorf("watermark %d (%v), want %d", w, err, next-1)
			}
		})
	}
}
