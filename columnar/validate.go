package columnar

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// ValidationError says why Validate rejected a batch.
type ValidationError struct {
	Table  string
	Column string // "" when the defect is the batch's (too many rows)
	Row    int64  // -1 when the defect is not one row's
	Reason string
}

func (e *ValidationError) Error() string {
	s := "columnar: " + e.Table
	if e.Column != "" {
		s += ": column " + e.Column
	}
	if e.Row >= 0 {
		s += ": row " + strconv.FormatInt(e.Row, 10)
	}
	return s + ": " + e.Reason
}

// Validate checks a whole batch against table t before a store writes any of
// it, and returns a *ValidationError naming the first defect's column:
//
//   - the schema: a missing, extra or misordered column, a wrong type,
//     decimal precision or scale, timestamp unit or time zone, or hash width
//     (field metadata and declared nullability are not compared: the data
//     is);
//   - a null in a column that is not nullable (naming the row too);
//   - a decimal value beyond its column's precision, i.e. not at the
//     column's scale (a value scaled twice);
//   - text that is not valid UTF-8, a trades side other than "B" or "S";
//   - more than BatchRowsMax rows.
func Validate(t Table, rec arrow.RecordBatch) error {
	if rec == nil {
		return &ValidationError{Table: t.Name, Row: -1, Reason: "no batch"}
	}
	if err := validateSchema(t, rec.Schema()); err != nil {
		return err
	}
	if n := rec.NumRows(); n > BatchRowsMax {
		return &ValidationError{Table: t.Name, Row: -1,
			Reason: fmt.Sprintf("batch of %d rows is over the limit of %d", n, BatchRowsMax)}
	}
	for i, f := range t.Schema.Fields() {
		c := rec.Column(i)
		if reason := typeDefect(f.Type, c.DataType()); reason != "" {
			return &ValidationError{Table: t.Name, Column: f.Name, Row: -1, Reason: "array " + reason}
		}
		if int64(c.Len()) != rec.NumRows() {
			return &ValidationError{Table: t.Name, Column: f.Name, Row: -1,
				Reason: fmt.Sprintf("%d values in a batch of %d rows", c.Len(), rec.NumRows())}
		}
		if row, reason := valueDefect(t, f, c); reason != "" {
			return &ValidationError{Table: t.Name, Column: f.Name, Row: row, Reason: reason}
		}
	}
	return nil
}

// validateSchema compares got with t's schema column by column.
func validateSchema(t Table, got *arrow.Schema) error {
	want := t.Schema
	for i, f := range want.Fields() {
		if i >= got.NumFields() {
			return &ValidationError{Table: t.Name, Column: f.Name, Row: -1, Reason: "missing"}
		}
		g := got.Field(i)
		if g.Name != f.Name {
			return misplaced(t, got, i)
		}
		if reason := typeDefect(f.Type, g.Type); reason != "" {
			return &ValidationError{Table: t.Name, Column: f.Name, Row: -1, Reason: reason}
		}
	}
	if got.NumFields() > want.NumFields() {
		return &ValidationError{Table: t.Name, Column: got.Field(want.NumFields()).Name, Row: -1,
			Reason: "extra: the table has " + strconv.Itoa(want.NumFields()) + " columns"}
	}
	return nil
}

// misplaced explains why column i of got is not the table's column i.
func misplaced(t Table, got *arrow.Schema, i int) error {
	f, g := t.Schema.Field(i), got.Field(i)
	switch {
	case !t.Schema.HasField(g.Name):
		return &ValidationError{Table: t.Name, Column: g.Name, Row: -1,
			Reason: "extra: not a column of the table (at column " + strconv.Itoa(i) + ", want " + strconv.Quote(f.Name) + ")"}
	case got.HasField(f.Name):
		return &ValidationError{Table: t.Name, Column: f.Name, Row: -1,
			Reason: "out of order: want it at column " + strconv.Itoa(i) + ", found " + strconv.Quote(g.Name)}
	}
	return &ValidationError{Table: t.Name, Column: f.Name, Row: -1, Reason: "missing"}
}

