package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	tapesql "github.com/tape-ledger/tape/sql"
)

// ErrSchemaNewer reports a database migrated by a newer Tape than this binary.
var ErrSchemaNewer = errors.New("database schema is newer than this binary")

// Limits of the embedded migrations.
const (
	statementsMax = 1000 // statements of one migration
)

// migrationsTable records the versions applied.
const migrationsTable = "_tape_migrations"

// migration is one versioned DDL script, NNNN_name.sql, split into statements.
type migration struct {
	version    uint32
	name       string
	statements []string
}

// loadMigrations reads the embedded migrations of a layout in version order, with ${database} and
// ${cluster} filled in.
func loadMigrations(o Options) ([]migration, error) {
	vars := strings.NewReplacer("${database}", o.Database, "${cluster}", o.Cluster)
	ms, err := parseMigrations(tapesql.ClickHouse, "clickhouse/"+string(o.Layout), vars)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: embedded migrations of layout %s: %w", o.Layout, err)
	}
	return ms, nil
}

// parseMigrations reads the migrations of dir (tapesql.Migrations) and splits each into statements
// after filling in vars.
func parseMigrations(fsys fs.FS, dir string, vars *strings.Replacer) ([]migration, error) {
	scripts, err := tapesql.Migrations(fsys, dir)
	if err != nil {
		return nil, err
	}
	ms := make([]migration, 0, len(scripts))
	for _, sc := range scripts {
		statements, err := splitStatements(vars.Replace(sc.SQL))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
		ms = append(ms, migration{version: uint32(sc.Version), name: sc.Name, statements: statements})
	}
	return ms, nil
}

// splitStatements cuts a script into its statements at the semicolons outside quotes and comments,
// dropping comments: the native protocol takes one statement per query.
func splitStatements(script string) ([]string, error) {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == '-' && strings.HasPrefix(script[i:], "--"):
			end := strings.IndexByte(script[i:], '\n')
			if end < 0 {
				i = len(script)
				continue
			}
			i += end - 1
		case c == '\'' || c == '"' || c == '`':
			end := quotedEnd(script, i)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c quote at byte %d", c, i)
			}
			cur.WriteString(script[i:end])
			i = end - 1
		case c == ';':
			if s := strings.TrimSpace(cur.String()); s != "" {
				out = append(out, s)
			}
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
		if len(out) > statementsMax {
			return nil, fmt.Errorf("more than %d statements", statementsMax)
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out, nil
}

// quotedEnd returns the index just past the quoted text starting at s[start], honouring backslash
// escapes and doubled quotes, or -1 if it does not end.
func quotedEnd(s string, start int) int {
	q := s[start]
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			if i+1 < len(s) && s[i+1] == q {
				i++
				continue
			}
			return i + 1
		}
	}
	return -1
}

// migrate applies the migrations the database lacks, in order, and records each; it returns how many
// it applied. ClickHouse has no transactions: every statement is idempotent (IF NOT EXISTS), a migration
// is recorded after all its statements ran, and one that failed half-way runs again whole.
func migrate(ctx context.Context, c Conn, ms []migration) (applied int, err error) {
	have, err := appliedVersions(ctx, c)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	for i, v := range have {
		if int(v) > len(ms) {
			return 0, fmt.Errorf("migrate: %w: it has version %d, this binary knows %d", ErrSchemaNewer, v, len(ms))
		}
		if v != uint32(i+1) {
			return 0, fmt.Errorf("migrate: applied versions %v are not 1, 2, 3, ...", have)
		}
	}
	for _, m := range ms[len(have):] {
		for i, st := range m.statements {
			if err := c.Exec(ctx, st); err != nil {
				return applied, fmt.Errorf("migrate: %s statement %d: %w", m.name, i+1, err)
			}
		}
		rec := m.record()
		err := c.Insert(ctx, migrationsTable, rec, nil)
		rec.Release()
		if err != nil {
			return applied, fmt.Errorf("migrate: record %s: %w", m.name, err)
		}
		applied++
	}
	return applied, nil
}

// migrationsSchema is the columns of a migrationsTable row that migrate writes.
var migrationsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "version", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "name", Type: arrow.BinaryTypes.String},
}, nil)

// record is the migration's row of migrationsTable. (An INSERT with inline VALUES hangs ClickHouse
// 18.16 over clickhouse-go's Exec; an Insert of a batch works everywhere.)
func (m migration) record() arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, migrationsSchema)
	defer b.Release()
	b.Field(0).(*array.Uint32Builder).Append(m.version)
	b.Field(1).(*array.StringBuilder).Append(m.name)
	return b.NewRecordBatch()
}

// appliedVersions lists the distinct recorded versions in order (two processes migrating at once may
// both record one); none before the first migration creates the table.
func appliedVersions(ctx context.Context, c Conn) ([]uint32, error) {
	exists, err := queryUint64(ctx, c, "SELECT toUInt64(count()) FROM system.tables WHERE database = currentDatabase() AND name = "+
		quoteString(migrationsTable))
	if err != nil || exists == 0 {
		return nil, err
	}
	rr, err := c.Query(ctx, "SELECT DISTINCT version FROM "+migrationsTable+" ORDER BY version")
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var vs []uint32
	for rr.Next() {
		col, ok := rr.RecordBatch().Column(0).(*array.Uint32)
		if !ok {
			return nil, fmt.Errorf("%s.version read as %s", migrationsTable, rr.RecordBatch().Column(0).DataType())
		}
		if len(vs)+col.Len() > tapesql.MigrationsMax {
			return nil, fmt.Errorf("more than %d recorded migrations", tapesql.MigrationsMax)
		}
		vs = append(vs, col.Uint32Values()...)
	}
	return vs, rr.Err()
}

// queryUint64 runs a query of one UInt64 value.
func queryUint64(ctx context.Context, c Conn, query string) (uint64, error) {
	rr, err := c.Query(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		if rec.NumRows() == 0 {
			continue
		}
		col, ok := rec.Column(0).(*array.Uint64)
		if !ok || rec.NumCols() != 1 {
			return 0, fmt.Errorf("%q: want one UInt64, got %s", query, rec.Schema())
		}
		return col.Value(0), nil
	}
	if err := rr.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%q returned no row", query)
}
