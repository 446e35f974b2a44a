package columnar

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Concat copies batches of one schema into one batch; the caller releases
// it (and still owns parts).
func Concat(parts []arrow.RecordBatch) (arrow.RecordBatch, error) {
	schema := parts[0].Schema()
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var rows int64
	for _, r := range parts {
		rows += r.NumRows()
	}
	in := make([]arrow.Array, len(parts))
	for i := range cols {
		for j, r := range parts {
			in[j] = r.Column(i)
		}
		var err error
		if cols[i], err = array.Concatenate(in, memory.DefaultAllocator); err != nil {
			return nil, fmt.Errorf("columnar: concatenate column %s: %w", schema.Field(i).Name, err)
		}
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}
