package ingest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tape-ledger/tape/columnar"
)

// NewArrowTicks reads tick rows from Arrow record batches (an Arrow IPC
// file or stream, a Parquet file, an HTTP body). Columns are found by name
// like CSV headers and converted exactly:
//
//   - ts: any timestamp unit (the zone is a label: values are UTC instants),
//     an integer in TickOptions.Time's epoch unit, or text;
//   - prices and sizes: any decimal128 whose value fits decimal128(18, 8)
//     without rounding, integers, text, or floats by their shortest decimal
//     text (0.1 is "0.1", never 0.1000000000000000055...);
//   - text columns: utf8, large utf8, or dictionaries of them;
//   - source_seq: any integer from 1 up.
//
// name is used in errors. The reader does not release rr.
//
// Batches that already have the table's exact schema (columnar's) are
// validated whole and passed on without a row-by-row copy.
func NewArrowTicks(rr array.RecordReader, name string, o TickOptions, mark Watermark) (*TickReader, error) {
	if t, ok := columnar.TableNamed(o.Table); ok && (o.Table == "trades" || o.Table == "quotes") && passThrough(t, rr.Schema(), o) {
		return &TickReader{name: name, pass: &passSource{rr: rr, name: name, table: t, mark: mark}}, nil
	}
	src := &arrowSource{rr: rr, name: name}
	tr, err := newTickReader(name, o, src, mark)
	if err != nil {
		return nil, err
	}
	names := make([]string, rr.Schema().NumFields())
	for i, f := range rr.Schema().Fields() {
		names[i] = f.Name
	}
	if src.index, err = mapColumns(tr.a, names); err != nil {
		return nil, fmt.Errorf("ingest: %s: %w", name, err)
	}
	for i, c := range src.index {
		if c >= 0 {
			if err := checkArrowType(tr.a.cols[c], rr.Schema().Field(i).Type); err != nil {
				return nil, fmt.Errorf("ingest: %s: column %s: %w", name, names[i], err)
			}
		}
	}
	return tr, nil
}

// checkArrowType refuses a column type the conversion does not take.
func checkArrowType(col tickColumn, t arrow.DataType) error {
	if d, ok := t.(*arrow.DictionaryType); ok {
		t = d.ValueType
	}
	id := t.ID()
	text := id == arrow.STRING || id == arrow.LARGE_STRING
	integer := arrow.IsInteger(id)
	ok := false
	switch col.kind {
	case kindTs:
		ok = id == arrow.TIMESTAMP || integer || text
	case kindDecimal:
		ok = id == arrow.DECIMAL128 || integer || text || id == arrow.FLOAT64 || id == arrow.FLOAT32
	case kindSourceSeq:
		ok = integer || text
	default:
		ok = text
	}
	if !ok {
		return fmt.Errorf("type %s cannot hold %s", t, col.name)
	}
	return nil
}

type arrowSource struct {
	rr    array.RecordReader
	name  string
	index []int // input column -> table column, -1 ignored
	rec   arrow.RecordBatch
	i     int64 // next row of rec
	cols  []arrow.Array
	buf   []byte
}

func (s *arrowSource) line() int64 { return 0 }
func (s *arrowSource) raw() []byte { return nil }

func (s *arrowSource) next(a *assembler) (bool, error) {
	for s.rec == nil || s.i >= s.rec.NumRows() {
		if !s.rr.Next() {
			if err := s.rr.Err(); err != nil && !errors.Is(err, io.EOF) {
				return false, fmt.Errorf("ingest: %s: %w", s.name, err)
			}
			return false, nil
		}
		s.rec, s.i = s.rr.RecordBatch(), 0
		s.cols = s.cols[:0]
		for _, c := range s.rec.Columns() {
			if d, ok := c.(*array.Dictionary); ok {
				c = d // resolved per value below
			}
			s.cols = append(s.cols, c)
		}
	}
	row := int(s.i)
	s.i++
	for i, c := range s.index {
		if c < 0 {
			continue
		}
		col := s.cols[i]
		if col.IsNull(row) {
			if a.cols[c].required {
				return true, a.bad(c, nil, "null")
			}
			continue
		}
		if err := s.set(a, c, col, row); err != nil {
			return true, err
		}
	}
	return true, nil
}

// set converts one value of col into table column c.
func (s *arrowSource) set(a *assembler, c int, col arrow.Array, row int) error {
	if d, ok := col.(*array.Dictionary); ok {
		col, row = d.Dictionary(), d.GetValueIndex(row)
	}
	kind := a.cols[c].kind
	switch v := col.(type) {
	case *array.String:
		return a.setText(c, bytesView(v.Value(row)))
	case *array.LargeString:
		return a.setText(c, bytesView(v.Value(row)))
	case *array.Timestamp:
		unit := v.DataType().(*arrow.TimestampType).Unit
		ns, ok := mulExact(int64(v.Value(row)), int64(unit.Multiplier()))
		if !ok {
			return a.bad(c, []byte(strconv.FormatInt(int64(v.Value(row)), 10)), "out of the range of int64 nanoseconds")
		}
		a.ts, a.hasTs = ns, true
		return nil
	case *array.Decimal128:
		scale := v.DataType().(*arrow.Decimal128Type).Scale
		d, ok := rescale(v.Value(row), scale)
		if !ok {
			return a.bad(c, []byte(columnar.DecimalText(v.Value(row), int(scale))),
				"does not fit decimal128(18, 8) without rounding")
		}
		return a.setDecimalValue(c, d)
	case *array.Float64:
		return s.setFloat(a, c, v.Value(row))
	case *array.Float32:
		return s.setFloat(a, c, float64(v.Value(row)))
	}
	// Integers: through their decimal text, which every kind parses.
	if arrow.IsInteger(col.DataType().ID()) && kind != kindText {
		s.buf = append(s.buf[:0], col.ValueStr(row)...)
		return a.setText(c, s.buf)
	}
	panic(fmt.Sprintf("BUG: ingest: %s value for %s passed checkArrowType", col.DataType(), a.cols[c].name))
}

func (s *arrowSource) setFloat(a *assembler, c int, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return a.bad(c, []byte(strconv.FormatFloat(f, 'g', -1, 64)), "not a number")
	}
	s.buf = strconv.AppendFloat(s.buf[:0], f, 'f', -1, 64)
	return a.setText(c, s.buf)
}

// setDecimalValue sets a decimal column from a decimal128(18, 8) value.
func (a *assembler) setDecimalValue(c int, d decimal128.Num) error {
	if !d.FitsInPrecision(18) {
		return a.bad(c, []byte(columnar.DecimalText(d, 8)), "does not fit decimal128(18, 8)")
	}
	i := a.decSlot[c]
	a.dec[i], a.hasDec[i] = d, true
	return nil
}

// rescale brings n from scale s to scale 8, exactly.
func rescale(n decimal128.Num, s int32) (decimal128.Num, bool) {
	switch {
	case s == 8:
		return n, true
	case s < 8:
		out, err := n.Rescale(s, 8)
		return out, err == nil
	}
	div := decimal128.GetScaleMultiplier(int(s - 8))
	q, r := n.Div(div)
	if r != (decimal128.Num{}) {
		return decimal128.Num{}, false
	}
	return q, true
}

func mulExact(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	return p, p/b == a && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64)
}
