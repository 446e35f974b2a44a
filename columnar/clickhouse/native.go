package clickhouse

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	chdriver "github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/shopspring/decimal"
)

// Connection limits of the native protocol.
const (
	dialTimeout   = 5 * time.Second
	openConnsMax  = 4
	queryBatchMax = 64 << 10 // rows of one Arrow batch of a query result
)

// native is a ClickHouse server over the native protocol (clickhouse-go).
type native struct {
	conn chdriver.Conn
}

// dialNative creates o.Database on the server if it is missing and returns a connection whose current
// database is it. clickhouse-go connects on first use.
func dialNative(ctx context.Context, o Options) (*native, error) {
	boot, err := newNative(o, "default")
	if err != nil {
		return nil, err
	}
	create := "CREATE DATABASE IF NOT EXISTS " + o.Database
	if o.Layout == LayoutCluster {
		create += " ON CLUSTER " + quoteString(o.Cluster)
	}
	errCreate := boot.Exec(ctx, create)
	if err := errors.Join(errCreate, boot.Close()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", o.Database, err)
	}
	return newNative(o, o.Database)
}

func newNative(o Options, database string) (*native, error) {
	opts := &ch.Options{
		Addr:         []string{o.Addr},
		Auth:         ch.Auth{Database: database, Username: o.User, Password: o.Password},
		DialTimeout:  dialTimeout,
		MaxOpenConns: openConnsMax,
		MaxIdleConns: openConnsMax,
	}
	if o.Compress {
		opts.Compression = &ch.Compression{Method: ch.CompressionLZ4}
	}
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, err
	}
	return &native{conn: conn}, nil
}

func (n *native) Exec(ctx context.Context, query string) error { return n.conn.Exec(ctx, query) }

func (n *native) Close() error { return n.conn.Close() }

// Retryable: a lost or refused connection, not an exception of the server.
func (n *native) Retryable(err error) bool {
	var ex *ch.Exception
	var netErr net.Error
	switch {
	case errors.As(err, &ex), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, ch.ErrAcquireConnTimeout), errors.As(err, &netErr):
		return true
	}
	return false
}

// Insert sends rec as one block: PrepareBatch with the explicit column list (ClickHouse 18.16 needs it),
// then one Append per column.
func (n *native) Insert(ctx context.Context, table string, rec arrow.RecordBatch, settings Settings) error {
	if len(settings) > 0 {
		s := ch.Settings{}
		for k, v := range settings {
			s[k] = v
		}
		ctx = ch.Context(ctx, ch.WithSettings(s))
	}
	names := make([]string, rec.NumCols())
	for i := range names {
		names[i] = rec.ColumnName(i)
	}
	batch, err := n.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(names, ", ")+")")
	if err != nil {
		return err
	}
	defer batch.Close()
	for i, col := range batch.Columns() {
		values, err := goValues(rec.Column(i), string(col.Type()))
		if err != nil {
			return fmt.Errorf("table %s column %s: %w", table, names[i], err)
		}
		if err := batch.Column(i).Append(values); err != nil {
			return fmt.Errorf("table %s column %s: %w", table, names[i], err)
		}
	}
	return batch.Send()
}

// goValues converts an Arrow column of a contract type to the slice clickhouse-go appends to a column of
// ClickHouse type chType (of either layout): pointers where the type is Nullable.
func goValues(a arrow.Array, chType string) (any, error) {
	base, nullable := baseType(chType)
	switch a := a.(type) {
	case *array.Uint64:
		return a.Uint64Values(), nil
	case *array.Uint32:
		return a.Uint32Values(), nil
	case *array.Uint8:
		return a.Uint8Values(), nil
	case *array.Boolean:
		if base == "UInt8" {
			return convert(a, nullable, func(i int) uint8 {
				if a.Value(i) {
					return 1
				}
				return 0
			}), nil
		}
		return convert(a, nullable, a.Value), nil
	case *array.Timestamp:
		if base == "Int64" {
			return convert(a, nullable, func(i int) int64 { return int64(a.Value(i)) }), nil
		}
		return convert(a, nullable, func(i int) time.Time { return time.Unix(0, int64(a.Value(i))).UTC() }), nil
	case *array.Date32:
		if base == "Int32" {
			return convert(a, nullable, func(i int) int32 { return int32(a.Value(i)) }), nil
		}
		return convert(a, nullable, func(i int) time.Time { return time.Unix(int64(a.Value(i))*86400, 0).UTC() }), nil
	case *array.String:
		return convert(a, nullable, a.Value), nil
	case *array.FixedSizeBinary:
		out := make([][]byte, a.Len())
		for i := range out {
			if a.IsValid(i) {
				out[i] = a.Value(i)
			}
		}
		return out, nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return convert(a, nullable, func(i int) decimal.Decimal {
			v := a.Value(i)
			if v.HighBits() == 0 && v.LowBits() <= 1<<63-1 || v.HighBits() == -1 && v.LowBits() >= 1<<63 {
				return decimal.New(int64(v.LowBits()), -scale)
			}
			return decimal.NewFromBigInt(v.BigInt(), -scale)
		}), nil
	}
	return nil, fmt.Errorf("no conversion from Arrow %s to ClickHouse %s", a.DataType(), chType)
}

