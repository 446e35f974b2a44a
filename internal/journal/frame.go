package journal

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// Frame layout:
//
//	payload length uint32 LE | CRC32C(length bytes + payload) uint32 LE | payload
//
// The checksum covers the length, so a zeroed header (length 0, checksum 0)
// is never a valid frame: CRC32C of four zero bytes is not zero.
const (
	frameHeaderBytes = 4 + 4
	recordBytesMax   = 64 << 20 // largest payload Append accepts
	readBufferBytes  = 1 << 20  // bufio buffer of readers and of the recovery scan
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frameStatus is the outcome of decoding one frame.
type frameStatus uint8

const (
	frameOK           frameStatus = iota
	frameEnd                      // no bytes left: a clean end
	frameShortHeader              // fewer than frameHeaderBytes left
	frameTooLarge                 // declared length above recordBytesMax
	frameShortPayload             // declared length reaches past the end of data
	frameBadCRC                   // checksum mismatch
)

func (s frameStatus) String() string {
	switch s {
	case frameOK:
		return "valid frame"
	case frameEnd:
		return "end of data"
	case frameShortHeader:
		return "truncated frame header"
	case frameTooLarge:
		return "frame length above the record limit"
	case frameShortPayload:
		return "frame length reaches past the end of the segment"
	case frameBadCRC:
		return "checksum mismatch"
	}
	return fmt.Sprintf("frameStatus(%d)", uint8(s))
}

func frameChecksum(lengthBytes, payload []byte) uint32 {
	return crc32.Update(crc32.Update(0, castagnoli, lengthBytes), castagnoli, payload)
}

// appendFrame appends the frame of payload to b.
func appendFrame(b, payload []byte) []byte {
	if len(payload) > recordBytesMax {
		panic("BUG: journal: appendFrame of an oversized payload")
	}
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	b = binary.LittleEndian.AppendUint32(b, frameChecksum(b[start:start+4], payload))
	return append(b, payload...)
}

// decodeFrame decodes the frame at the start of b. frameBytes is the size
// the header declares (header included) whenever the header is complete, even
// if b is shorter. The payload aliases b.
func decodeFrame(b []byte) (payload []byte, frameBytes int64, status frameStatus) {
	if len(b) < frameHeaderBytes {
		return nil, int64(len(b)), frameShortHeader
	}
	length := int64(binary.LittleEndian.Uint32(b[0:4]))
	frameBytes = frameHeaderBytes + length
	if length > recordBytesMax {
		return nil, frameBytes, frameTooLarge
	}
	if frameBytes > int64(len(b)) {
		return nil, frameBytes, frameShortPayload
	}
	payload = b[frameHeaderBytes:frameBytes]
	if binary.LittleEndian.Uint32(b[4:8]) != frameChecksum(b[0:4], payload) {
		return nil, frameBytes, frameBadCRC
	}
	return payload, frameBytes, frameOK
}

// frameScanner streams the frames of one segment between two offsets.
type frameScanner struct {
	br    *bufio.Reader
	off   int64  // segment offset of the next frame
	limit int64  // segment offset where the data to scan ends
	big   []byte // frames larger than the bufio buffer
}

func newFrameScanner() *frameScanner {
	return &frameScanner{br: bufio.NewReaderSize(nil, readBufferBytes)}
}

func (s *frameScanner) reset(f *os.File, off, limit int64) {
	if off > limit {
		panic(fmt.Sprintf("BUG: journal: scan from %d past limit %d", off, limit))
	}
	s.br.Reset(io.NewSectionReader(f, off, limit-off))
	s.off, s.limit = off, limit
}

// next decodes the frame at s.off and, if it is valid, advances past it. The
// payload is valid until the next call. frameBytes is as for decodeFrame.
// err is only for I/O errors.
func (s *frameScanner) next() (payload []byte, frameBytes int64, status frameStatus, err error) {
	remaining := s.limit - s.off
	if remaining == 0 {
		return nil, 0, frameEnd, nil
	}
	if remaining < frameHeaderBytes {
		return nil, remaining, frameShortHeader, nil
	}
	header, err := s.br.Peek(frameHeaderBytes)
	if err != nil {
		return nil, 0, frameEnd, fmt.Errorf("journal: read frame header: %w", err)
	}
	_, frameBytes, status = decodeFrame(header)
	if status == frameTooLarge || (status == frameShortPayload && frameBytes > remaining) {
		return nil, frameBytes, status, nil
	}
	frame, err := s.readFrame(int(frameBytes))
	if err != nil {
		return nil, 0, frameEnd, err
	}
	payload, frameBytes, status = decodeFrame(frame)
	if status == frameOK {
		s.off += frameBytes
	}
	return payload, frameBytes, status, nil
}

// readFrame consumes n bytes, without copying when they fit the buffer.
func (s *frameScanner) readFrame(n int) ([]byte, error) {
	if n <= s.br.Size() {
		frame, err := s.br.Peek(n)
		if err != nil {
			return nil, fmt.Errorf("journal: read frame: %w", err)
		}
		// Discard does not read: frame stays valid until the next Peek.
		if _, err := s.br.Discard(n); err != nil {
			panic("BUG: journal: discard of peeked bytes failed")
		}
		return frame, nil
	}
	if cap(s.big) < n {
		s.big = make([]byte, n)
	}
	frame := s.big[:n]
	if _, err := io.ReadFull(s.br, frame); err != nil {
		return nil, fmt.Errorf("journal: read frame: %w", err)
	}
	return frame, nil
}
