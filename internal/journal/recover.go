package journal

import (
	"fmt"
	"os"
)

const zeroCheckChunkBytes = 64 << 10

// Torn tail or corruption?
//
// A crash can leave the end of the last segment half-written: frames that
// were written but never made durable, cut short or zero-filled (blocks the
// file size covers but whose data never reached the disk). Open cuts such a
// torn tail away. The scan stops at the first frame that is not valid, and
// that frame starts a torn tail only if it is in the last segment and one of:
//
//   - fewer than frameHeaderBytes bytes remain (torn frame header);
//   - its declared length is within recordBytesMax but reaches past the end
//     of the file (torn payload);
//   - its checksum fails and every byte after its declared end, up to the end
//     of the file, is zero (a torn last frame, perhaps followed by a
//     zero-filled tail; a zeroed header fails the checksum too).
//
// Everything else is corruption and fails Open with a *CorruptionError: a
// bad frame followed by any non-zero byte (such as a valid frame), a declared
// length above recordBytesMax, any defect in a segment other than the last,
// a bad segment header or a missing segment. Nothing is ever skipped.
//
// Limitation: a bit flip in the length field of one of the last frames, if it
// makes the frame reach past the end of the file, looks exactly like a torn
// payload; the frames after it are cut away. Recovered reports every cut.

// recoverSegments checks the segments of dir and returns their sizes once
// the torn tail, if any, is cut away, and a description of that tail. It
// does not modify the files.
func recoverSegments(dir string, indexes []uint64, verifyFrom Position) ([]int64, Recovery, error) {
	last := indexes[len(indexes)-1]
	sc := newFrameScanner()
	sizes := make([]int64, 0, len(indexes))
	var recovery Recovery
	for _, index := range indexes {
		size, rec, err := recoverSegment(sc, dir, index, index == last, verifyFrom)
		if err != nil {
			return nil, Recovery{}, err
		}
		sizes = append(sizes, size)
		recovery = rec
	}
	return sizes, recovery, nil
}

// checkVerifyFrom rejects a trusted position that the log cannot hold:
// segments 1..last exist.
func checkVerifyFrom(dir string, verifyFrom Position, last uint64) error {
	if verifyFrom == (Position{}) {
		return nil
	}
	if verifyFrom.Segment < segmentIndexFirst || verifyFrom.Offset < segmentHeaderBytes {
		return fmt.Errorf("%w: Options.VerifyFrom %v", ErrBadPosition, verifyFrom)
	}
	if verifyFrom.Segment > last {
		return &CorruptionError{
			Segment: segmentPath(dir, verifyFrom.Segment),
			Offset:  verifyFrom.Offset,
			Reason:  fmt.Sprintf("segment is missing, but the caller trusts the log up to %v", verifyFrom),
		}
	}
	return nil
}

// recoverSegment checks one segment and returns the size it keeps.
func recoverSegment(sc *frameScanner, dir string, index uint64, isLast bool, verifyFrom Position) (int64, Recovery, error) {
	f, size, err := openSegment(dir, index, os.O_RDONLY)
	if err != nil {
		return 0, Recovery{}, err
	}
	defer f.Close()
	start := int64(segmentHeaderBytes)
	if index < verifyFrom.Segment {
		return size, Recovery{}, nil // trusted: header checked only
	}
	if index == verifyFrom.Segment {
		if verifyFrom.Offset > size {
			return 0, Recovery{}, &CorruptionError{Segment: f.Name(), Offset: size,
				Reason: fmt.Sprintf("segment ends before %v, which the caller trusts", verifyFrom)}
		}
		start = verifyFrom.Offset
	}
	validEnd, reason, err := scanSegment(sc, f, start, size, isLast)
	if err != nil || validEnd == size {
		return validEnd, Recovery{}, err
	}
	recovery := Recovery{
		TruncatedBytes: size - validEnd,
		At:             Position{Segment: index, Offset: validEnd},
		Reason:         reason,
	}
	return validEnd, recovery, nil
}

// scanSegment checksums the frames of f from start to size. It returns where
// the valid frames end: size, or, in the last segment, the start of a torn
// tail (and why it is torn).
func scanSegment(sc *frameScanner, f *os.File, start, size int64, isLast bool) (validEnd int64, reason string, err error) {
	sc.reset(f, start, size)
	for {
		_, frameBytes, status, err := sc.next()
		if err != nil {
			return 0, "", fmt.Errorf("journal: scan %s: %w", f.Name(), err)
		}
		switch status {
		case frameOK:
			continue
		case frameEnd:
			return size, "", nil
		}
		torn, reason, err := classifyDefect(f, sc.off, frameBytes, status, size, isLast)
		if err != nil {
			return 0, "", err
		}
		if !torn {
			return 0, "", &CorruptionError{Segment: f.Name(), Offset: sc.off, Reason: reason}
		}
		return sc.off, reason, nil
	}
}

// classifyDefect applies the torn-tail rule above to the invalid frame at off.
func classifyDefect(f *os.File, off, frameBytes int64, status frameStatus, size int64, isLast bool) (torn bool, reason string, err error) {
	if !isLast {
		return false, status.String(), nil
	}
	switch status {
	case frameShortHeader:
		return true, "torn frame header", nil
	case frameShortPayload:
		return true, "torn frame payload", nil
	case frameBadCRC:
		zeroAfter, err := allZero(f, off+frameBytes, size)
		if err != nil || !zeroAfter {
			return false, "checksum mismatch followed by more data", err
		}
		if zeroFrame, err := allZero(f, off, off+frameBytes); err != nil || zeroFrame {
			return true, "zero-filled tail", err
		}
		return true, "checksum mismatch in the last frame", nil
	}
	return false, status.String(), nil
}

// allZero reports whether f holds only zero bytes in [from, to).
func allZero(f *os.File, from, to int64) (bool, error) {
	buf := make([]byte, zeroCheckChunkBytes)
	for off := from; off < to; off += int64(len(buf)) {
		chunk := buf[:min(int64(len(buf)), to-off)]
		if _, err := f.ReadAt(chunk, off); err != nil {
			return false, fmt.Errorf("journal: read %s: %w", f.Name(), err)
		}
		for _, b := range chunk {
			if b != 0 {
				return false, nil
			}
		}
	}
	return true, nil
}
