package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tape-ledger/tape/columnar"
)

// ErrNotReadOnly reports a Query that is not a single SELECT.
var ErrNotReadOnly = errors.New("query must be a single read-only SELECT")

// Query runs one SELECT with args bound to its ? placeholders and returns its rows as Arrow; the caller
// must Release the reader. Columns come back in the contract's types: DateTime64(9, 'UTC') as
// timestamp[ns, UTC], Decimal128(18) as decimal128(38, 18), Decimal64(8) as decimal128(18, 8),
// FixedString(32) as fixed_size_binary(32), Date32 as date32, (LowCardinality) String as utf8. In the
// legacy layout, columns named like a contract column of another Arrow type (ts as Int64, day as Int32,
// the accounts flags as UInt8) come back in the contract's type.
//
// Args may be strings, bools and integers; they are bound as literals before the query is sent. Only a
// statement starting with SELECT or WITH is accepted, without a second statement or INTO OUTFILE.
func (s *Store) Query(ctx context.Context, query string, args ...any) (array.RecordReader, error) {
	bound, err := bind(query, args)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: query: %w", err)
	}
	if err := checkReadOnly(bound); err != nil {
		return nil, fmt.Errorf("clickhouse: query: %w", err)
	}
	if err := s.begin(); err != nil {
		return nil, err
	}
	var rr array.RecordReader
	err = s.retry(ctx, "query", func() error {
		var err error
		rr, err = s.conn.Query(ctx, bound)
		return err
	})
	if err != nil {
		s.gate.Leave()
		return nil, fmt.Errorf("clickhouse: query: %w", err)
	}
	return &doneReader{RecordReader: s.contractReader(rr), done: s.gate.Leave}, nil
}

// doneReader tells the Store when a Query reader is released for the last time.
type doneReader struct {
	array.RecordReader
	refs atomic.Int64 // references beyond the first
	once sync.Once
	done func()
}

func (r *doneReader) Retain() { r.refs.Add(1) }

func (r *doneReader) Release() {
	if r.refs.Add(-1) >= 0 {
		return
	}
	r.RecordReader.Release()
	r.once.Do(r.done)
}

// checkReadOnly accepts one statement that starts with SELECT or WITH and has no INTO OUTFILE.
func checkReadOnly(query string) error {
	words, err := tokens(query)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		return fmt.Errorf("%w: empty", ErrNotReadOnly)
	}
	if w := strings.ToUpper(words[0]); w != "SELECT" && w != "WITH" && w != "(" {
		return fmt.Errorf("%w: it starts with %s", ErrNotReadOnly, words[0])
	}
	for i, w := range words {
		switch {
		case w == ";" && i != len(words)-1:
			return fmt.Errorf("%w: several statements", ErrNotReadOnly)
		case strings.EqualFold(w, "OUTFILE"):
			return fmt.Errorf("%w: INTO OUTFILE", ErrNotReadOnly)
		}
	}
	return nil
}

// tokens splits a query into words and punctuation outside quotes and comments; quoted text and
// comments are dropped.
func tokens(q string) ([]string, error) {
	var out []string
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case strings.HasPrefix(q[i:], "--") || c == '#':
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				return out, nil
			}
			i += end
		case strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment")
			}
			i += end + 4
		case c == '\'' || c == '"' || c == '`':
			end := quotedEnd(q, i)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c quote", c)
			}
			out = append(out, q[i:i+1])
			i = end
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			j := i
			for j < len(q) && (q[j] == '_' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z' || q[j] >= '0' && q[j] <= '9') {
				j++
			}
			out = append(out, q[i:j])
			i = j
		default:
			out = append(out, q[i:i+1])
			i++
		}
	}
	return out, nil
}

// bind replaces the ? placeholders outside quotes and comments with args as SQL literals.
func bind(query string, args []any) (string, error) {
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			end := quotedEnd(query, i)
			if end < 0 {
				end = len(query)
			}
			b.WriteString(query[i:end])
			i = end - 1
		case strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case c == '?':
			if n >= len(args) {
				return "", fmt.Errorf("more placeholders than the %d arguments", len(args))
			}
			lit, err := literal(args[n])
			if err != nil {
				return "", fmt.Errorf("argument %d: %w", n+1, err)
			}
			b.WriteString(lit)
			n++
		default:
			b.WriteByte(c)
		}
	}
	if n != len(args) {
		return "", fmt.Errorf("%d arguments for %d placeholders", len(args), n)
	}
	return b.String(), nil
}

