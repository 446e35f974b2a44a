// Package columnar holds the Arrow schemas of Tape's column-store tables
// (columnar/SCHEMAS.md is the contract), exact conversions between ledger
// amounts and Arrow decimals, bounded batch builders for every table and the
// validation that stores run on a batch before writing any of it.
package columnar

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Column types shared by the tables.
var (
	// MoneyType holds ledger money in asset units at scale 18: minor units m
	// of an asset with scale s are stored as m × 10^(18−s).
	MoneyType = &arrow.Decimal128Type{Precision: 38, Scale: 18}
	// TickDecimalType holds tick prices and sizes.
	TickDecimalType = &arrow.Decimal128Type{Precision: 18, Scale: 8}
	// TsType is nanoseconds since the Unix epoch, UTC.
	TsType = &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
	// HashType holds a SHA-256 digest.
	HashType = &arrow.FixedSizeBinaryType{ByteWidth: 32}
)

// Decimal precisions and scales of MoneyType and TickDecimalType, as
// integers for the conversions.
const (
	moneyPrecision = 38
	moneyScale     = 18
	tickPrecision  = 18
	tickScale      = 8
)

// docKey is the field-metadata key of a column's note from SCHEMAS.md.
const docKey = "tape.doc"

func col(name string, t arrow.DataType, nullable bool, doc string) arrow.Field {
	f := arrow.Field{Name: name, Type: t, Nullable: nullable}
	if doc != "" {
		f.Metadata = arrow.NewMetadata([]string{docKey}, []string{doc})
	}
	return f
}

const (
	docTs    = "ns since the Unix epoch, UTC"
	docMoney = "asset units: minor units x 10^(18-scale), exact"
)

// EventsSchema is the events table: one row per posting leg; a legless event
// is one row with leg 0 and null leg columns.
var EventsSchema = arrow.NewSchema([]arrow.Field{
	col("seq", arrow.PrimitiveTypes.Uint64, false, ""),
	col("leg", arrow.PrimitiveTypes.Uint8, false, "0 = debit leg or legless, 1 = credit leg"),
	col("ts", TsType, false, docTs),
	col("command_id", arrow.BinaryTypes.String, false, ""),
	col("type", arrow.BinaryTypes.String, false, "event kind: transfer_posted, pending_created, ..."),
	col("account", arrow.BinaryTypes.String, true, "leg account; the opened account for account_opened"),
	col("side", arrow.BinaryTypes.String, true, "debit or credit on legs"),
	col("asset", arrow.BinaryTypes.String, true, ""),
	col("amount", MoneyType, true, "the event's amount (transferred, held, posted or released); "+docMoney),
	col("delta", MoneyType, true, docMoney),
	col("balance_before", MoneyType, true, docMoney),
	col("balance_after", MoneyType, true, docMoney),
	col("pending_before", MoneyType, true, "pending on the leg's side; "+docMoney),
	col("pending_after", MoneyType, true, "pending on the leg's side; "+docMoney),
	col("pending_id", arrow.BinaryTypes.String, true, ""),
	col("link_id", arrow.BinaryTypes.String, true, "id of the linked batch, on its first event"),
	col("code", arrow.BinaryTypes.String, true, "rejection code, command_rejected only"),
	col("day", arrow.FixedWidthTypes.Date32, true, "day_closed only"),
	col("state_hash", HashType, true, "day_closed only: hash of the state before the event"),
	col("hash", HashType, false, "event hash, chained to the previous event"),
}, nil)

// AccountsSchema is the accounts table: one row per account_opened event.
var AccountsSchema = arrow.NewSchema([]arrow.Field{
	col("account", arrow.BinaryTypes.String, false, ""),
	col("asset", arrow.BinaryTypes.String, false, ""),
	col("scale", arrow.PrimitiveTypes.Uint8, false, "the asset's decimal places"),
	col("debits_must_not_exceed_credits", arrow.FixedWidthTypes.Boolean, false, ""),
	col("credits_must_not_exceed_debits", arrow.FixedWidthTypes.Boolean, false, ""),
	col("opened_seq", arrow.PrimitiveTypes.Uint64, false, ""),
	col("opened_ts", TsType, false, docTs),
}, nil)

