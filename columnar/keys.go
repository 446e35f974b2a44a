package columnar

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Streams name what a watermark counts: a ledger table's stream is the
// table's name ("events", "accounts", "snapshots"), a tick table's is
// "<table>/<source>" ("trades/nasdaq-itch").
//
// CheckKeys is what lets a store give exactly-once without a unique index:
// a batch written for stream after its watermark `after` may only hold rows
// whose watermark column lies in (after, upTo], with keys strictly
// increasing in row order (so no key twice), and a tick batch only rows of
// the stream's source. Rows already stored are at or below the watermark,
// so a batch that passes cannot double any of them. The error is a
// *ValidationError naming the column, row and values.
func CheckKeys(t Table, rec arrow.RecordBatch, stream string, after, upTo uint64) error {
	if upTo <= after {
		return &ValidationError{Table: t.Name, Row: -1,
			Reason: fmt.Sprintf("stream %q: batch up to %d is not after the watermark %d", stream, upTo, after)}
	}
	source, err := StreamSource(t, stream)
	if err != nil {
		return err
	}
	seqs, ok := rec.Column(t.Schema.FieldIndices(t.SeqColumn)[0]).(*array.Uint64)
	if !ok {
		panic("BUG: columnar: CheckKeys before Validate: " + t.SeqColumn + " is not uint64")
	}
	next := keyOrder(t, rec)
	if source != "" {
		sources := rec.Column(t.Schema.FieldIndices("source")[0]).(*array.String)
		for i := range sources.Len() {
			if sources.Value(i) != source {
				return &ValidationError{Table: t.Name, Column: "source", Row: int64(i),
					Reason: fmt.Sprintf("source %q in a batch of stream %q", sources.Value(i), stream)}
			}
		}
	}
	for i := range seqs.Len() {
		s := seqs.Value(i)
		if s <= after || s > upTo {
			return &ValidationError{Table: t.Name, Column: t.SeqColumn, Row: int64(i),
				Reason: fmt.Sprintf("%d is outside (%d, %d]: the watermark of %q is %d and the batch goes up to %d",
					s, after, upTo, stream, after, upTo)}
		}
		if i > 0 && !next(i) {
			return &ValidationError{Table: t.Name, Column: strings.Join(t.Key, ", "), Row: int64(i),
				Reason: "key not above the previous row's: keys must be unique and increasing"}
		}
	}
	return nil
}

// StreamSource checks that stream belongs to t and returns its source (""
// for the ledger tables); the error is a *ValidationError.
func StreamSource(t Table, stream string) (string, error) {
	if !t.ticks() {
		if stream != t.Name {
			return "", &ValidationError{Table: t.Name, Row: -1,
				Reason: fmt.Sprintf("stream %q: the %s table's stream is %q", stream, t.Name, t.Name)}
		}
		return "", nil
	}
	source, ok := strings.CutPrefix(stream, t.Name+"/")
	if !ok || source == "" {
		return "", &ValidationError{Table: t.Name, Row: -1,
			Reason: fmt.Sprintf("stream %q: a %s stream is %q", stream, t.Name, t.Name+"/<source>")}
	}
	return source, nil
}

func (t Table) ticks() bool { return t.Name == TradesTable.Name || t.Name == QuotesTable.Name }

// keyOrder returns a function telling whether row i's key is above row
// i-1's, in the order of t.Key after the watermark column: (seq, leg) for
// events, (seq, account) for snapshots, the seq column alone otherwise.
func keyOrder(t Table, rec arrow.RecordBatch) func(i int) bool {
	seqs := rec.Column(t.Schema.FieldIndices(t.SeqColumn)[0]).(*array.Uint64)
	switch t.Name {
	case EventsTable.Name:
		legs := rec.Column(t.Schema.FieldIndices("leg")[0]).(*array.Uint8)
		return func(i int) bool {
			a, b := seqs.Value(i-1), seqs.Value(i)
			return a < b || a == b && legs.Value(i-1) < legs.Value(i)
		}
	case SnapshotsTable.Name:
		accounts := rec.Column(t.Schema.FieldIndices("account")[0]).(*array.String)
		return func(i int) bool {
			a, b := seqs.Value(i-1), seqs.Value(i)
			return a < b || a == b && accounts.Value(i-1) < accounts.Value(i)
		}
	}
	return func(i int) bool { return seqs.Value(i-1) < seqs.Value(i) }
}
