package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// payloadFor returns the deterministic payload of record i: lengths cycle
// through 0..sizeMax-1 so frames straddle every alignment.
func payloadFor(i, sizeMax int) []byte {
	p := make([]byte, i%sizeMax)
	for j := range p {
		p[j] = byte(i*31 + j)
	}
	return p
}

func openLog(t testing.TB, dir string, opts Options) *Log {
	t.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return l
}

func closeLog(t testing.TB, l *Log) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// appendRecords appends records [from, to) in batches of batchRecords and
// returns the position of each.
func appendRecords(t testing.TB, l *Log, from, to, batchRecords, sizeMax int) []Position {
	t.Helper()
	var positions []Position
	for i := from; i < to; i += batchRecords {
		var batch [][]byte
		for j := i; j < min(i+batchRecords, to); j++ {
			batch = append(batch, payloadFor(j, sizeMax))
		}
		first, err := l.Append(batch)
		if err != nil {
			t.Fatalf("Append records %d..: %v", i, err)
		}
		pos := first
		for _, p := range batch {
			if pos.Offset > segmentHeaderBytes && pos.Offset+int64(frameHeaderBytes+len(p)) > l.opts.SegmentBytesMax {
				pos = Position{Segment: pos.Segment + 1, Offset: segmentHeaderBytes}
			}
			positions = append(positions, pos)
			pos.Offset += int64(frameHeaderBytes + len(p))
		}
		if pos != l.End() {
			t.Fatalf("after batch at %d: computed end %v, End() %v", i, pos, l.End())
		}
	}
	return positions
}

type frameRead struct {
	pos     Position
	payload []byte
}

func readAll(t testing.TB, l *Log, from Position) []frameRead {
	t.Helper()
	r, err := l.NewReader(from)
	if err != nil {
		t.Fatalf("NewReader(%v): %v", from, err)
	}
	defer r.Close()
	var frames []frameRead
	for r.Next() {
		frames = append(frames, frameRead{pos: r.Pos(), payload: bytes.Clone(r.Payload())})
	}
	if err := r.Err(); err != nil {
		t.Fatalf("Reader from %v: %v", from, err)
	}
	return frames
}

// checkRecords asserts that the log holds exactly records [0, count) at
// positions (if given).
func checkRecords(t testing.TB, l *Log, count, sizeMax int, positions []Position) {
	t.Helper()
	frames := readAll(t, l, Position{Segment: 1, Offset: segmentHeaderBytes})
	if len(frames) != count {
		t.Fatalf("read %d records, want %d", len(frames), count)
	}
	for i, f := range frames {
		if !bytes.Equal(f.payload, payloadFor(i, sizeMax)) {
			t.Fatalf("record %d at %v: payload mismatch", i, f.pos)
		}
		if positions != nil && f.pos != positions[i] {
			t.Fatalf("record %d at %v, Append said %v", i, f.pos, positions[i])
		}
	}
}

func segmentFilesBytes(t testing.TB, dir string) (count int, total int64) {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range matches {
		info, err := os.Stat(m)
		if err != nil {
			t.Fatal(err)
		}
		total += info.Size()
	}
	return len(matches), total
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name            string
		segmentBytesMax int64
		records         int
		batchRecords    int
		sizeMax         int
		segmentsMin     int
	}{
		{"one segment", 0, 1000, 100, 300, 1},
		{"many rolls", 1024, 3000, 7, 200, 100},
		{"batch spans segments", 4096, 2000, 500, 100, 25},
		{"records larger than segments", segmentBytesMaxMin, 200, 3, 90, 150},
		{"empty payloads", 64, 500, 10, 1, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{SegmentBytesMax: tc.segmentBytesMax, NoSync: true}
			l := openLog(t, dir, opts)
			defer closeLog(t, l)
			positions := appendRecords(t, l, 0, tc.records, tc.batchRecords, tc.sizeMax)
			checkRecords(t, l, tc.records, tc.sizeMax, positions)
			count, total := segmentFilesBytes(t, dir)
			if count < tc.segmentsMin || uint64(count) != l.End().Segment {
				t.Errorf("%d segment files, End %v, want at least %d", count, l.End(), tc.segmentsMin)
			}
			if total != l.SizeBytes() {
				t.Errorf("SizeBytes %d, files hold %d", l.SizeBytes(), total)
			}
		})
	}
}

