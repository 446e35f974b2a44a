// Package clickhouse is Tape's ClickHouse store: the tables of columnar/SCHEMAS.md in one ClickHouse
// database, fed with Arrow record batches exactly once per stream watermark and queried back as Arrow.
// It mirrors columnar/duckdb (Write, Watermark, Query, Close) and satisfies internal/projector's Store.
//
// # Engines and layouts
//
// A Store runs on a Conn: a ClickHouse server over the native protocol (Open: clickhouse-go, LZ4,
// PrepareBatch with explicit column lists, one column-wise Append per column), or chDB in this process
// (package columnar/clickhouse/chdb). The DDL, the dedup queries, the watermarks and the reads are the
// same on both. The tables come from sql/clickhouse/<layout>, chosen by Options.Layout (URL layout=):
// single (MergeTree, ClickHouse 23.8 or newer), cluster (ReplicatedMergeTree behind Distributed tables,
// ON CLUSTER) and legacy (ClickHouse 18.16's types, for driver tests only). Open creates the database
// and applies pending migrations; every statement is idempotent, so opening again is a no-op.
//
// # Exactly once without transactions
//
// ClickHouse has no transactions and no unique keys, so a batch and its watermark cannot commit
// together. Write inserts the batch's rows first and then a row (stream, upTo) into watermarks, whose
// watermark is max(seq). A crash between the two leaves rows above the watermark; a write that failed
// anywhere may have stored its rows or not. So a Store is unsure of a stream after Open and after any
// failed write of it, and before the next insert of an unsure stream it reads the watermark and the
// keys already stored above it (one query per stream) and drops those rows from the batch. As in every
// store, a batch whose keys are not increasing and above the watermark is refused (columnar.CheckKeys).
// A key's rows are one row (events are keyed
// by (seq, leg)) in one partition, and ClickHouse stores the part of one INSERT block in one partition
// atomically, so each key is wholly present or absent: dropping the present keys completes the batch
// without doubles. Once a write of the stream succeeded the Store is sure again and skips the query.
//
// Which column a stream's watermark counts is columnar.Table.SeqColumn, and which source it is,
// columnar.StreamSource: the rows above the watermark are found as events.seq, accounts.opened_seq,
// snapshots.seq above it, and for trades/<source> and quotes/<source> source_seq above it WHERE
// source = <source>. Rows are matched by the table's key (columnar.Table.Key).
//
// This holds for one writer per stream, as the projector is. On a cluster, inserts into the Distributed
// tables are synchronous (insert_distributed_sync = 1); the dedup read goes through the Distributed
// table too and reads one replica per shard, so a replica lagging behind its shard could hide rows of a
// failed write from it. That case (a failure, then a lagging replica answering) is not handled yet.
//
// # Retries
//
// An operation that fails because the connection was lost (refused, reset, EOF) is retried up to
// attemptsMax times with exponential backoff (backoffMin doubling to backoffMax), ending early when ctx
// does; Retries counts the retries and Options.Logger, if set, logs each. A retried Write redoes the
// unsure path above, so a batch cut off mid-insert by a server crash lands once.
//
// # Types
//
// Batches use the contract's Arrow types; Query returns them: DateTime64(9, 'UTC') as timestamp[ns, UTC],
// Decimal128(18) as decimal128(38, 18), Decimal64(8) as decimal128(18, 8), FixedString(32) as
// fixed_size_binary(32), Date32 as date32, (LowCardinality) String as utf8, Bool as bool. The legacy
// layout stores ts as Int64 nanoseconds, day as Int32 days and flags as UInt8; Query turns columns of
// those names and types back into the contract's types.
//
// # Concurrency
//
// A Store is safe for concurrent use: writes are serialized by a mutex; Watermark and Query run
// concurrently with them. Close waits for calls in flight and for open Query readers.
package clickhouse