// typeDefect says how got differs from want, or returns "".
func typeDefect(want, got arrow.DataType) string {
	if got.ID() != want.ID() {
		return "type " + typeName(got) + ", want " + typeName(want)
	}
	switch w := want.(type) {
	case *arrow.Decimal128Type:
		g, ok := got.(*arrow.Decimal128Type)
		switch {
		case !ok:
			return "type " + typeName(got) + ", want " + typeName(want)
		case g.Precision != w.Precision:
			return fmt.Sprintf("decimal precision %d, want %d", g.Precision, w.Precision)
		case g.Scale != w.Scale:
			return fmt.Sprintf("decimal scale %d, want %d", g.Scale, w.Scale)
		}
	case *arrow.TimestampType:
		g, ok := got.(*arrow.TimestampType)
		switch {
		case !ok:
			return "type " + typeName(got) + ", want " + typeName(want)
		case g.Unit != w.Unit:
			return "timestamp unit " + g.Unit.String() + ", want " + w.Unit.String()
		case g.TimeZone != w.TimeZone:
			return "timestamp time zone " + strconv.Quote(g.TimeZone) + ", want " + strconv.Quote(w.TimeZone)
		}
	case *arrow.FixedSizeBinaryType:
		g, ok := got.(*arrow.FixedSizeBinaryType)
		if !ok || g.ByteWidth != w.ByteWidth {
			return "type " + typeName(got) + ", want " + typeName(want)
		}
	}
	return ""
}

// typeName names a type as SCHEMAS.md does (Arrow calls decimal128 "decimal").
func typeName(dt arrow.DataType) string {
	if d, ok := dt.(*arrow.Decimal128Type); ok {
		return fmt.Sprintf("decimal128(%d, %d)", d.Precision, d.Scale)
	}
	return dt.String()
}

// valueDefect returns the first row of c that column f must not hold, and
// why; reason is "" when there is none.
func valueDefect(t Table, f arrow.Field, c arrow.Array) (row int64, reason string) {
	if !f.Nullable && c.NullN() > 0 {
		for i := range c.Len() {
			if c.IsNull(i) {
				return int64(i), "null in a column that is not nullable"
			}
		}
	}
	switch a := c.(type) {
	case *array.Decimal128:
		return decimalDefect(a, f.Type.(*arrow.Decimal128Type))
	case *array.String:
		return stringDefect(t, f, a)
	}
	return -1, ""
}

// decimalDefect finds a value beyond the column's precision.
func decimalDefect(a *array.Decimal128, dt *arrow.Decimal128Type) (int64, string) {
	limit := decimal128.GetMaxValue(dt.Precision)
	low := limit.Negate()
	values := a.Values()
	for i := range values {
		v := values[i]
		if (v.Greater(limit) || v.Less(low)) && a.IsValid(i) {
			return int64(i), "value " + DecimalText(v, int(dt.Scale)) + " does not fit " + typeName(dt)
		}
	}
	return -1, ""
}

// stringDefect finds text that is not UTF-8, or a trade side that is not B
// or S.
func stringDefect(t Table, f arrow.Field, a *array.String) (int64, string) {
	side := t.Name == TradesTable.Name && f.Name == "side"
	if !side && allUTF8(a) {
		return -1, ""
	}
	for i := range a.Len() {
		if a.IsNull(i) {
			continue
		}
		s := a.Value(i)
		if !utf8.ValidString(s) {
			return int64(i), "invalid UTF-8 " + quote(s)
		}
		if side && s != "B" && s != "S" {
			return int64(i), "side " + quote(s) + ", want \"B\" or \"S\""
		}
	}
	return -1, ""
}

// allUTF8 reports whether every value of a is valid UTF-8, nulls included,
// in one pass over the bytes: they are valid as a whole and every value
// starts on a rune.
func allUTF8(a *array.String) bool {
	if a.Len() == 0 {
		return true
	}
	data := a.ValueBytes()
	if !utf8.Valid(data) {
		return false
	}
	offsets := a.ValueOffsets()
	base := offsets[0]
	for _, o := range offsets[1 : len(offsets)-1] {
		if k := int(o - base); k < len(data) && !utf8.RuneStart(data[k]) {
			return false
		}
	}
	return true
}