func TestReopenAndContinue(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytesMax: 2048}
	const rounds, perRound, sizeMax = 4, 150, 120
	var positions []Position
	for round := range rounds {
		l := openLog(t, dir, opts)
		if rec := l.Recovered(); rec.TruncatedBytes != 0 {
			t.Fatalf("round %d: clean log recovered %+v", round, rec)
		}
		checkRecords(t, l, round*perRound, sizeMax, positions)
		positions = append(positions, appendRecords(t, l, round*perRound, (round+1)*perRound, 13, sizeMax)...)
		closeLog(t, l)
	}
	l := openLog(t, dir, opts)
	defer closeLog(t, l)
	checkRecords(t, l, rounds*perRound, sizeMax, positions)
}

func TestEmptyBatch(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{NoSync: true})
	defer closeLog(t, l)
	for _, batch := range [][][]byte{nil, {}} {
		first, err := l.Append(batch)
		if err != nil || first != l.End() || l.End().Offset != segmentHeaderBytes {
			t.Fatalf("Append(%v) = %v, %v; End %v", batch, first, err, l.End())
		}
	}
}

func TestZeroHeaderIsNotAFrame(t *testing.T) {
	if frameChecksum(make([]byte, 4), nil) == 0 {
		t.Fatal("CRC32C of a zero length is 0: a zero-filled tail would decode as empty frames")
	}
	if _, _, status := decodeFrame(make([]byte, frameHeaderBytes)); status != frameBadCRC {
		t.Fatalf("zero header decodes as %v", status)
	}
}