// literal writes a value as a ClickHouse literal.
func literal(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return quoteString(v), nil
	case bool:
		if v {
			return "1", nil
		}
		return "0", nil
	case int:
		return strconv.FormatInt(int64(v), 10), nil
	case int8:
		return strconv.FormatInt(int64(v), 10), nil
	case int16:
		return strconv.FormatInt(int64(v), 10), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case int64:
		if v == math.MinInt64 { // the literal 9223372036854775808 alone is a UInt64
			return "toInt64('-9223372036854775808')", nil
		}
		return strconv.FormatInt(v, 10), nil
	case uint:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint8:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	}
	return "", fmt.Errorf("type %T cannot be bound (want string, bool or an integer)", v)
}

// quoteString writes s as a ClickHouse string literal; bytes below 0x20 and invalid UTF-8 are escaped
// (\xHH), so the text carries no NUL.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1, s[i] < 0x20:
			fmt.Fprintf(&b, `\x%02X`, s[i])
		case s[i] == '\'' || s[i] == '\\':
			b.WriteByte('\\')
			b.WriteByte(s[i])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}

// legacyColumns are the contract columns the legacy layout stores in another type, by name.
var legacyColumns = func() map[string]arrow.DataType {
	m := map[string]arrow.DataType{}
	for _, t := range columnar.Tables() {
		for _, f := range t.Schema.Fields() {
			switch f.Type.ID() {
			case arrow.TIMESTAMP, arrow.DATE32, arrow.BOOL:
				m[f.Name] = f.Type
			}
		}
	}
	return m
}()

// legacyStorage is the Arrow type a legacy-layout column of contract type t reads as.
func legacyStorage(t arrow.DataType) arrow.DataType {
	switch t.ID() {
	case arrow.TIMESTAMP:
		return arrow.PrimitiveTypes.Int64
	case arrow.DATE32:
		return arrow.PrimitiveTypes.Int32
	case arrow.BOOL:
		return arrow.PrimitiveTypes.Uint8
	}
	return t
}

// contractReader converts a reader's legacy-layout columns to the contract's types; in other layouts it
// returns rr.
func (s *Store) contractReader(rr array.RecordReader) array.RecordReader {
	if s.opts.Layout != LayoutLegacy {
		return rr
	}
	fields := rr.Schema().Fields()
	changed := false
	for i, f := range fields {
		if want, ok := legacyColumns[f.Name]; ok && arrow.TypeEqual(f.Type, legacyStorage(want)) {
			fields[i].Type = want
			changed = true
		}
	}
	if !changed {
		return rr
	}
	md := rr.Schema().Metadata()
	return &legacyReader{inner: rr, schema: arrow.NewSchema(fields, &md)}
}

// legacyReader is a reader whose legacy columns are converted to the contract's types.
type legacyReader struct {
	inner  array.RecordReader
	schema *arrow.Schema
	cur    arrow.RecordBatch
	refs   atomic.Int64 // references beyond the first
}

func (r *legacyReader) Schema() *arrow.Schema { return r.schema }
func (r *legacyReader) Retain()               { r.refs.Add(1) }

func (r *legacyReader) Release() {
	if r.refs.Add(-1) >= 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.inner.Release()
}

func (r *legacyReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if !r.inner.Next() {
		return false
	}
	rec := r.inner.RecordBatch()
	cols := make([]arrow.Array, rec.NumCols())
	for i, c := range rec.Columns() {
		cols[i] = toContract(c, r.schema.Field(i).Type)
	}
	r.cur = array.NewRecordBatch(r.schema, cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return true
}

func (r *legacyReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is RecordBatch (arrow-go's deprecated name).
func (r *legacyReader) Record() arrow.RecordBatch { return r.cur }

func (r *legacyReader) Err() error { return r.inner.Err() }

// toContract converts a legacy storage array to type want: Int64 nanoseconds and Int32 days share the
// layout of timestamp[ns] and date32; UInt8 flags become booleans.
func toContract(c arrow.Array, want arrow.DataType) arrow.Array {
	if arrow.TypeEqual(c.DataType(), want) {
		c.Retain()
		return c
	}
	if u, ok := c.(*array.Uint8); ok {
		b := array.NewBooleanBuilder(memory.DefaultAllocator)
		defer b.Release()
		b.Reserve(u.Len())
		for i := range u.Len() {
			if u.IsNull(i) {
				b.AppendNull()
				continue
			}
			b.UnsafeAppend(u.Value(i) != 0)
		}
		return b.NewArray()
	}
	d := c.Data()
	data := array.NewData(want, d.Len(), d.Buffers(), d.Children(), d.NullN(), d.Offset())
	defer data.Release()
	return array.MakeFromData(data)
}
