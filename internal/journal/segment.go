package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Segment file layout: a header, then frames (see frame.go).
//
//	header: magic "TAPESEG1" | format version uint32 LE | segment index uint64 LE
const (
	segmentMagic           = "TAPESEG1"
	segmentFormatVersion   = uint32(1)
	segmentHeaderBytes     = 8 + 4 + 8
	segmentSuffix          = ".seg"
	segmentTempSuffix      = ".seg.tmp"
	segmentNameDigits      = 20
	segmentIndexFirst      = uint64(1)
	segmentsMax            = 1 << 20 // far above any real log; bounds the directory scan
	segmentBytesMaxMin     = segmentHeaderBytes + frameHeaderBytes
	segmentBytesMaxCeiling = int64(1) << 40
	SegmentBytesMaxDefault = int64(256) << 20 // default Options.SegmentBytesMax
)

func segmentName(index uint64) string {
	return fmt.Sprintf("%0*d%s", segmentNameDigits, index, segmentSuffix)
}

func segmentPath(dir string, index uint64) string {
	return filepath.Join(dir, segmentName(index))
}

// parseSegmentName returns the index of a segment file name, or false if name
// is not one.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok || len(digits) != segmentNameDigits {
		return 0, false
	}
	index, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || index < segmentIndexFirst {
		return 0, false
	}
	return index, true
}

func encodeSegmentHeader(index uint64) []byte {
	h := make([]byte, 0, segmentHeaderBytes)
	h = append(h, segmentMagic...)
	h = binary.LittleEndian.AppendUint32(h, segmentFormatVersion)
	h = binary.LittleEndian.AppendUint64(h, index)
	return h
}

// checkSegmentHeader returns a non-empty reason if h is not the header of
// segment index.
func checkSegmentHeader(h []byte, index uint64) string {
	if len(h) < segmentHeaderBytes {
		return fmt.Sprintf("segment is %d bytes, shorter than its %d-byte header", len(h), segmentHeaderBytes)
	}
	if string(h[:8]) != segmentMagic {
		return fmt.Sprintf("bad magic %q", h[:8])
	}
	if v := binary.LittleEndian.Uint32(h[8:12]); v != segmentFormatVersion {
		return fmt.Sprintf("unsupported format version %d (want %d)", v, segmentFormatVersion)
	}
	if got := binary.LittleEndian.Uint64(h[12:20]); got != index {
		return fmt.Sprintf("header names segment %d, file name says %d", got, index)
	}
	return ""
}

// openSegment opens segment index for reading (or writing), checks its
// header and returns its size.
func openSegment(dir string, index uint64, flag int) (*os.File, int64, error) {
	path := segmentPath(dir, index)
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("journal: open segment: %w", err)
	}
	size, err := readSegmentHeader(f, path, index)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, size, nil
}

func readSegmentHeader(f *os.File, path string, index uint64) (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("journal: stat segment: %w", err)
	}
	h := make([]byte, segmentHeaderBytes)
	n, err := f.ReadAt(h, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("journal: read header of %s: %w", path, err)
	}
	if reason := checkSegmentHeader(h[:n], index); reason != "" {
		return 0, &CorruptionError{Segment: path, Offset: 0, Reason: reason}
	}
	return info.Size(), nil
}

// createSegment makes segment index durable with only its header, and
// returns it open for writing. The header is written to a temporary file that
// is renamed into place, so a file with a segment name always has a complete
// header: a crash leaves at worst a *.seg.tmp file, which Open removes.
func createSegment(dir string, index uint64, durable bool) (*os.File, error) {
	final := segmentPath(dir, index)
	temp := strings.TrimSuffix(final, segmentSuffix) + segmentTempSuffix
	if _, err := os.Lstat(final); !errors.Is(err, fs.ErrNotExist) {
		panic(fmt.Sprintf("BUG: journal: creating segment %s that already exists (err=%v)", final, err))
	}
	f, err := os.OpenFile(temp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: create segment: %w", err)
	}
	err = writeHeaderAndRename(f, temp, final, index, durable)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("journal: create segment: %w", cerr)
	}
	if err != nil {
		return nil, err
	}
	// Reopen by the final name, which os.File.Name (used in errors) reports.
	f, err = os.OpenFile(final, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("journal: open new segment: %w", err)
	}
	return f, nil
}

func writeHeaderAndRename(f *os.File, temp, final string, index uint64, durable bool) error {
	if _, err := f.WriteAt(encodeSegmentHeader(index), 0); err != nil {
		return fmt.Errorf("journal: write segment header: %w", err)
	}
	if durable {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("journal: fsync new segment: %w", err)
		}
	}
	if err := os.Rename(temp, final); err != nil {
		return fmt.Errorf("journal: create segment: %w", err)
	}
	if durable {
		return syncDir(filepath.Dir(final))
	}
	return nil
}

// listSegments returns the segment indexes in dir, ascending, after removing
// leftover temporary segments. A gap in the indexes, or a first index other
// than 1, is corruption.
func listSegments(dir string, durable bool) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: list segments: %w", err)
	}
	if len(entries) > segmentsMax {
		return nil, fmt.Errorf("journal: %s holds %d entries, more than %d", dir, len(entries), segmentsMax)
	}
	var indexes []uint64
	removed := false
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), segmentTempSuffix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return nil, fmt.Errorf("journal: remove unfinished segment: %w", err)
			}
			removed = true
			continue
		}
		if index, ok := parseSegmentName(e.Name()); ok {
			indexes = append(indexes, index)
		}
	}
	if removed && durable {
		if err := syncDir(dir); err != nil {
			return nil, err
		}
	}
	slices.Sort(indexes)
	for i, index := range indexes {
		if want := segmentIndexFirst + uint64(i); index != want {
			return nil, &CorruptionError{
				Segment: segmentPath(dir, index),
				Reason:  fmt.Sprintf("segment index gap: %s is missing", segmentName(want)),
			}
		}
	}
	return indexes, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal: open dir for fsync: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("journal: fsync dir %s: %w", dir, err)
	}
	return nil
}

// fdatasync flushes f's data and the metadata needed to read it back (its
// size), but not its timestamps.
func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var syncErr error
	err = rc.Control(func(fd uintptr) {
		// No retry, not even on EINTR: a failed flush is never reported as
		// success (the caller makes the error sticky).
		syncErr = unix.Fdatasync(int(fd))
	})
	if err != nil {
		return err
	}
	if syncErr != nil {
		return fmt.Errorf("journal: fdatasync %s: %w", f.Name(), syncErr)
	}
	return nil
}
