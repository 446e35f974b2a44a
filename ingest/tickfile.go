package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/klauspost/compress/zstd"
)

// TickFormat is the encoding of a tick input.
type TickFormat string

// The formats, by their usual extensions.
const (
	FormatCSV     TickFormat = "csv"
	FormatNDJSON  TickFormat = "ndjson"
	FormatParquet TickFormat = "parquet"
	FormatArrow   TickFormat = "arrow" // Arrow IPC, file or stream (told apart by the file's magic)
)

// FormatOf tells a file's format and compression from its name:
// .csv, .ndjson/.jsonl, .parquet, .arrow/.arrows/.ipc/.feather, each
// optionally followed by .gz or .zst (not Parquet, which compresses inside).
func FormatOf(path string) (format TickFormat, compression string, err error) {
	name := strings.ToLower(filepath.Base(path))
	for _, c := range []string{".gz", ".zst"} {
		if strings.HasSuffix(name, c) {
			name, compression = strings.TrimSuffix(name, c), c[1:]
		}
	}
	switch filepath.Ext(name) {
	case ".csv":
		format = FormatCSV
	case ".ndjson", ".jsonl", ".json":
		format = FormatNDJSON
	case ".parquet":
		format = FormatParquet
	case ".arrow", ".arrows", ".ipc", ".feather":
		format = FormatArrow
	default:
		return "", "", fmt.Errorf("ingest: %s: unknown format: want .csv, .ndjson, .parquet or .arrow, optionally .gz or .zst", path)
	}
	if format == FormatParquet && compression != "" {
		return "", "", fmt.Errorf("ingest: %s: Parquet compresses inside; a .%s around it is not read", path, compression)
	}
	return format, compression, nil
}

// TickFile is an open tick file: a TickReader over it, and how many of its
// bytes (as stored, compressed or not) were read so far.
type TickFile struct {
	*TickReader
	Size    int64 // bytes of the file
	counter *CountingReader
	closers []func() error
}

// Read returns the bytes of the file read so far, for progress.
func (f *TickFile) Read() int64 {
	if f.counter == nil {
		return f.Size // Parquet: read by row group; reported whole at the end
	}
	return f.counter.N
}

// Close closes the file and what reads it.
func (f *TickFile) Close() error {
	var errs []error
	for i := len(f.closers) - 1; i >= 0; i-- {
		errs = append(errs, f.closers[i]())
	}
	return errors.Join(errs...)
}

// OpenTickFile opens path in the format its name says (FormatOf). If the
// input has no source column, the source is o.Source, or else the file's
// name without its extensions (SourceFromPath).
func OpenTickFile(ctx context.Context, path string, o TickOptions, mark Watermark) (*TickFile, error) {
	format, compression, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	if o.Source == "" {
		o.Source = SourceFromPath(path)
	}
	osf, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	tf := &TickFile{closers: []func() error{osf.Close}}
	fail := func(err error) (*TickFile, error) {
		tf.Close()
		return nil, err
	}
	info, err := osf.Stat()
	if err != nil {
		return fail(fmt.Errorf("ingest: %w", err))
	}
	tf.Size = info.Size()
	if format == FormatParquet {
		rr, closeRR, err := parquetRecords(ctx, osf)
		if err != nil {
			return fail(fmt.Errorf("ingest: %s: %w", path, err))
		}
		tf.closers = append(tf.closers, closeRR)
		if tf.TickReader, err = NewArrowTicks(rr, path, o, mark); err != nil {
			return fail(err)
		}
		return tf, nil
	}
	tf.counter = &CountingReader{R: osf}
	var r io.Reader = tf.counter
	switch compression {
	case "gz":
		zr, err := gzip.NewReader(bufio.NewReaderSize(r, 1<<20))
		if err != nil {
			return fail(fmt.Errorf("ingest: %s: gzip: %w", path, err))
		}
		tf.closers = append(tf.closers, zr.Close)
		r = zr
	case "zst":
		zr, err := zstd.NewReader(r)
		if err != nil {
			return fail(fmt.Errorf("ingest: %s: zstd: %w", path, err))
		}
		tf.closers = append(tf.closers, func() error { zr.Close(); return nil })
		r = zr
	}
	switch format {
	case FormatCSV:
		tf.TickReader, err = NewCSVTicks(r, path, o, mark)
	case FormatNDJSON:
		tf.TickReader, err = NewNDJSONTicks(r, path, o, mark)
	case FormatArrow:
		var rr array.RecordReader
		if rr, err = arrowRecords(r); err == nil {
			tf.closers = append(tf.closers, func() error { rr.Release(); return nil })
			tf.TickReader, err = NewArrowTicks(rr, path, o, mark)
		}
		if err != nil {
			err = fmt.Errorf("ingest: %s: %w", path, err)
		}
	}
	if err != nil {
		return fail(err)
	}
	return tf, nil
}

// arrowMagic opens an Arrow IPC file; a stream starts with a message.
var arrowMagic = []byte("ARROW1")

// arrowRecords reads an Arrow IPC stream, or an IPC file read front to
// back: the file format is the stream format between a magic header and a
// footer, so one streaming reader serves both without seeking.
func arrowRecords(r io.Reader) (array.RecordReader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, err := br.Peek(8)
	if err == nil && bytes.Equal(head[:6], arrowMagic) {
		if _, err := br.Discard(8); err != nil { // magic and padding
			return nil, err
		}
	}
	rr, err := ipc.NewReader(br, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, fmt.Errorf("arrow IPC: %w", err)
	}
	return rr, nil
}

// parquetRecords reads a Parquet file as Arrow record batches, a row group
// at a time.
func parquetRecords(ctx context.Context, f *os.File) (array.RecordReader, func() error, error) {
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("parquet: %w", err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, memory.DefaultAllocator)
	if err != nil {
		pf.Close()
		return nil, nil, fmt.Errorf("parquet: %w", err)
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		pf.Close()
		return nil, nil, fmt.Errorf("parquet: %w", err)
	}
	return rr, func() error { rr.Release(); return pf.Close() }, nil
}

// CountingReader counts the bytes read through it, for progress bars.
type CountingReader struct {
	R io.Reader
	N int64 // bytes read so far
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}
