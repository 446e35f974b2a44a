package journal

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by operations on a closed Log.
	ErrClosed = errors.New("journal: log is closed")
	// ErrRecordTooLarge is returned by Append for a payload above recordBytesMax.
	ErrRecordTooLarge = errors.New("journal: record too large")
	// ErrBatchTooLarge is returned by Append for a batch above appendRecordsMax records.
	ErrBatchTooLarge = errors.New("journal: batch has too many records")
	// ErrBadPosition is returned for a Position that does not name a frame
	// boundary inside the log.
	ErrBadPosition = errors.New("journal: position outside the log")
)

// CorruptionError reports bytes on disk that are not a valid log and are not
// a torn tail that Open may cut away. The log must not be used until an
// operator has looked at it.
type CorruptionError struct {
	Segment string // path of the segment file
	Offset  int64  // byte offset within Segment where the defect starts
	Reason  string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("journal: corrupt segment %s at offset %d: %s", e.Segment, e.Offset, e.Reason)
}
