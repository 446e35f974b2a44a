package columnar

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// validBatch returns a small batch of table t that passes Validate.
func validBatch(t *testing.T, tab Table) arrow.RecordBatch {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 5))
	switch tab.Name {
	case "events":
		l := randomLedger(t, 5, 40)
		b := NewEventsBuilder()
		defer b.Release()
		for i := range l.events {
			b.Append(&l.events[i])
		}
		return b.NewRecord()
	case "trades":
		b := NewTradesBuilder()
		defer b.Release()
		for i := range 5 {
			b.Append(&Trade{Ts: int64(i), Sym: "AAPL", Px: randomTick(rng), Qty: randomTick(rng), Side: "B", TradeID: "t", Venue: "X", Source: "gen", SourceSeq: uint64(i)})
		}
		return b.NewRecord()
	case "quotes":
		b := NewQuotesBuilder()
		defer b.Release()
		for i := range 5 {
			b.Append(&Quote{Ts: int64(i), Sym: "AAPL", Bid: randomTick(rng), Ask: randomTick(rng), Venue: "X", Source: "gen", SourceSeq: uint64(i)})
		}
		return b.NewRecord()
	}
	// accounts, snapshots, watermarks: rows of zero values.
	b := array.NewRecordBuilder(memory.DefaultAllocator, tab.Schema)
	defer b.Release()
	for _, f := range b.Fields() {
		for range 3 {
			f.AppendEmptyValue()
		}
	}
	return b.NewRecordBatch()
}

// edit changes a batch's fields and columns.
type edit func(fields []arrow.Field, cols []arrow.Array) ([]arrow.Field, []arrow.Array)

func at(fields []arrow.Field, name string) int {
	i := slices.IndexFunc(fields, func(f arrow.Field) bool { return f.Name == name })
	if i < 0 {
		panic("no column " + name)
	}
	return i
}

// drop removes a column.
func drop(name string) edit {
	return func(fields []arrow.Field, cols []arrow.Array) ([]arrow.Field, []arrow.Array) {
		i := at(fields, name)
		return slices.Delete(fields, i, i+1), slices.Delete(cols, i, i+1)
	}
}

// insert adds a uint64 column named extra before column i.
func insert(i int) edit {
	return func(fields []arrow.Field, cols []arrow.Array) ([]arrow.Field, []arrow.Array) {
		n := cols[0].Len()
		b := array.NewUint64Builder(memory.DefaultAllocator)
		defer b.Release()
		b.AppendValues(make([]uint64, n), nil)
		f := arrow.Field{Name: "extra", Type: arrow.PrimitiveTypes.Uint64}
		return slices.Insert(fields, min(i, len(fields)), f), slices.Insert(cols, min(i, len(cols)), arrow.Array(b.NewArray()))
	}
}

// swap exchanges two columns.
func swap(a, b string) edit {
	return func(fields []arrow.Field, cols []arrow.Array) ([]arrow.Field, []arrow.Array) {
		i, j := at(fields, a), at(fields, b)
		fields[i], fields[j] = fields[j], fields[i]
		cols[i], cols[j] = cols[j], cols[i]
		return fields, cols
	}
}

