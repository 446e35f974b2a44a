package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// corruptionLog is the log the corruption tests damage: segments of about
// 1 KiB, so segment 2 is a middle segment and the last one holds many frames.
const (
	corruptionRecords = 200
	corruptionSizeMax = 60
	corruptionSegMax  = 1024
)

func TestCorruption(t *testing.T) {
	tests := []struct {
		name string
		// damage changes dir and returns the segment and offset that the
		// error must name.
		damage func(t *testing.T, dir string, pos []Position, last uint64) (uint64, int64)
	}{
		{"bad checksum mid last segment", func(t *testing.T, dir string, pos []Position, last uint64) (uint64, int64) {
			p := firstInSegment(pos, last, 2)
			flipByte(t, dir, p, frameHeaderBytes+1)
			return p.Segment, p.Offset
		}},
		{"bad checksum in a middle segment", func(t *testing.T, dir string, pos []Position, _ uint64) (uint64, int64) {
			p := firstInSegment(pos, 2, 3)
			flipByte(t, dir, p, frameHeaderBytes)
			return p.Segment, p.Offset
		}},
		{"bad checksum in the last frame of a middle segment", func(t *testing.T, dir string, pos []Position, _ uint64) (uint64, int64) {
			p := firstInSegment(pos, 3, 0) // first frame of segment 3 ...
			p = pos[indexOf(pos, p)-1]     // ... minus one: last frame of segment 2
			flipByte(t, dir, p, 5)
			return p.Segment, p.Offset
		}},
		{"checksum field flipped", func(t *testing.T, dir string, pos []Position, last uint64) (uint64, int64) {
			p := firstInSegment(pos, last, 1)
			flipByte(t, dir, p, 4)
			return p.Segment, p.Offset
		}},
		{"length above the record limit in the last frame", func(t *testing.T, dir string, pos []Position, _ uint64) (uint64, int64) {
			p := pos[len(pos)-1]
			b := segmentBytes(t, dir, p.Segment)
			binary.LittleEndian.PutUint32(b[p.Offset:], recordBytesMax+1)
			writeSegment(t, dir, p.Segment, b)
			return p.Segment, p.Offset
		}},
		{"zeroed length with the payload still there", func(t *testing.T, dir string, pos []Position, _ uint64) (uint64, int64) {
			p := pos[len(pos)-1]
			b := segmentBytes(t, dir, p.Segment)
			clear(b[p.Offset : p.Offset+4])
			writeSegment(t, dir, p.Segment, b)
			return p.Segment, p.Offset
		}},
		{"bad last frame then garbage", func(t *testing.T, dir string, pos []Position, last uint64) (uint64, int64) {
			p := pos[len(pos)-1]
			b := segmentBytes(t, dir, last)
			b[len(b)-1] ^= 1
			writeSegment(t, dir, last, append(b, 0, 0, 7, 0))
			return p.Segment, p.Offset
		}},
		{"middle segment cut mid-frame", func(t *testing.T, dir string, pos []Position, _ uint64) (uint64, int64) {
			p := firstInSegment(pos, 2, 4)
			writeSegment(t, dir, 2, segmentBytes(t, dir, 2)[:p.Offset+3])
			return p.Segment, p.Offset
		}},
		{"middle segment cut mid-header", func(t *testing.T, dir string, _ []Position, _ uint64) (uint64, int64) {
			writeSegment(t, dir, 2, segmentBytes(t, dir, 2)[:segmentHeaderBytes-1])
			return 2, 0
		}},
		{"bad magic", func(t *testing.T, dir string, _ []Position, _ uint64) (uint64, int64) {
			flipByte(t, dir, Position{Segment: 2}, 0)
			return 2, 0
		}},
		{"unknown format version", func(t *testing.T, dir string, _ []Position, last uint64) (uint64, int64) {
			flipByte(t, dir, Position{Segment: last}, 8)
			return last, 0
		}},
		{"header names another segment", func(t *testing.T, dir string, _ []Position, _ uint64) (uint64, int64) {
			flipByte(t, dir, Position{Segment: 3}, 12)
			return 3, 0
		}},
		{"missing middle segment", func(t *testing.T, dir string, _ []Position, _ uint64) (uint64, int64) {
			removeFile(t, segmentPath(dir, 3))
			return 4, 0
		}},
		{"missing first segment", func(t *testing.T, dir string, _ []Position, _ uint64) (uint64, int64) {
			removeFile(t, segmentPath(dir, 1))
			return 2, 0
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, positions := buildCorruptionLog(t)
			last := positions[len(positions)-1].Segment
			seg, off := tc.damage(t, dir, positions, last)
			_, err := Open(dir, Options{SegmentBytesMax: corruptionSegMax, NoSync: true})
			checkCorruption(t, err, segmentPath(dir, seg), off)
		})
	}
}

func buildCorruptionLog(t *testing.T) (string, []Position) {
	t.Helper()
	dir := t.TempDir()
	l := openLog(t, dir, Options{SegmentBytesMax: corruptionSegMax, NoSync: true})
	positions := appendRecords(t, l, 0, corruptionRecords, 9, corruptionSizeMax)
	closeLog(t, l)
	if last := positions[len(positions)-1].Segment; last < 5 {
		t.Fatalf("corruption log has %d segments; the cases need 5", last)
	}
	return dir, positions
}

