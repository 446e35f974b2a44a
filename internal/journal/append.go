package journal

import "fmt"

const (
	appendRecordsMax = 1 << 20 // records per Append
	writeBytesMax    = 4 << 20 // frames per write(2); also the buffer size kept between appends
)

// Append writes payloads as consecutive frames and makes them durable: the
// frames go out in one write (per segment, and per writeBytesMax for huge
// batches) followed by one fdatasync. It returns the position of the first
// frame; with no payloads it returns End.
//
// A batch is not atomic across a crash: a prefix of it may survive.
//
// Payload and batch limits are checked before anything is written. Any other
// error is sticky: the Log refuses further appends, because the state of the
// file after a failed write or fsync is unknown (a failed fsync is never
// retried as success). Close and Open the log again, which re-verifies the
// tail, or better, restart the process.
func (l *Log) Append(payloads [][]byte) (first Position, err error) {
	return l.AppendPositions(payloads, nil)
}

// AppendPositions is Append that also stores each frame's position in
// positions (when it is not nil, it must be as long as payloads).
func (l *Log) AppendPositions(payloads [][]byte, positions []Position) (first Position, err error) {
	if positions != nil && len(positions) != len(payloads) {
		panic("BUG: journal: positions and payloads differ in length")
	}
	if err := checkBatch(payloads); err != nil {
		return Position{}, err
	}
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if l.err != nil {
		return Position{}, l.err
	}
	if len(payloads) == 0 {
		return l.End(), nil
	}
	a := appender{log: l, seg: l.end.Segment, off: l.end.Offset, bufAt: l.end.Offset}
	first, err = a.run(payloads, positions)
	if cap(l.buf) > writeBytesMax {
		l.buf = nil // a huge record grew it; do not keep it
	}
	if err != nil {
		l.err = fmt.Errorf("journal: append failed, log refuses further appends: %w", err)
		return Position{}, l.err
	}
	l.publish(a.seg, a.off, a.rolled)
	return first, nil
}

func checkBatch(payloads [][]byte) error {
	if len(payloads) > appendRecordsMax {
		return fmt.Errorf("%w: %d records, limit %d", ErrBatchTooLarge, len(payloads), appendRecordsMax)
	}
	for i, p := range payloads {
		if len(p) > recordBytesMax {
			return fmt.Errorf("%w: record %d is %d bytes, limit %d", ErrRecordTooLarge, i, len(p), recordBytesMax)
		}
	}
	return nil
}

// appender is the state of one Append between its start and publish.
type appender struct {
	log    *Log
	seg    uint64  // segment being written
	off    int64   // end of the frames placed so far in seg
	bufAt  int64   // segment offset of log.buf[0]
	rolled []int64 // final sizes of the segments this batch finished
}

func (a *appender) run(payloads [][]byte, positions []Position) (Position, error) {
	l := a.log
	if l.buf == nil {
		l.buf = make([]byte, 0, writeBytesMax)
	}
	l.buf = l.buf[:0]
	var first Position
	for i, p := range payloads {
		frameBytes := int64(frameHeaderBytes + len(p))
		if a.off > segmentHeaderBytes && a.off+frameBytes > l.opts.SegmentBytesMax {
			if err := a.roll(); err != nil {
				return Position{}, err
			}
		}
		if len(l.buf) > 0 && len(l.buf)+int(frameBytes) > writeBytesMax {
			if err := a.flush(); err != nil {
				return Position{}, err
			}
		}
		if i == 0 {
			first = Position{Segment: a.seg, Offset: a.off}
		}
		if positions != nil {
			positions[i] = Position{Segment: a.seg, Offset: a.off}
		}
		l.buf = appendFrame(l.buf, p)
		a.off += frameBytes
	}
	if err := a.flush(); err != nil {
		return Position{}, err
	}
	if err := a.sync(); err != nil {
		return Position{}, err
	}
	return first, nil
}

// flush writes the buffered frames at their place in the current segment.
func (a *appender) flush() error {
	l := a.log
	if a.bufAt+int64(len(l.buf)) != a.off {
		panic(fmt.Sprintf("BUG: journal: buffer [%d,+%d) does not end at %d", a.bufAt, len(l.buf), a.off))
	}
	if len(l.buf) > 0 {
		if _, err := l.file.WriteAt(l.buf, a.bufAt); err != nil {
			return fmt.Errorf("journal: write: %w", err)
		}
	}
	l.buf = l.buf[:0]
	a.bufAt = a.off
	return nil
}

func (a *appender) sync() error {
	if a.log.opts.NoSync {
		return nil
	}
	return a.log.syncData(a.log.file)
}

// roll finishes the current segment durably and starts the next one.
func (a *appender) roll() error {
	l := a.log
	if err := a.flush(); err != nil {
		return err
	}
	if err := a.sync(); err != nil {
		return err
	}
	next, err := createSegment(l.dir, a.seg+1, !l.opts.NoSync)
	if err != nil {
		return err
	}
	if err := l.file.Close(); err != nil {
		next.Close()
		return fmt.Errorf("journal: close finished segment: %w", err)
	}
	l.file = next
	a.rolled = append(a.rolled, a.off)
	a.seg++
	a.off, a.bufAt = segmentHeaderBytes, segmentHeaderBytes
	return nil
}

// publish makes a successful append visible to End, SizeBytes and readers.
func (l *Log) publish(seg uint64, off int64, rolled []int64) {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	if seg != l.end.Segment+uint64(len(rolled)) || off < segmentHeaderBytes {
		panic(fmt.Sprintf("BUG: journal: publish %d:%d from %v with %d rolls", seg, off, l.end, len(rolled)))
	}
	sizes := append(rolled, off)
	l.sizeBytes -= l.segSizes[len(l.segSizes)-1]
	l.segSizes = append(l.segSizes[:len(l.segSizes)-1], sizes...)
	for _, size := range sizes {
		l.sizeBytes += size
	}
	l.end = Position{Segment: seg, Offset: off}
}