// retype gives a column another type over the same buffers.
func retype(name string, dt arrow.DataType) edit {
	return func(fields []arrow.Field, cols []arrow.Array) ([]arrow.Field, []arrow.Array) {
		i := at(fields, name)
		d := cols[i].Data()
		nd := array.NewData(dt, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
		defer nd.Release()
		fields[i].Type, cols[i] = dt, array.MakeFromData(nd)
		return fields, cols
	}
}

// rebuild replaces a column with one of another type holding empty values.
func rebuild(name string, dt arrow.DataType) edit {
	return func(fields []arrow.Field, cols []arrow.Array) ([]arrow.Field, []arrow.Array) {
		i := at(fields, name)
		b := array.NewBuilder(memory.DefaultAllocator, dt)
		defer b.Release()
		b.AppendEmptyValues(cols[i].Len())
		fields[i].Type, cols[i] = dt, b.NewArray()
		return fields, cols
	}
}

// nullable declares a column nullable without changing its values.
func nullable(name string) edit {
	return func(fields []arrow.Field, cols []arrow.Array) ([]arrow.Field, []arrow.Array) {
		fields[at(fields, name)].Nullable = true
		return fields, cols
	}
}

// put replaces row r of a column with the one value of one; one nil puts a
// null.
func put(name string, r int, one func(dt arrow.DataType) arrow.Array) edit {
	return func(fields []arrow.Field, cols []arrow.Array) ([]arrow.Field, []arrow.Array) {
		i := at(fields, name)
		var v arrow.Array
		if one == nil {
			v = array.MakeArrayOfNull(memory.DefaultAllocator, fields[i].Type, 1)
		} else {
			v = one(fields[i].Type)
		}
		c := cols[i]
		parts := []arrow.Array{array.NewSlice(c, 0, int64(r)), v, array.NewSlice(c, int64(r+1), int64(c.Len()))}
		out, err := array.Concatenate(parts, memory.DefaultAllocator)
		if err != nil {
			panic(err)
		}
		cols[i] = out
		return fields, cols
	}
}

// texts rewrites a string column, replacing the values of some rows.
func texts(name string, rows map[int]string) edit {
	return func(fields []arrow.Field, cols []arrow.Array) ([]arrow.Field, []arrow.Array) {
		i := at(fields, name)
		old := cols[i].(*array.String)
		b := array.NewStringBuilder(memory.DefaultAllocator)
		defer b.Release()
		for r := range old.Len() {
			switch v, ok := rows[r]; {
			case ok:
				b.Append(v)
			case old.IsNull(r):
				b.AppendNull()
			default:
				b.Append(old.Value(r))
			}
		}
		cols[i] = b.NewArray()
		return fields, cols
	}
}

func oneString(s string) func(arrow.DataType) arrow.Array {
	return func(arrow.DataType) arrow.Array {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		defer b.Release()
		b.Append(s)
		return b.NewArray()
	}
}

func oneDecimal(v *big.Int) func(arrow.DataType) arrow.Array {
	return func(dt arrow.DataType) arrow.Array {
		b := array.NewDecimal128Builder(memory.DefaultAllocator, dt.(*arrow.Decimal128Type))
		defer b.Release()
		b.Append(numFromBig(v))
		return b.NewArray()
	}
}

// TestValidate breaks a valid batch of each table in one way at a time and
// checks that Validate rejects it naming the column (and row).
func TestValidate(t *testing.T) {
	const whole = -1 // the defect is not one row's
	for _, c := range []struct {
		name   string
		table  Table
		edit   edit
		column string // "" for a batch that must pass
		row    int64
		reason string
	}{
		{"events as they are", EventsTable, nil, "", 0, ""},
		{"trades as they are", TradesTable, nil, "", 0, ""},
		{"quotes as they are", QuotesTable, nil, "", 0, ""},
		{"accounts as they are", AccountsTable, nil, "", 0, ""},
		{"snapshots as they are", SnapshotsTable, nil, "", 0, ""},
		{"watermarks as they are", WatermarksTable, nil, "", 0, ""},
		{"non-null column declared nullable", AccountsTable, nullable("opened_ts"), "", 0, ""},

		{"last column missing", EventsTable, drop("hash"), "hash", whole, "missing"},
		{"middle column missing", EventsTable, drop("delta"), "delta", whole, "missing"},
		{"first column missing", TradesTable, drop("ts"), "ts", whole, "missing"},
		{"extra column at the end", EventsTable, insert(99), "extra", whole, "extra"},
		{"extra column in the middle", QuotesTable, insert(3), "extra", whole, "extra"},
		{"columns out of order", EventsTable, swap("seq", "leg"), "seq", whole, "out of order"},
		{"decimals out of order", SnapshotsTable, swap("debits_pending", "credits_pending"), "debits_pending", whole, "out of order"},
		{"wrong type", EventsTable, retype("seq", arrow.PrimitiveTypes.Int64), "seq", whole, "type int64, want uint64"},
		{"date as int32", SnapshotsTable, retype("day", arrow.PrimitiveTypes.Int32), "day", whole, "type int32"},
		{"money precision", EventsTable, retype("amount", &arrow.Decimal128Type{Precision: 18, Scale: 18}), "amount", whole, "precision 18, want 38"},
		{"money scale", EventsTable, retype("delta", &arrow.Decimal128Type{Precision: 38, Scale: 2}), "delta", whole, "scale 2, want 18"},
		{"tick precision", TradesTable, retype("px", &arrow.Decimal128Type{Precision: 38, Scale: 8}), "px", whole, "precision 38, want 18"},
		{"tick scale", QuotesTable, retype("ask", &arrow.Decimal128Type{Precision: 18, Scale: 4}), "ask", whole, "scale 4, want 8"},
		{"decimal256", TradesTable, rebuild("qty", &arrow.Decimal256Type{Precision: 18, Scale: 8}), "qty", whole, "type"},
		{"timestamp in us", EventsTable, retype("ts", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}), "ts", whole, "unit us, want ns"},
		{"timestamp without zone", TradesTable, retype("ts", &arrow.TimestampType{Unit: arrow.Nanosecond}), "ts", whole, `time zone "", want "UTC"`},
		{"timestamp in New York", AccountsTable, retype("opened_ts", &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "America/New_York"}), "opened_ts", whole, "time zone"},
		{"hash of 16 bytes", EventsTable, retype("hash", &arrow.FixedSizeBinaryType{ByteWidth: 16}), "hash", whole, "fixed_size_binary[16]"},
		{"hash as binary", SnapshotsTable, rebuild("state_hash", arrow.BinaryTypes.Binary), "state_hash", whole, "type binary"},

		{"null seq", EventsTable, put("seq", 3, nil), "seq", 3, "null"},
		{"null command id", EventsTable, put("command_id", 1, nil), "command_id", 1, "null"},
		{"null hash", EventsTable, put("hash", 7, nil), "hash", 7, "null"},
		{"null price", TradesTable, put("px", 4, nil), "px", 4, "null"},
		{"null balance", SnapshotsTable, put("balance", 2, nil), "balance", 2, "null"},
		{"null stream", WatermarksTable, put("stream", 0, nil), "stream", 0, "null"},
		{"null flag", AccountsTable, put("credits_must_not_exceed_debits", 1, nil), "credits_must_not_exceed_debits", 1, "null"},

		{"money of 39 digits", EventsTable, put("balance_after", 12, oneDecimal(pow10Big(38))), "balance_after", 12, "does not fit decimal128(38, 18)"},
		{"negative money of 39 digits", SnapshotsTable, put("credits_pending", 0, oneDecimal(new(big.Int).Neg(pow10Big(38)))), "credits_pending", 0, "-100000000000000000000.000000000000000000"},
		{"price of 19 digits", TradesTable, put("px", 2, oneDecimal(pow10Big(18))), "px", 2, "10000000000.00000000"},
		{"size scaled twice", QuotesTable, put("bid_size", 1, oneDecimal(new(big.Int).Mul(pow10Big(8), pow10Big(11)))), "bid_size", 1, "does not fit"},
		{"invalid UTF-8", EventsTable, put("command_id", 5, oneString("ok\xffno")), "command_id", 5, "UTF-8"},
		{"invalid UTF-8 in a nullable column", EventsTable, put("link_id", 0, oneString("\xc3")), "link_id", 0, "UTF-8"},
		{"UTF-8 split across two values", EventsTable, texts("command_id", map[int]string{2: "a\xc3", 3: "\xa9b"}), "command_id", 2, "UTF-8"},
		{"a value that starts inside a rune", QuotesTable, texts("sym", map[int]string{1: "é", 2: "\xa9"}), "sym", 2, "UTF-8"},
		{"trade side", TradesTable, put("side", 3, oneString("buy")), "side", 3, `side "buy"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := validBatch(t, c.table)
			defer rec.Release()
			if c.edit != nil {
				fields, cols := c.edit(slices.Clone(rec.Schema().Fields()), slices.Clone(rec.Columns()))
				rec = array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
				defer rec.Release()
			}
			err := Validate(c.table, rec)
			if c.column == "" {
				if err != nil {
					t.Fatalf("valid batch rejected: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if ve.Column != c.column || ve.Row != c.row || !strings.Contains(ve.Reason, c.reason) {
				t.Fatalf("Validate = %v\nwant column %s, row %d, reason with %q", err, c.column, c.row, c.reason)
			}
			if !strings.Contains(err.Error(), "column "+c.column) {
				t.Fatalf("error %q does not name column %s", err, c.column)
			}
		})
	}
}

// TestValidateBatchLimits: no batch, and a batch over BatchRowsMax rows.
func TestValidateBatchLimits(t *testing.T) {
	if err := Validate(EventsTable, nil); err == nil {
		t.Fatal("nil batch passed")
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, WatermarksSchema)
	defer b.Release()
	for range BatchRowsMax + 1 {
		b.Field(0).(*array.StringBuilder).Append("events")
		b.Field(1).(*array.Uint64Builder).Append(1)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var ve *ValidationError
	if err := Validate(WatermarksTable, rec); !errors.As(err, &ve) || ve.Column != "" || !strings.Contains(ve.Reason, "over the limit") {
		t.Fatalf("batch of %d rows: %v", rec.NumRows(), err)
	}
}
