// Package sql holds the DDL and versioned migrations of each store, embedded so the binary carries them.
package sql

import "embed"

// DuckDB holds the DuckDB migrations as duckdb/NNNN_name.sql, applied in version order by columnar/duckdb.
//
//go:embed duckdb/*.sql
var DuckDB embed.FS
