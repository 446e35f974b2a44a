//go:build duckdb_arrow

package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tape-ledger/tape/columnar"
)

var (
	// ErrUnknownTable reports a Write to a table that is not one of Tape's data tables.
	ErrUnknownTable = errors.New("unknown table")
	// ErrSchemaMismatch reports a batch whose columns are not exactly those of its table.
	ErrSchemaMismatch = errors.New("batch schema does not match the table")
)

// dataTables are the tables Write accepts (columnar/SCHEMAS.md); watermarks and _tape_migrations are
// the store's own.
var dataTables = []string{"events", "accounts", "snapshots", "trades", "quotes"}

// hashBytes is the width of every BLOB column: the contract's BLOBs are all fixed_size_binary(32) hashes,
// a width the Arrow type enforces before a batch reaches DuckDB.
const hashBytes = 32

// utcZone is the zone of every contract timestamp.
const utcZone = "UTC"

// table is one data table as the database defines it.
type table struct {
	name      string
	contract  columnar.Table
	schema    *arrow.Schema // the batch schema Write accepts: the contract's Arrow types, in column order
	scan      *arrow.Schema // schema with zones dropped from timestamps: what DuckDB reads as TIMESTAMP_NS
	insertSQL string
}

// batchView is the name under which Write shows a batch to DuckDB; a temporary view of the write connection.
const batchView = "_tape_batch"

// loadTables reads the columns of the data tables from the catalog, so the DDL stays the one definition.
func loadTables(ctx context.Context, db *sql.DB) (map[string]*table, error) {
	rows, err := db.QueryContext(ctx, `SELECT table_name, column_name, data_type,
			coalesce(numeric_precision, 0), coalesce(numeric_scale, 0)
		FROM duckdb_columns()
		WHERE database_name = current_database() AND schema_name = 'main'
		ORDER BY table_name, column_index`)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	defer rows.Close()
	fields := map[string][]arrow.Field{}
	for rows.Next() {
		var tableName, column, dataType string
		var precision, scale int32
		if err := rows.Scan(&tableName, &column, &dataType, &precision, &scale); err != nil {
			return nil, fmt.Errorf("read catalog: %w", err)
		}
		if !isDataTable(tableName) {
			continue
		}
		typ, err := arrowType(dataType, precision, scale)
		if err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", tableName, column, err)
		}
		fields[tableName] = append(fields[tableName], arrow.Field{Name: column, Type: typ, Nullable: true})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	tables := make(map[string]*table, len(dataTables))
	for _, name := range dataTables {
		if len(fields[name]) == 0 {
			return nil, fmt.Errorf("table %s is missing after migrations", name)
		}
		tables[name] = newTable(name, fields[name])
	}
	return tables, nil
}

func newTable(name string, fields []arrow.Field) *table {
	scanFields := make([]arrow.Field, len(fields))
	for i, f := range fields {
		scanFields[i] = f
		scanFields[i].Type = zoneless(f.Type)
	}
	contract, ok := columnar.TableNamed(name)
	if !ok {
		panic("BUG: duckdb: data table " + name + " is not in the contract")
	}
	return &table{
		name:      name,
		contract:  contract,
		schema:    arrow.NewSchema(fields, nil),
		scan:      arrow.NewSchema(scanFields, nil),
		insertSQL: "INSERT INTO " + name + " SELECT * FROM " + batchView,
	}
}

func isDataTable(name string) bool {
	for _, t := range dataTables {
		if t == name {
			return true
		}
	}
	return false
}

// arrowType is the contract's Arrow type for a DuckDB column type.
func arrowType(dataType string, precision, scale int32) (arrow.DataType, error) {
	switch {
	case dataType == "TIMESTAMP_NS":
		return &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: utcZone}, nil
	case strings.HasPrefix(dataType, "DECIMAL("):
		return &arrow.Decimal128Type{Precision: precision, Scale: scale}, nil
	case dataType == "UBIGINT":
		return arrow.PrimitiveTypes.Uint64, nil
	case dataType == "UTINYINT":
		return arrow.PrimitiveTypes.Uint8, nil
	case dataType == "BLOB":
		return &arrow.FixedSizeBinaryType{ByteWidth: hashBytes}, nil
	case dataType == "DATE":
		return arrow.FixedWidthTypes.Date32, nil
	case dataType == "VARCHAR":
		return arrow.BinaryTypes.String, nil
	case dataType == "BOOLEAN":
		return arrow.FixedWidthTypes.Boolean, nil
	}
	return nil, fmt.Errorf("DuckDB type %s has no Arrow type in the contract", dataType)
}

// check reports the first difference between a batch schema and the table's, by position, name and type.
// Nullability is the database's to enforce (NOT NULL).
func (t *table) check(got *arrow.Schema) error {
	if got.NumFields() != t.schema.NumFields() {
		return fmt.Errorf("%w: %s has %d columns, the batch %d", ErrSchemaMismatch, t.name,
			t.schema.NumFields(), got.NumFields())
	}
	for i, want := range t.schema.Fields() {
		f := got.Field(i)
		if f.Name != want.Name || !arrow.TypeEqual(f.Type, want.Type) {
			return fmt.Errorf("%w: %s column %d is %s %s, the batch has %s %s", ErrSchemaMismatch, t.name, i,
				want.Name, want.Type, f.Name, f.Type)
		}
	}
	return nil
}

// zoneless drops the zone of a timestamp type; other types are returned as they are.
func zoneless(t arrow.DataType) arrow.DataType {
	if ts, ok := t.(*arrow.TimestampType); ok && ts.TimeZone != "" {
		return &arrow.TimestampType{Unit: ts.Unit}
	}
	return t
}

// inUTC labels a zone-less timestamp type UTC (Tape stores every time as UTC); other types are returned
// as they are.
func inUTC(t arrow.DataType) arrow.DataType {
	if ts, ok := t.(*arrow.TimestampType); ok && ts.TimeZone == "" {
		return &arrow.TimestampType{Unit: ts.Unit, TimeZone: utcZone}
	}
	return t
}

// relabel returns rec with its columns typed as schema, sharing rec's buffers. The types may differ only
// in timestamp zones, which do not change the layout.
func relabel(rec arrow.RecordBatch, schema *arrow.Schema) arrow.RecordBatch {
	cols := make([]arrow.Array, rec.NumCols())
	for i, col := range rec.Columns() {
		want := schema.Field(i).Type
		if arrow.TypeEqual(col.DataType(), want) {
			col.Retain()
			cols[i] = col
			continue
		}
		if !arrow.TypeEqual(zoneless(col.DataType()), zoneless(want)) {
			panic(fmt.Sprintf("BUG: relabel %s as %s changes the layout", col.DataType(), want))
		}
		d := col.Data()
		data := array.NewData(want, d.Len(), d.Buffers(), d.Children(), d.NullN(), d.Offset())
		cols[i] = array.MakeFromData(data)
		data.Release()
	}
	out := array.NewRecordBatch(schema, cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}

// relabelSchema applies f to every field type; it returns nil if nothing changes.
func relabelSchema(s *arrow.Schema, f func(arrow.DataType) arrow.DataType) *arrow.Schema {
	fields := s.Fields()
	changed := false
	for i := range fields {
		t := f(fields[i].Type)
		if !arrow.TypeEqual(t, fields[i].Type) {
			fields[i].Type = t
			changed = true
		}
	}
	if !changed {
		return nil
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}
