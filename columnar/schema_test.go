package columnar

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tape-ledger/tape/internal/testkit"
)

// renderSchema is a stable text rendering of a table: its key, then one line
// per column with its type, nullability and metadata.
func renderSchema(t Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table %s\nkey %s\n", t.Name, strings.Join(t.Key, ", "))
	for _, f := range t.Schema.Fields() {
		null := "not null"
		if f.Nullable {
			null = "null"
		}
		line := fmt.Sprintf("%-32s %-24s %-8s", f.Name, typeName(f.Type), null)
		keys, values := f.Metadata.Keys(), f.Metadata.Values()
		for i := range keys {
			line += fmt.Sprintf(" %s=%q", keys[i], values[i])
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	return b.String()
}

// TestSchemaGolden pins every table's schema in testdata/<table>.schema.golden.
// A change to a schema is a change to every store's tables: rewrite the
// files with -update only together with the stores' DDL and SCHEMAS.md.
func TestSchemaGolden(t *testing.T) {
	for _, tab := range Tables() {
		t.Run(tab.Name, func(t *testing.T) {
			testkit.Golden(t, filepath.Join("testdata", tab.Name+".schema.golden"), []byte(renderSchema(tab)))
		})
	}
}

// TestTables checks what the schemas promise: the fixed order, keys that are
// non-nullable columns, the contract's types everywhere.
func TestTables(t *testing.T) {
	var names []string
	for _, tab := range Tables() {
		names = append(names, tab.Name)
		for _, k := range tab.Key {
			i := tab.Schema.FieldIndices(k)
			if len(i) != 1 || tab.Schema.Field(i[0]).Nullable {
				t.Errorf("%s: key column %s is missing or nullable", tab.Name, k)
			}
		}
		for _, f := range tab.Schema.Fields() {
			switch dt := f.Type.(type) {
			case *arrow.TimestampType:
				if dt.Unit != arrow.Nanosecond || dt.TimeZone != "UTC" {
					t.Errorf("%s.%s: %s, want timestamp[ns, tz=UTC]", tab.Name, f.Name, dt)
				}
			case *arrow.Decimal128Type:
				if *dt != *MoneyType && *dt != *TickDecimalType {
					t.Errorf("%s.%s: %s", tab.Name, f.Name, dt)
				}
			}
		}
	}
	want := []string{"events", "accounts", "snapshots", "trades", "quotes", "watermarks"}
	if !slices.Equal(names, want) {
		t.Errorf("Tables() = %v, want %v", names, want)
	}
}
