// Package sql holds the DDL and versioned migrations of each store, embedded so the binary carries them.
package sql

import "embed"

// DuckDB holds the DuckDB migrations as duckdb/NNNN_name.sql, applied in version order by columnar/duckdb.
//
//go:embed duckdb/*.sql
var DuckDB embed.FS

// ClickHouse holds the ClickHouse migrations as clickhouse/<layout>/NNNN_name.sql, one folder per layout
// (single, cluster, legacy), applied in version order by columnar/clickhouse.
//
//go:embed clickhouse/*/*.sql
var ClickHouse embed.FS