// SnapshotsSchema is the snapshots table: one row per account at each day
// close.
var SnapshotsSchema = arrow.NewSchema([]arrow.Field{
	col("day", arrow.FixedWidthTypes.Date32, false, ""),
	col("seq", arrow.PrimitiveTypes.Uint64, false, "seq of the day_closed event"),
	col("account", arrow.BinaryTypes.String, false, ""),
	col("asset", arrow.BinaryTypes.String, false, ""),
	col("balance", MoneyType, false, docMoney),
	col("debits_pending", MoneyType, false, docMoney),
	col("credits_pending", MoneyType, false, docMoney),
	col("state_hash", HashType, false, "the day_closed event's state_hash"),
}, nil)

// TradesSchema is the trades table.
var TradesSchema = arrow.NewSchema([]arrow.Field{
	col("ts", TsType, false, docTs),
	col("sym", arrow.BinaryTypes.String, false, ""),
	col("px", TickDecimalType, false, ""),
	col("qty", TickDecimalType, false, ""),
	col("side", arrow.BinaryTypes.String, false, "B or S"),
	col("trade_id", arrow.BinaryTypes.String, false, ""),
	col("venue", arrow.BinaryTypes.String, false, ""),
	col("source", arrow.BinaryTypes.String, false, ""),
	col("source_seq", arrow.PrimitiveTypes.Uint64, false, ""),
}, nil)

// QuotesSchema is the quotes table.
var QuotesSchema = arrow.NewSchema([]arrow.Field{
	col("ts", TsType, false, docTs),
	col("sym", arrow.BinaryTypes.String, false, ""),
	col("bid", TickDecimalType, false, ""),
	col("ask", TickDecimalType, false, ""),
	col("bid_size", TickDecimalType, false, ""),
	col("ask_size", TickDecimalType, false, ""),
	col("venue", arrow.BinaryTypes.String, false, ""),
	col("source", arrow.BinaryTypes.String, false, ""),
	col("source_seq", arrow.PrimitiveTypes.Uint64, false, ""),
}, nil)

// WatermarksSchema is the stores' bookkeeping of what landed: per stream,
// the highest seq (events) or source_seq (trades/<source>, quotes/<source>)
// stored.
var WatermarksSchema = arrow.NewSchema([]arrow.Field{
	col("stream", arrow.BinaryTypes.String, false, `"events", "trades/<source>" or "quotes/<source>"`),
	col("seq", arrow.PrimitiveTypes.Uint64, false, "highest seq or source_seq stored"),
}, nil)

// Table describes one column-store table.
type Table struct {
	Name   string
	Schema *arrow.Schema
	Key    []string // key columns, in key order
	// SeqColumn is the uint64 column a stream's watermark counts (see
	// CheckKeys); "" for the watermarks table itself.
	SeqColumn string
}

// The tables, in the order Tables returns them.
var (
	EventsTable     = Table{Name: "events", Schema: EventsSchema, Key: []string{"seq", "leg"}, SeqColumn: "seq"}
	AccountsTable   = Table{Name: "accounts", Schema: AccountsSchema, Key: []string{"account"}, SeqColumn: "opened_seq"}
	SnapshotsTable  = Table{Name: "snapshots", Schema: SnapshotsSchema, Key: []string{"day", "account"}, SeqColumn: "seq"}
	TradesTable     = Table{Name: "trades", Schema: TradesSchema, Key: []string{"source", "source_seq"}, SeqColumn: "source_seq"}
	QuotesTable     = Table{Name: "quotes", Schema: QuotesSchema, Key: []string{"source", "source_seq"}, SeqColumn: "source_seq"}
	WatermarksTable = Table{Name: "watermarks", Schema: WatermarksSchema, Key: []string{"stream"}}
)

// TableNamed returns the table called name.
func TableNamed(name string) (Table, bool) {
	for _, t := range Tables() {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// Tables returns every table in a fixed order: events, accounts, snapshots,
// trades, quotes, watermarks.
func Tables() []Table {
	return []Table{EventsTable, AccountsTable, SnapshotsTable, TradesTable, QuotesTable, WatermarksTable}
}