// baseType strips LowCardinality and Nullable from a ClickHouse type name.
func baseType(t string) (base string, nullable bool) {
	if inner, ok := strings.CutPrefix(t, "LowCardinality("); ok {
		t = strings.TrimSuffix(inner, ")")
	}
	if inner, ok := strings.CutPrefix(t, "Nullable("); ok {
		return strings.TrimSuffix(inner, ")"), true
	}
	return t, false
}

// convert maps every row of a through value: a []T, or a []*T with nil for nulls when nullable.
func convert[T any](a arrow.Array, nullable bool, value func(int) T) any {
	if !nullable {
		out := make([]T, a.Len())
		for i := range out {
			out[i] = value(i)
		}
		return out
	}
	vals := make([]T, a.Len())
	out := make([]*T, a.Len())
	for i := range out {
		if a.IsValid(i) {
			vals[i] = value(i)
			out[i] = &vals[i]
		}
	}
	return out
}

// Query reads the rows of a query into Arrow batches of at most queryBatchMax rows, one batch per Next.
func (n *native) Query(ctx context.Context, query string) (array.RecordReader, error) {
	rows, err := n.conn.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	types := rows.ColumnTypes()
	fields := make([]arrow.Field, len(types))
	cells := make([]cell, len(types))
	for i, t := range types {
		c, err := newCell(t.DatabaseTypeName())
		if err != nil {
			return nil, errors.Join(fmt.Errorf("column %s: %w", t.Name(), err), rows.Close())
		}
		cells[i] = c
		fields[i] = arrow.Field{Name: t.Name(), Type: c.arrowType(), Nullable: c.nullable()}
	}
	return &rowsReader{rows: rows, schema: arrow.NewSchema(fields, nil), cells: cells, refs: 1}, nil
}

// rowsReader turns clickhouse-go rows into Arrow batches.
type rowsReader struct {
	rows   chdriver.Rows
	schema *arrow.Schema
	cells  []cell
	dests  []any
	cur    arrow.RecordBatch
	err    error
	refs   int
}

