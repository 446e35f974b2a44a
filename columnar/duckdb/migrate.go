//go:build duckdb_arrow

package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"

	tapesql "github.com/tape-ledger/tape/sql"
)

// ErrSchemaNewer reports a database migrated by a newer Tape than this binary.
var ErrSchemaNewer = errors.New("database schema is newer than this binary")

// migrationsMax bounds the migrations one binary carries (and so the loop that applies them).
const migrationsMax = 9999

// migrationsDir is the folder of the DuckDB migrations inside tapesql.DuckDB.
const migrationsDir = "duckdb"

// migration is one versioned DDL script, NNNN_name.sql.
type migration struct {
	version int32
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migration, error) {
	ms, err := parseMigrations(tapesql.DuckDB, migrationsDir)
	if err != nil {
		return nil, fmt.Errorf("duckdb: embedded migrations: %w", err)
	}
	return ms, nil
}

// parseMigrations reads dir of fsys: every file must be NNNN_name.sql, versions numbered 1, 2, 3, ...
func parseMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir) // sorted by name, so by version
	if err != nil {
		return nil, err
	}
	if len(entries) > migrationsMax {
		return nil, fmt.Errorf("%d migrations, more than %d", len(entries), migrationsMax)
	}
	ms := make([]migration, 0, len(entries))
	for i, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			return nil, fmt.Errorf("%s: want a file named NNNN_name.sql", e.Name())
		}
		version, err := strconv.ParseInt(m[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		if version != int64(i+1) {
			return nil, fmt.Errorf("%s: version %d, want %d (versions run 1, 2, 3, ... without gaps)",
				e.Name(), version, i+1)
		}
		text, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: int32(version), name: e.Name(), sql: string(text)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return ms, nil
}

// migrate applies the migrations the database lacks, in order, in one transaction, recording each in
// _tape_migrations; it returns how many it applied. Applying again is a no-op.
func migrate(ctx context.Context, db *sql.DB, ms []migration) (applied int, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	have, err := appliedVersions(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	for i, v := range have {
		if int(v) > len(ms) {
			return 0, fmt.Errorf("migrate: %w: it has version %d, this binary knows %d", ErrSchemaNewer, v, len(ms))
		}
		if v != int32(i+1) {
			return 0, fmt.Errorf("migrate: applied versions %v are not 1, 2, 3, ...", have)
		}
	}
	for _, m := range ms[len(have):] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return 0, fmt.Errorf("migrate: %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO _tape_migrations (version) VALUES (?)`, m.version); err != nil {
			return 0, fmt.Errorf("migrate: record %s: %w", m.name, err)
		}
		applied++
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("migrate: commit: %w", err)
	}
	return applied, nil
}

// appliedVersions lists the recorded versions in order; none before the first migration creates the table.
func appliedVersions(ctx context.Context, tx *sql.Tx) ([]int32, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = 'main' AND table_name = '_tape_migrations'`).Scan(&n)
	if err != nil || n == 0 {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM _tape_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []int32
	for rows.Next() {
		var v int32
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		if len(vs) >= migrationsMax {
			return nil, fmt.Errorf("more than %d recorded migrations", migrationsMax)
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}
