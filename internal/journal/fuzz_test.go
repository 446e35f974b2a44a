package journal

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzDecodeFrame(f *testing.F) {
	f.Add(appendFrame(nil, []byte("hello")))
	f.Add(appendFrame(appendFrame(nil, nil), []byte("second")))
	f.Add(make([]byte, frameHeaderBytes))
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		payload, frameBytes, status := decodeFrame(b)
		if status != frameOK {
			if payload != nil {
				t.Fatalf("status %v with a payload", status)
			}
		} else {
			if frameBytes != int64(frameHeaderBytes+len(payload)) || frameBytes > int64(len(b)) {
				t.Fatalf("frameBytes %d for a %d-byte payload in %d bytes", frameBytes, len(payload), len(b))
			}
			if !bytes.Equal(appendFrame(nil, payload), b[:frameBytes]) {
				t.Fatal("valid frame does not re-encode to itself")
			}
		}
		got, _, status := decodeFrame(appendFrame(nil, b))
		if status != frameOK || !bytes.Equal(got, b) {
			t.Fatalf("round trip: %v", status)
		}
	})
}

// FuzzOpen writes fuzz bytes as the frames of a segment and checks that Open
// either reports corruption or yields only valid frames that account for
// every byte it kept.
func FuzzOpen(f *testing.F) {
	valid := appendFrame(appendFrame(appendFrame(nil, []byte("a")), nil), bytes.Repeat([]byte("xyz"), 30))
	f.Add(valid, false)
	f.Add(valid, true)
	f.Add(valid[:len(valid)-3], false)
	f.Add(append(bytes.Clone(valid), 0, 0, 0, 0, 0, 0, 0, 0, 0), false)
	f.Add([]byte{9, 0, 0, 0}, true)
	f.Fuzz(func(t *testing.T, frames []byte, middle bool) {
		dir := t.TempDir()
		writeSegment(t, dir, 1, append(encodeSegmentHeader(1), frames...))
		if middle {
			writeSegment(t, dir, 2, encodeSegmentHeader(2))
		}
		l, err := Open(dir, Options{NoSync: true})
		var ce *CorruptionError
		if err != nil {
			if !errors.As(err, &ce) {
				t.Fatalf("Open failed without a CorruptionError: %v", err)
			}
			return
		}
		defer closeLog(t, l)
		rec := l.Recovered()
		if middle && rec.TruncatedBytes != 0 {
			t.Fatalf("cut %d bytes from a middle segment", rec.TruncatedBytes)
		}
		if !middle {
			if kept := l.End().Offset - segmentHeaderBytes; kept+rec.TruncatedBytes != int64(len(frames)) {
				t.Fatalf("kept %d + cut %d != %d bytes", kept, rec.TruncatedBytes, len(frames))
			}
		}
		read := int64(0)
		for _, fr := range readAll(t, l, Position{Segment: 1, Offset: segmentHeaderBytes}) {
			if fr.pos.Segment == 1 {
				read += int64(frameHeaderBytes + len(fr.payload))
			}
		}
		if want := l.segSizes[0] - segmentHeaderBytes; read != want {
			t.Fatalf("frames of segment 1 span %d bytes, segment keeps %d", read, want)
		}
		if _, err := l.Append([][]byte{[]byte("after")}); err != nil {
			t.Fatalf("Append after Open: %v", err)
		}
	})
}
