//go:build duckdb_arrow

package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	duckdbgo "github.com/duckdb/duckdb-go/v2"
	tapesql "github.com/tape-ledger/tape/sql"
)

func openRawDB(t *testing.T) *sql.DB {
	t.Helper()
	c, err := duckdbgo.NewConnector(tempDB(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return db
}

func versions(t *testing.T, db *sql.DB) []int32 {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	vs, err := appliedVersions(context.Background(), tx)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	err := db.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE table_name = ?`, name).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// Migrations apply once, in order; applying again is a no-op; a newer one is applied on top.
func TestMigrateIdempotent(t *testing.T) {
	ctx := context.Background()
	db := openRawDB(t)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{len(ms), 0, 0} {
		if n, err := migrate(ctx, db, ms); err != nil || n != want {
			t.Fatalf("run %d: applied %d (%v), want %d", i, n, err, want)
		}
	}
	next := append(ms, tapesql.Migration{Version: int32(len(ms) + 1), Name: "extra.sql",
		SQL: `CREATE TABLE extra (a INTEGER); INSERT INTO extra VALUES (1);`})
	if n, err := migrate(ctx, db, next); err != nil || n != 1 {
		t.Fatalf("extra migration: applied %d (%v), want 1", n, err)
	}
	if n, err := migrate(ctx, db, next); err != nil || n != 0 {
		t.Fatalf("extra migration again: applied %d (%v), want 0", n, err)
	}
	if got := versions(t, db); len(got) != len(next) || got[len(got)-1] != int32(len(next)) {
		t.Errorf("versions %v, want 1..%d", got, len(next))
	}
	// This binary's migrations against a database that has the extra one: refused.
	if _, err := migrate(ctx, db, ms); !errors.Is(err, ErrSchemaNewer) {
		t.Errorf("older migrations on a newer database: %v, want ErrSchemaNewer", err)
	}
}

// A migration that fails half-way leaves nothing of itself or of the migrations applied with it.
func TestMigrateAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := openRawDB(t)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	bad := append(ms, tapesql.Migration{Version: int32(len(ms) + 1), Name: "bad.sql",
		SQL: `CREATE TABLE half (a INTEGER); SELECT * FROM no_such_table;`})
	if _, err := migrate(ctx, db, bad); err == nil {
		t.Fatal("bad migration succeeded")
	}
	if tableExists(t, db, "half") || tableExists(t, db, "events") || tableExists(t, db, "_tape_migrations") {
		t.Error("a failed migration run left tables behind")
	}
	if n, err := migrate(ctx, db, ms); err != nil || n != len(ms) {
		t.Fatalf("good migrations after a failed run: applied %d (%v)", n, err)
	}
}

func TestEmbeddedMigrations(t *testing.T) {
	if _, err := loadMigrations(); err != nil {
		t.Errorf("embedded migrations: %v", err)
	}
}
