// Package chdb runs a columnar/clickhouse Store in this process on chDB, ClickHouse's engine as a shared
// library (libchdb.so, found through CHDB_LIB_PATH): the same DDL, dedup queries, watermarks and reads as
// against a server, without one. Tests and benchmarks use it to run the ClickHouse dialect.
//
// The library is loaded on first use, not at import: a missing library is an error (ErrNoLibrary) that
// tests turn into a skip. github.com/chdb-io/chdb-go is not used for that reason: its package init panics
// when libchdb.so is missing. Only the few functions of chdb.h this package needs are bound, with purego.
//
// chDB holds one engine per process, with one data folder: Open returns that engine, shared by every
// Store of the process, each in its own database. Its calls are serialized.
//
// Batches are inserted by writing them to an Arrow IPC file and running INSERT ... SELECT FROM
// file(path, 'Arrow'); results come back as ArrowStream and are read with arrow-go's ipc reader.
package chdb
