package clickhouse

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tape-ledger/tape/columnar"
)

// stream is one resolved stream of a Write: the table it writes, the column its watermark counts
// (columnar.Table.SeqColumn), its source for "<table>/<source>" streams, and the key columns.
type stream struct {
	name   string
	table  columnar.Table
	seq    int    // index of the watermark's column
	source string // "" for the ledger tables
	keys   []int  // indexes of the key columns
}

// resolveStream checks that name is a stream of table (columnar.StreamSource).
func resolveStream(tableName, name string) (*stream, error) {
	t, ok := columnar.TableNamed(tableName)
	if !ok || t.SeqColumn == "" {
		return nil, fmt.Errorf("%w %q (want one of events, accounts, snapshots, trades, quotes)", ErrUnknownTable, tableName)
	}
	source, err := columnar.StreamSource(t, name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBatch, err)
	}
	s := &stream{name: name, table: t, seq: fieldIndex(t.Schema, t.SeqColumn), source: source}
	for _, k := range t.Key {
		s.keys = append(s.keys, fieldIndex(t.Schema, k))
	}
	return s, nil
}

func fieldIndex(schema *arrow.Schema, name string) int {
	idx := schema.FieldIndices(name)
	if len(idx) != 1 {
		panic("BUG: column " + name + " of " + schema.String())
	}
	return idx[0]
}

// storedQuery selects the keys of the rows stored above watermark mark: those a failed write may have
// left behind.
func (s *stream) storedQuery(mark uint64) string {
	fields := s.table.Schema.Fields()
	cols := make([]string, len(s.keys))
	for i, k := range s.keys {
		cols[i] = fields[k].Name
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s > %d", strings.Join(cols, ", "), s.table.Name, fields[s.seq].Name, mark)
	if s.source != "" {
		q += " AND source = " + quoteString(s.source)
	}
	return q
}

// keyOf appends the key of row i (the key columns of cols, in order) to b, unambiguously.
func keyOf(b []byte, cols []arrow.Array, i int) ([]byte, error) {
	for _, c := range cols {
		switch a := c.(type) {
		case *array.Uint64:
			b = binary.LittleEndian.AppendUint64(b, a.Value(i))
		case *array.Uint8:
			b = append(b, a.Value(i))
		case *array.Date32:
			b = binary.LittleEndian.AppendUint32(b, uint32(a.Value(i)))
		case *array.String:
			v := a.Value(i)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		default:
			return nil, fmt.Errorf("key column of type %s", c.DataType())
		}
	}
	return b, nil
}

// keyColumns picks the key columns of a batch of the stream's table.
func (s *stream) keyColumns(rec arrow.RecordBatch) []arrow.Array {
	cols := make([]arrow.Array, len(s.keys))
	for i, k := range s.keys {
		cols[i] = rec.Column(k)
	}
	return cols
}
