package clickhouse

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Settings are ClickHouse settings sent with one statement.
type Settings map[string]int

// Conn is one ClickHouse engine as a Store uses it: a server over the native protocol (Open) or chDB in
// this process (package columnar/clickhouse/chdb). The Store serializes its writes but may call Query
// and Exec concurrently with them. Statements arrive with their arguments already bound.
type Conn interface {
	// Exec runs one statement that returns no rows.
	Exec(ctx context.Context, query string) error
	// Insert appends the rows of rec to table in one INSERT with rec's field names as the column list;
	// rec has the contract's Arrow types (columnar/SCHEMAS.md), which the Conn converts to the table's.
	Insert(ctx context.Context, table string, rec arrow.RecordBatch, settings Settings) error
	// Query runs one SELECT and returns its rows as Arrow: timestamps as timestamp[unit, zone],
	// Decimal(P, S) as decimal128(P, S), FixedString(N) as fixed_size_binary(N), Date and Date32 as date32,
	// strings as utf8, Bool as bool, integers as themselves; nullable where ClickHouse's type is.
	Query(ctx context.Context, query string) (array.RecordReader, error)
	// Retryable reports whether err, returned by this Conn, may pass if the call is made again: a lost
	// connection, not a statement the engine refused.
	Retryable(err error) bool
	// Close releases the connection.
	Close() error
}