func checkCorruption(t *testing.T, err error, segment string, offset int64) {
	t.Helper()
	var ce *CorruptionError
	if !errors.As(err, &ce) {
		t.Fatalf("Open error = %v, want *CorruptionError", err)
	}
	if ce.Segment != segment || ce.Offset != offset {
		t.Fatalf("CorruptionError names %s at %d (%s), want %s at %d", ce.Segment, ce.Offset, ce.Reason, segment, offset)
	}
	if msg := err.Error(); !strings.Contains(msg, segment) || !strings.Contains(msg, fmt.Sprint(offset)) {
		t.Fatalf("error %q does not name the segment and offset", msg)
	}
}

// firstInSegment returns the position of the nth frame of segment seg.
func firstInSegment(positions []Position, seg uint64, nth int) Position {
	for i, p := range positions {
		if p.Segment == seg {
			return positions[i+nth]
		}
	}
	panic(fmt.Sprintf("no frame in segment %d", seg))
}

func indexOf(positions []Position, p Position) int {
	for i, q := range positions {
		if q == p {
			return i
		}
	}
	panic(fmt.Sprintf("no frame at %v", p))
}

// flipByte flips a bit of the byte at p.Offset+delta.
func flipByte(t *testing.T, dir string, p Position, delta int64) {
	t.Helper()
	b := segmentBytes(t, dir, p.Segment)
	b[p.Offset+delta] ^= 0x10
	writeSegment(t, dir, p.Segment, b)
}

func removeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyFrom(t *testing.T) {
	tests := []struct {
		name string
		// damage changes dir and returns VerifyFrom; wantErr is whether
		// Open must fail.
		damage  func(t *testing.T, dir string, pos []Position, last uint64) Position
		wantErr bool
	}{
		{"bad frame before the trusted position is not read", func(t *testing.T, dir string, pos []Position, last uint64) Position {
			flipByte(t, dir, firstInSegment(pos, 2, 1), frameHeaderBytes)
			flipByte(t, dir, firstInSegment(pos, last, 0), frameHeaderBytes)
			return firstInSegment(pos, last, 1)
		}, false},
		{"bad frame after the trusted position", func(t *testing.T, dir string, pos []Position, last uint64) Position {
			flipByte(t, dir, firstInSegment(pos, last, 2), frameHeaderBytes)
			return firstInSegment(pos, last-1, 1)
		}, true},
		{"bad header before the trusted position", func(t *testing.T, dir string, pos []Position, last uint64) Position {
			flipByte(t, dir, Position{Segment: 2}, 3)
			return firstInSegment(pos, last, 0)
		}, true},
		{"trusted position past the end of its segment", func(t *testing.T, dir string, pos []Position, last uint64) Position {
			return Position{Segment: last, Offset: 1 << 30}
		}, true},
		{"trusted position in a missing segment", func(t *testing.T, dir string, pos []Position, last uint64) Position {
			return Position{Segment: last + 1, Offset: segmentHeaderBytes}
		}, true},
		{"trusted position at the end of the log", func(t *testing.T, dir string, pos []Position, last uint64) Position {
			return Position{Segment: last, Offset: int64(len(segmentBytes(t, dir, last)))}
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, positions := buildCorruptionLog(t)
			last := positions[len(positions)-1].Segment
			from := tc.damage(t, dir, positions, last)
			l, err := Open(dir, Options{SegmentBytesMax: corruptionSegMax, NoSync: true, VerifyFrom: from})
			var ce *CorruptionError
			if tc.wantErr {
				if !errors.As(err, &ce) {
					t.Fatalf("Open = %v, want *CorruptionError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			closeLog(t, l)
		})
	}
}

func TestVerifyFromEmptyLog(t *testing.T) {
	_, err := Open(t.TempDir(), Options{NoSync: true, VerifyFrom: Position{Segment: 1, Offset: 100}})
	var ce *CorruptionError
	if !errors.As(err, &ce) {
		t.Fatalf("Open of an empty log trusted up to 1:100 = %v, want *CorruptionError", err)
	}
}

func TestVerifyFromTornTail(t *testing.T) {
	dir, positions := buildCorruptionLog(t)
	lastStart := positions[len(positions)-1]
	b := segmentBytes(t, dir, lastStart.Segment)
	writeSegment(t, dir, lastStart.Segment, b[:len(b)-1])
	from := positions[len(positions)-2]
	l := openLog(t, dir, Options{SegmentBytesMax: corruptionSegMax, NoSync: true, VerifyFrom: from})
	defer closeLog(t, l)
	if rec := l.Recovered(); rec.At != lastStart || rec.TruncatedBytes != int64(len(b))-1-lastStart.Offset {
		t.Fatalf("Recovered() = %+v, want cut at %v", rec, lastStart)
	}
	checkRecords(t, l, corruptionRecords-1, corruptionSizeMax, positions)
}
