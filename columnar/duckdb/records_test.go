//go:build duckdb_arrow

package duckdb

import (
	"crypto/sha256"

	"github.com/apache/arrow-go/v18/arrow"
)

// The schemas of columnar/SCHEMAS.md, built by hand: the test's side of the contract.
var (
	tsNS   = &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
	money  = &arrow.Decimal128Type{Precision: 38, Scale: 18}
	tick   = &arrow.Decimal128Type{Precision: 18, Scale: 8}
	hash32 = &arrow.FixedSizeBinaryType{ByteWidth: 32}
	utf8s  = arrow.BinaryTypes.String
	u64    = arrow.PrimitiveTypes.Uint64
	u8     = arrow.PrimitiveTypes.Uint8
	date   = arrow.FixedWidthTypes.Date32
	boolT  = arrow.FixedWidthTypes.Boolean
)

func schemaOf(cols ...any) *arrow.Schema {
	fields := make([]arrow.Field, 0, len(cols)/3)
	for i := 0; i < len(cols); i += 3 {
		fields = append(fields, arrow.Field{Name: cols[i].(string), Type: cols[i+1].(arrow.DataType), Nullable: cols[i+2].(bool)})
	}
	return arrow.NewSchema(fields, nil)
}

const (
	null    = true
	notNull = false
)

var contractSchemas = map[string]*arrow.Schema{
	"events": schemaOf(
		"seq", u64, notNull, "leg", u8, notNull, "ts", tsNS, notNull, "command_id", utf8s, notNull,
		"type", utf8s, notNull, "account", utf8s, null, "side", utf8s, null, "asset", utf8s, null,
		"amount", money, null, "delta", money, null, "balance_before", money, null, "balance_after", money, null,
		"pending_before", money, null, "pending_after", money, null, "pending_id", utf8s, null,
		"link_id", utf8s, null, "code", utf8s, null, "day", date, null, "state_hash", hash32, null,
		"hash", hash32, notNull),
	"accounts": schemaOf(
		"account", utf8s, notNull, "asset", utf8s, notNull, "scale", u8, notNull,
		"debits_must_not_exceed_credits", boolT, notNull, "credits_must_not_exceed_debits", boolT, notNull,
		"opened_seq", u64, notNull, "opened_ts", tsNS, notNull),
	"snapshots": schemaOf(
		"day", date, notNull, "seq", u64, notNull, "account", utf8s, notNull, "asset", utf8s, notNull,
		"balance", money, notNull, "debits_pending", money, notNull, "credits_pending", money, notNull,
		"state_hash", hash32, notNull),
	"trades": schemaOf(
		"ts", tsNS, notNull, "sym", utf8s, notNull, "px", tick, notNull, "qty", tick, notNull,
		"side", utf8s, notNull, "trade_id", utf8s, notNull, "venue", utf8s, notNull, "source", utf8s, notNull,
		"source_seq", u64, notNull),
	"quotes": schemaOf(
		"ts", tsNS, notNull, "sym", utf8s, notNull, "bid", tick, notNull, "ask", tick, notNull,
		"bid_size", tick, notNull, "ask_size", tick, notNull, "venue", utf8s, notNull, "source", utf8s, notNull,
		"source_seq", u64, notNull),
}

const (
	moneyMax = "99999999999999999999.999999999999999999"
	moneyMin = "-99999999999999999999.999999999999999999"
	tickMax  = "9999999999.99999999"
	tickMin  = "-9999999999.99999999"
	tsSample = int64(1767600000123456789)
	u64Max   = ^uint64(0)
)

// hashOf is a 32-byte hash for tests.
func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func filled(b byte) []byte {
	h := make([]byte, 32)
	for i := range h {
		h[i] = b
	}
	return h
}

// testRows holds rows of each table, in key order, exercising extremes of every type.
var testRows = map[string][][]any{
	"events": {
		{uint64(1), uint8(0), tsSample, "cmd-1", "asset_defined", nil, nil, "USD", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, hashOf("e1")},
		{uint64(2), uint8(0), tsSample + 1, "cmd-2", "transfer_posted", "alice/ü", "debit", "USD",
			moneyMax, moneyMin, "0.000000000000000001", "-0.000000000000000001", "0", moneyMax, "p-1", "l-1", nil, nil, nil, filled(0x00)},
		{uint64(2), uint8(1), tsSample + 1, "cmd-2", "transfer_posted", "bob/日本語", "credit", "USD",
			moneyMax, moneyMax, moneyMin, "-12345678901234567890.123456789012345678", moneyMin, "0", "p-1", "l-1", nil, nil, nil, filled(0xff)},
		{uint64(3), uint8(0), int64(-1), "emoji 🚀 'q' \"dq\" \\ \t\n", "command_rejected", nil, nil, nil,
			nil, nil, nil, nil, nil, nil, nil, nil, "insufficient_funds", nil, nil, hashOf("e3")},
		{uint64(4), uint8(0), int64(4102444800999999999), "", "day_closed", "", nil, nil,
			nil, nil, nil, nil, nil, nil, nil, nil, nil, int32(20458), hashOf("state"), hashOf("e4")},
	},
	"accounts": {
		{"alice/ü", "USD", uint8(2), true, false, uint64(1), tsSample},
		{"bob/日本語", "BTC", uint8(18), false, true, u64Max, int64(-1)},
	},
	"snapshots": {
		{int32(-1), uint64(7), "alice", "USD", moneyMax, moneyMin, "0", hashOf("s1")},
		{int32(20458), u64Max, "bob", "BTC", moneyMin, "0.000000000000000001", moneyMax, filled(0x00)},
	},
	"trades": {
		{tsSample, "BTC-USD", tickMax, tickMin, "B", "t-1", "X", "feed", uint64(1)},
		{int64(-1), "ÉTH/€", "0.00000001", "-0.00000001", "S", "t-2 🚀", "venue 'q'", "feed", uint64(5)},
	},
	"quotes": {
		{tsSample, "BTC-USD", tickMin, tickMax, "0.00000001", "0", "X", "feed", uint64(1)},
		{tsSample + 999, "ÉTH/€", "1.5", "1.50000001", tickMax, tickMin, "V", "feed", uint64(2)},
	},
}