func (r *rowsReader) Schema() *arrow.Schema          { return r.schema }
func (r *rowsReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is RecordBatch (arrow-go's deprecated name).
func (r *rowsReader) Record() arrow.RecordBatch { return r.cur }
func (r *rowsReader) Retain()                   { r.refs++ }

func (r *rowsReader) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

func (r *rowsReader) Release() {
	if r.refs--; r.refs > 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if err := r.rows.Close(); err != nil && r.err == nil {
		r.err = err
	}
}

func (r *rowsReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil {
		return false
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, r.schema)
	defer b.Release()
	if r.dests == nil {
		r.dests = make([]any, len(r.cells))
		for i, c := range r.cells {
			r.dests[i] = c.dest()
		}
	}
	n := 0
	for n < queryBatchMax && r.rows.Next() {
		if err := r.rows.Scan(r.dests...); err != nil {
			r.err = err
			return false
		}
		for i, c := range r.cells {
			c.push(b.Field(i))
		}
		n++
	}
	if n == 0 {
		return false
	}
	r.cur = b.NewRecordBatch()
	return true
}

// cell scans one column of a row and appends it to an Arrow builder.
type cell interface {
	dest() any
	push(b array.Builder)
	arrowType() arrow.DataType
	nullable() bool
}

// typedCell scans values of Go type T (through a pointer when the column is Nullable).
type typedCell[T any] struct {
	typ   arrow.DataType
	null  bool
	v     T
	p     *T
	write func(b array.Builder, v T)
}

func (c *typedCell[T]) arrowType() arrow.DataType { return c.typ }
func (c *typedCell[T]) nullable() bool            { return c.null }

func (c *typedCell[T]) dest() any {
	if c.null {
		return &c.p
	}
	return &c.v
}

func (c *typedCell[T]) push(b array.Builder) {
	switch {
	case !c.null:
		c.write(b, c.v)
	case c.p == nil:
		b.AppendNull()
	default:
		c.write(b, *c.p)
	}
}

func newTyped[T any](typ arrow.DataType, nullable bool, write func(b array.Builder, v T)) cell {
	return &typedCell[T]{typ: typ, null: nullable, write: write}
}

// newCell picks the Arrow type and scanner of a ClickHouse column type.
func newCell(chType string) (cell, error) {
	base, null := baseType(chType)
	switch base {
	case "UInt8":
		return newTyped(arrow.PrimitiveTypes.Uint8, null, func(b array.Builder, v uint8) { b.(*array.Uint8Builder).Append(v) }), nil
	case "UInt16":
		return newTyped(arrow.PrimitiveTypes.Uint16, null, func(b array.Builder, v uint16) { b.(*array.Uint16Builder).Append(v) }), nil
	case "UInt32":
		return newTyped(arrow.PrimitiveTypes.Uint32, null, func(b array.Builder, v uint32) { b.(*array.Uint32Builder).Append(v) }), nil
	case "UInt64":
		return newTyped(arrow.PrimitiveTypes.Uint64, null, func(b array.Builder, v uint64) { b.(*array.Uint64Builder).Append(v) }), nil
	case "Int8":
		return newTyped(arrow.PrimitiveTypes.Int8, null, func(b array.Builder, v int8) { b.(*array.Int8Builder).Append(v) }), nil
	case "Int16":
		return newTyped(arrow.PrimitiveTypes.Int16, null, func(b array.Builder, v int16) { b.(*array.Int16Builder).Append(v) }), nil
	case "Int32":
		return newTyped(arrow.PrimitiveTypes.Int32, null, func(b array.Builder, v int32) { b.(*array.Int32Builder).Append(v) }), nil
	case "Int64":
		return newTyped(arrow.PrimitiveTypes.Int64, null, func(b array.Builder, v int64) { b.(*array.Int64Builder).Append(v) }), nil
	case "Float32":
		return newTyped(arrow.PrimitiveTypes.Float32, null, func(b array.Builder, v float32) { b.(*array.Float32Builder).Append(v) }), nil
	case "Float64":
		return newTyped(arrow.PrimitiveTypes.Float64, null, func(b array.Builder, v float64) { b.(*array.Float64Builder).Append(v) }), nil
	case "Bool":
		return newTyped(arrow.FixedWidthTypes.Boolean, null, func(b array.Builder, v bool) { b.(*array.BooleanBuilder).Append(v) }), nil
	case "String":
		return newTyped(arrow.BinaryTypes.String, null, func(b array.Builder, v string) { b.(*array.StringBuilder).Append(v) }), nil
	case "Date", "Date32":
		return newTyped(arrow.FixedWidthTypes.Date32, null, func(b array.Builder, v time.Time) {
			b.(*array.Date32Builder).Append(arrow.Date32(floorDiv(v.Unix(), 86400)))
		}), nil
	}
	switch {
	case strings.HasPrefix(base, "FixedString("):
		var width int
		if _, err := fmt.Sscanf(base, "FixedString(%d)", &width); err != nil {
			return nil, fmt.Errorf("type %s: %w", chType, err)
		}
		return newTyped(&arrow.FixedSizeBinaryType{ByteWidth: width}, null, func(b array.Builder, v string) {
			b.(*array.FixedSizeBinaryBuilder).Append([]byte(v))
		}), nil
	case strings.HasPrefix(base, "Decimal("):
		var precision, scale int32
		if _, err := fmt.Sscanf(base, "Decimal(%d, %d)", &precision, &scale); err != nil {
			return nil, fmt.Errorf("type %s: %w", chType, err)
		}
		return newTyped(&arrow.Decimal128Type{Precision: precision, Scale: scale}, null, func(b array.Builder, v decimal.Decimal) {
			b.(*array.Decimal128Builder).Append(unscaled(v, scale))
		}), nil
	case strings.HasPrefix(base, "DateTime64("):
		var precision int
		if _, err := fmt.Sscanf(base, "DateTime64(%d", &precision); err != nil || precision != 9 {
			return nil, fmt.Errorf("type %s: only DateTime64(9) reads as Arrow", chType)
		}
		typ := &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
		return newTyped(typ, null, func(b array.Builder, v time.Time) {
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(v.UnixNano()))
		}), nil
	case base == "DateTime" || strings.HasPrefix(base, "DateTime("):
		typ := &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}
		return newTyped(typ, null, func(b array.Builder, v time.Time) {
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(v.Unix()))
		}), nil
	}
	return nil, fmt.Errorf("ClickHouse type %s has no Arrow type here", chType)
}

// unscaled is v as an integer at scale: exact, since ClickHouse sends the column's own scale.
func unscaled(v decimal.Decimal, scale int32) decimal128.Num {
	if v.Exponent() == -scale {
		return decimal128.FromBigInt(v.Coefficient())
	}
	return decimal128.FromBigInt(v.Shift(scale).BigInt())
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
