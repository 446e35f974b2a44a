package fix

import (
	"context"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tape-ledger/tape/columnar"
)

// Store is where a Listener writes its rows: the column stores
// (columnar/duckdb, columnar/clickhouse) implement it.
//
// Write appends rec to table ("trades" or "quotes") exactly once for stream
// ("trades/<source>", "quotes/<source>"): it refuses a batch unless its
// source_seqs are strictly increasing and within (watermark, upTo] (see
// columnar.CheckKeys), stores it and advances the stream's watermark to
// upTo, or changes nothing and reports skipped when the watermark is already
// at or past upTo. Watermark returns a stream's watermark, 0 if never
// written. The caller keeps ownership of rec.
type Store interface {
	Write(ctx context.Context, table string, rec arrow.RecordBatch, stream string, upTo uint64) (skipped bool, err error)
	Watermark(ctx context.Context, stream string) (uint64, error)
}

// TradesStream and QuotesStream name the watermark streams of a source.
func TradesStream(source string) string { return columnar.TradesTable.Name + "/" + source }

// QuotesStream: see TradesStream.
func QuotesStream(source string) string { return columnar.QuotesTable.Name + "/" + source }

// Keys. A row's source_seq is MsgSeqNum<<16 | i, where i is the entry's
// index (from 0) among the bids, offers and trades of its message (as
// AppendEntries returns them): a message resent after a crash maps to the
// same keys, and keys rise with MsgSeqNum then entry. A message may thus hold
// EntriesPerMessageMax entries; the index 0xFFFF is never a row's: a
// Listener writes a batch with upTo = MsgSeqNum<<16 | 0xFFFF of the last
// message it holds (MessageMark), so that a watermark says which messages
// are wholly stored, whether or not they made rows of that table.
const (
	entryBits = 16
	// EntriesPerMessageMax is the most entries one message may map to
	// (indexes 0 to 65534). FieldsMax caps a message below it today; a
	// message beyond it would be rejected.
	EntriesPerMessageMax = 1<<entryBits - 1
)

// SourceSeq returns the source_seq of entry i (from 0) of the message with
// MsgSeqNum seq.
func SourceSeq(seq, i int) uint64 {
	if seq < 1 || seq > SeqNumMax || i < 0 || i >= EntriesPerMessageMax {
		panic("BUG: fix: SourceSeq of MsgSeqNum " + strconv.Itoa(seq) + " entry " + strconv.Itoa(i))
	}
	return uint64(seq)<<entryBits | uint64(i)
}

// MessageMark returns the watermark that says every message up to MsgSeqNum
// seq is stored: above the source_seq of each of its entries.
func MessageMark(seq int) uint64 {
	if seq < 1 || seq > SeqNumMax {
		panic("BUG: fix: MessageMark of MsgSeqNum " + strconv.Itoa(seq))
	}
	return uint64(seq)<<entryBits | EntriesPerMessageMax
}

// resumeSeq returns the first MsgSeqNum not wholly stored under watermark
// mark: after MessageMark(s) it is s+1; after the source_seq of an entry of
// message s (a batch written with upTo at its last row) it is s again, whose
// rows up to mark are then dropped as already stored. It may be SeqNumMax+1.
func resumeSeq(mark uint64) int {
	return max(1, int((mark+1)>>entryBits))
}