// segmentBytes returns the content of segment index of dir.
func segmentBytes(t testing.TB, dir string, index uint64) []byte {
	t.Helper()
	b, err := os.ReadFile(segmentPath(dir, index))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeSegment(t testing.TB, dir string, index uint64, b []byte) {
	t.Helper()
	if err := os.WriteFile(segmentPath(dir, index), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// tailDamages are crash leftovers at the end of the last segment that Open
// must cut away. lastStart is where the last frame starts.
var tailDamages = []struct {
	name     string
	apply    func(seg []byte, lastStart int64) []byte
	keepLast bool // the last record survives; only what follows it is cut
}{
	{"bad checksum in last frame", func(s []byte, _ int64) []byte { s[len(s)-1] ^= 0x40; return s }, false},
	{"bad checksum then zeros", func(s []byte, _ int64) []byte {
		s[len(s)-1] ^= 0x01
		return append(s, make([]byte, 100)...)
	}, false},
	{"last frame zeroed", func(s []byte, lastStart int64) []byte { clear(s[lastStart:]); return s }, false},
	{"short zero tail", func(s []byte, _ int64) []byte { return append(s, make([]byte, 5)...) }, true},
	{"zero-filled tail", func(s []byte, _ int64) []byte { return append(s, make([]byte, 4096)...) }, true},
	{"header of a frame that was never written", func(s []byte, _ int64) []byte {
		return binary.LittleEndian.AppendUint64(s, 1000)
	}, true},
}

func TestTornTail(t *testing.T) {
	const sizeMax = 50
	tests := []struct {
		name            string
		segmentBytesMax int64
		records         int
	}{
		{"last record shares its segment", 0, 20},
		{"last record alone in its segment", segmentBytesMaxMin, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{SegmentBytesMax: tc.segmentBytesMax, NoSync: true}
			l := openLog(t, dir, opts)
			// Record 19 is 19 bytes long: its frame is 27 bytes.
			positions := appendRecords(t, l, 0, tc.records, 1, sizeMax)
			closeLog(t, l)
			lastStart := positions[len(positions)-1]
			whole := segmentBytes(t, dir, lastStart.Segment)
			for cut := lastStart.Offset; cut < int64(len(whole)); cut++ {
				writeSegment(t, dir, lastStart.Segment, whole[:cut])
				want := Recovery{TruncatedBytes: cut - lastStart.Offset, At: lastStart}
				checkRecovery(t, dir, opts, tc.records-1, sizeMax, want)
			}
			for _, damage := range tailDamages {
				t.Run(damage.name, func(t *testing.T) {
					// Undo the roll that an earlier checkRecovery may have made.
					if err := os.Remove(segmentPath(dir, lastStart.Segment+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
						t.Fatal(err)
					}
					damaged := damage.apply(bytes.Clone(whole), lastStart.Offset)
					writeSegment(t, dir, lastStart.Segment, damaged)
					keep, at := tc.records-1, lastStart
					if damage.keepLast {
						keep, at = tc.records, Position{Segment: lastStart.Segment, Offset: int64(len(whole))}
					}
					want := Recovery{TruncatedBytes: int64(len(damaged)) - at.Offset, At: at}
					checkRecovery(t, dir, opts, keep, sizeMax, want)
				})
			}
		})
	}
}

// checkRecovery opens dir, expects recovery to cut want and keep records
// [0, keep), then appends record keep and checks that it survives a reopen.
// It leaves the last segment holding records [0, keep].
func checkRecovery(t *testing.T, dir string, opts Options, keep, sizeMax int, want Recovery) {
	t.Helper()
	l := openLog(t, dir, opts)
	rec := l.Recovered()
	if rec.TruncatedBytes != want.TruncatedBytes || (want.TruncatedBytes > 0 && rec.At != want.At) {
		t.Fatalf("Recovered() = %+v, want %d bytes cut at %v", rec, want.TruncatedBytes, want.At)
	}
	if want.TruncatedBytes > 0 && rec.Reason == "" {
		t.Errorf("Recovered() gives no reason: %+v", rec)
	}
	checkRecords(t, l, keep, sizeMax, nil)
	appendRecords(t, l, keep, keep+1, 1, sizeMax)
	closeLog(t, l)
	l = openLog(t, dir, opts)
	defer closeLog(t, l)
	if rec := l.Recovered(); rec.TruncatedBytes != 0 {
		t.Fatalf("second Open recovered %+v", rec)
	}
	checkRecords(t, l, keep+1, sizeMax, nil)
}

func TestStickyError(t *testing.T) {
	errInjected := errors.New("injected EIO")
	tests := []struct {
		name   string
		inject func(l *Log) (restore func())
	}{
		{"fsync fails", func(l *Log) func() {
			l.syncData = func(*os.File) error { return errInjected }
			return func() { l.syncData = fdatasync }
		}},
		{"write fails", func(l *Log) func() {
			good := l.file
			bad, err := os.Open(good.Name()) // read-only: WriteAt fails
			if err != nil {
				t.Fatal(err)
			}
			l.file = bad
			return func() { bad.Close(); l.file = good }
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := openLog(t, dir, Options{})
			appendRecords(t, l, 0, 10, 5, 40)
			end := l.End()
			restore := tc.inject(l)
			_, err := l.Append([][]byte{[]byte("lost")})
			if err == nil {
				t.Fatal("Append succeeded despite the fault")
			}
			restore()
			_, again := l.Append([][]byte{[]byte("retry")})
			if again == nil || again.Error() != err.Error() {
				t.Fatalf("Append after failure = %v, want the sticky %v", again, err)
			}
			if l.End() != end {
				t.Fatalf("End moved from %v to %v after failed appends", end, l.End())
			}
			closeLog(t, l)
			l = openLog(t, dir, Options{})
			defer closeLog(t, l)
			// The failed frame may or may not have reached the file; the
			// records before it must all be there.
			if frames := readAll(t, l, Position{Segment: 1, Offset: segmentHeaderBytes}); len(frames) < 10 {
				t.Fatalf("reopened log holds %d records, want at least 10", len(frames))
			}
		})
	}
}

func TestAppendLimits(t *testing.T) {
	tests := []struct {
		name  string
		batch [][]byte
		want  error
	}{
		{"record too large", [][]byte{nil, make([]byte, recordBytesMax+1)}, ErrRecordTooLarge},
		{"too many records", make([][]byte, appendRecordsMax+1), ErrBatchTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := openLog(t, t.TempDir(), Options{NoSync: true})
			defer closeLog(t, l)
			if _, err := l.Append(tc.batch); !errors.Is(err, tc.want) {
				t.Fatalf("Append = %v, want %v", err, tc.want)
			}
			// Rejected input is not a failure of the log.
			appendRecords(t, l, 0, 3, 3, 10)
			checkRecords(t, l, 3, 10, nil)
		})
	}
}

func TestLargestRecord(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{NoSync: true, SegmentBytesMax: 1 << 20})
	defer closeLog(t, l)
	big := bytes.Repeat([]byte{0xAB}, recordBytesMax)
	if _, err := l.Append([][]byte{[]byte("small"), big, []byte("after")}); err != nil {
		t.Fatal(err)
	}
	frames := readAll(t, l, Position{Segment: 1, Offset: segmentHeaderBytes})
	if len(frames) != 3 || !bytes.Equal(frames[1].payload, big) || string(frames[2].payload) != "after" {
		t.Fatalf("read back %d frames, big intact: %v", len(frames), len(frames) == 3 && bytes.Equal(frames[1].payload, big))
	}
	if frames[1].pos.Segment != 2 || frames[2].pos.Segment != 3 {
		t.Fatalf("the oversized record should have a segment of its own: %v %v", frames[1].pos, frames[2].pos)
	}
}

func TestNewReader(t *testing.T) {
	const records, sizeMax = 300, 70
	dir := t.TempDir()
	l := openLog(t, dir, Options{SegmentBytesMax: 1500, NoSync: true})
	defer closeLog(t, l)
	positions := appendRecords(t, l, 0, records, 11, sizeMax)
	end := l.End()
	segEnd := Position{Segment: 2, Offset: l.segSizes[1]} // end of segment 2 = start of 3
	for _, from := range []Position{positions[0], positions[1], positions[150], segEnd, positions[records-1], end} {
		t.Run(from.String(), func(t *testing.T) {
			want := positions
			for len(want) > 0 && want[0].Segment < from.Segment || len(want) > 0 && want[0].Segment == from.Segment && want[0].Offset < from.Offset {
				want = want[1:]
			}
			frames := readAll(t, l, from)
			if len(frames) != len(want) {
				t.Fatalf("read %d frames, want %d", len(frames), len(want))
			}
			for i, f := range frames {
				k := records - len(want) + i
				if f.pos != want[i] || !bytes.Equal(f.payload, payloadFor(k, sizeMax)) {
					t.Fatalf("frame %d at %v, want record %d at %v", i, f.pos, k, want[i])
				}
			}
		})
	}
	for _, bad := range []Position{{}, {Segment: 1, Offset: 3}, {Segment: end.Segment, Offset: end.Offset + 1}, {Segment: end.Segment + 1, Offset: segmentHeaderBytes}} {
		if _, err := l.NewReader(bad); !errors.Is(err, ErrBadPosition) {
			t.Errorf("NewReader(%v) = %v, want ErrBadPosition", bad, err)
		}
	}
	r, err := l.NewReader(Position{Segment: 1, Offset: segmentHeaderBytes + 1})
	if err != nil {
		t.Fatal(err)
	}
	var ce *CorruptionError
	for r.Next() {
	}
	if !errors.As(r.Err(), &ce) {
		t.Errorf("reader from inside a frame: Err() = %v, want *CorruptionError", r.Err())
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReaderSeesOnlyDurableEnd(t *testing.T) {
	const sizeMax = 30
	l := openLog(t, t.TempDir(), Options{SegmentBytesMax: 512, NoSync: true})
	defer closeLog(t, l)
	appendRecords(t, l, 0, 50, 5, sizeMax)
	r, err := l.NewReader(Position{Segment: 1, Offset: segmentHeaderBytes})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < 20 && r.Next(); i++ {
	}
	resume := r.NextPos()
	appendRecords(t, l, 50, 100, 5, sizeMax) // rolls segments under the reader
	n := 20
	for r.Next() {
		n++
	}
	if r.Err() != nil || n != 50 {
		t.Fatalf("reader saw %d records (err %v), want the 50 of its creation time", n, r.Err())
	}
	frames := readAll(t, l, resume)
	if len(frames) != 80 || !bytes.Equal(frames[0].payload, payloadFor(20, sizeMax)) {
		t.Fatalf("resumed reader read %d records, want 80 starting with record 20", len(frames))
	}
}

func TestClosed(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{NoSync: true})
	closeLog(t, l)
	if _, err := l.Append([][]byte{nil}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v", err)
	}
	if _, err := l.NewReader(l.End()); !errors.Is(err, ErrClosed) {
		t.Errorf("NewReader after Close = %v", err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v", err)
	}
}

func TestUnfinishedSegmentIsRemoved(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, Options{NoSync: true})
	appendRecords(t, l, 0, 5, 5, 10)
	closeLog(t, l)
	temp := strings.TrimSuffix(segmentPath(dir, 2), segmentSuffix) + segmentTempSuffix
	if err := os.WriteFile(temp, []byte("TAPE"), 0o644); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, Options{NoSync: true})
	defer closeLog(t, l)
	if _, err := os.Stat(temp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("unfinished segment %s still there: %v", temp, err)
	}
	checkRecords(t, l, 5, 10, nil)
	if got := fmt.Sprint(l.End()); got != fmt.Sprintf("1:%d", l.SizeBytes()) {
		t.Fatalf("End %s, SizeBytes %d", got, l.SizeBytes())
	}
}

// TestConcurrentReaders runs readers while appends roll segments; each
// reader must see a prefix of the records, in order. Run with -race.
func TestConcurrentReaders(t *testing.T) {
	const records, batchRecords, sizeMax, readers = 2000, 10, 40, 2
	l := openLog(t, t.TempDir(), Options{SegmentBytesMax: 1024, NoSync: true})
	defer closeLog(t, l)
	done := make(chan error, readers)
	for range readers {
		go func() {
			done <- readPrefixesUntil(l, records, sizeMax)
		}()
	}
	appendRecords(t, l, 0, records, batchRecords, sizeMax)
	for range readers {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// readPrefixesUntil reads the log from the start, again and again, until it
// has seen all records.
func readPrefixesUntil(l *Log, records, sizeMax int) error {
	for attempt := 0; attempt < 1_000_000; attempt++ {
		r, err := l.NewReader(Position{Segment: 1, Offset: segmentHeaderBytes})
		if err != nil {
			return err
		}
		n := 0
		for ; r.Next(); n++ {
			if !bytes.Equal(r.Payload(), payloadFor(n, sizeMax)) {
				r.Close()
				return fmt.Errorf("record %d at %v: payload mismatch", n, r.Pos())
			}
		}
		if err := errors.Join(r.Err(), r.Close()); err != nil {
			return fmt.Errorf("reader: %w", err)
		}
		if n == records {
			return nil
		}
	}
	return errors.New("appends never finished")
}
