//go:build duckdb_arrow

package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	tapesql "github.com/tape-ledger/tape/sql"
)

// ErrSchemaNewer reports a database migrated by a newer Tape than this binary.
var ErrSchemaNewer = errors.New("database schema is newer than this binary")

// migrationsDir is the folder of the DuckDB migrations inside tapesql.DuckDB.
const migrationsDir = "duckdb"

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]tapesql.Migration, error) {
	ms, err := tapesql.Migrations(tapesql.DuckDB, migrationsDir)
	if err != nil {
		return nil, fmt.Errorf("duckdb: embedded migrations: %w", err)
	}
	return ms, nil
}

// migrate applies the migrations the database lacks, in order, in one transaction, recording each in
// _tape_migrations; it returns how many it applied. Applying again is a no-op.
func migrate(ctx context.Context, db *sql.DB, ms []tapesql.Migration) (applied int, err error) {
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
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return 0, fmt.Errorf("migrate: %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO _tape_migrations (version) VALUES (?)`, m.Version); err != nil {
			return 0, fmt.Errorf("migrate: record %s: %w", m.Name, err)
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
		if len(vs) >= tapesql.MigrationsMax {
			return nil, fmt.Errorf("more than %d recorded migrations", tapesql.MigrationsMax)
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}
