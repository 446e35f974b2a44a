// Package duckdb is Tape's embedded column store: one DuckDB database file holding the tables of
// columnar/SCHEMAS.md, fed with Arrow record batches exactly once per stream watermark and queried back as
// Arrow.
//
// # Concurrency
//
// A Store is safe for concurrent use. Writes are serialized: they share one dedicated DuckDB connection
// guarded by a mutex, so at most one batch is in flight and the watermark check and advance of a batch
// happen in the same transaction as its rows. Watermark runs on a small pool of connections and Query opens
// a connection of its own per reader; both run concurrently with writes and see only committed batches
// (each reader keeps one snapshot, a read-only transaction, from Query until Release). Close stops new
// calls, waits for open readers to be released and for a write in flight to finish, then closes the file.
//
// One process holds the file: DuckDB locks it against other processes, and Open refuses a second Store on
// the same path inside this process (ErrLocked in both cases).
//
// # Types
//
// Batches use the Arrow types of the contract (timestamp[ns, UTC], decimal128, fixed_size_binary(32), ...).
// DuckDB's Arrow scan reads a zoned timestamp as microsecond TIMESTAMPTZ, which would drop the nanoseconds,
// so Write hands it the same buffers labelled timestamp[ns] (zone-less, read as TIMESTAMP_NS); Query labels
// zone-less timestamp results UTC again (the session zone is pinned to UTC). Decimals pass through the Arrow
// C interface unchanged. BLOB columns (the hashes) come back as Arrow binary. Values of a Query batch live
// in DuckDB's memory and are freed with the batch: copy strings and bytes you keep (strings.Clone).
//
// # Build
//
// The package needs DuckDB's Arrow interface, which duckdb-go compiles only with the build tag
// duckdb_arrow: build and test it with -tags duckdb_arrow (the Makefile sets it). Without the tag the
// package is empty.
package duckdb
