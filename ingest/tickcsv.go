package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvLineBytesMax bounds one CSV line (and one NDJSON line).
const csvLineBytesMax = 1 << 20

// NewCSVTicks reads a CSV tick table from r: a header line naming the
// columns (RFC 4180: comma-separated, fields may be double-quoted with ""
// for a quote; \n or \r\n line ends), then one row a line. name is used in
// errors (a file name). mark, if not nil, gives the store's watermark of the
// stream so that rows stored before are skipped.
func NewCSVTicks(r io.Reader, name string, o TickOptions, mark Watermark) (*TickReader, error) {
	src := &csvSource{r: bufio.NewReaderSize(r, 1<<20), name: name}
	tr, err := newTickReader(name, o, src, mark)
	if err != nil {
		return nil, err
	}
	if err := src.header(tr.a); err != nil {
		return nil, err
	}
	return tr, nil
}

type csvSource struct {
	r      *bufio.Reader
	name   string
	ln     int64
	text   []byte   // the current line, without its end
	long   []byte   // a line longer than the reader's buffer, assembled
	fields [][]byte // the current line's fields
	unq    []byte   // unquoted fields' bytes
	index  []int    // input field -> table column, -1 for ignored
	width  int      // fields in the header
}

func (s *csvSource) line() int64 { return s.ln }
func (s *csvSource) raw() []byte { return s.text }

// readLine reads the next line into s.text; false at the end of the input.
func (s *csvSource) readLine() (bool, error) {
	b, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.long = append(s.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(s.long) > csvLineBytesMax {
				return false, fmt.Errorf("ingest: %s:%d: line longer than %d bytes", s.name, s.ln+1, csvLineBytesMax)
			}
			b, err = s.r.ReadSlice('\n')
			s.long = append(s.long, b...)
		}
		b = s.long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("ingest: %s:%d: %w", s.name, s.ln+1, err)
	}
	if len(b) == 0 {
		return false, nil
	}
	s.ln++
	b = bytes.TrimSuffix(b, []byte{'\n'})
	s.text = bytes.TrimSuffix(b, []byte{'\r'})
	return true, nil
}

// split cuts s.text into s.fields; it returns a reason for a malformed line.
func (s *csvSource) split() string {
	s.fields = s.fields[:0]
	line := s.text
	if bytes.IndexByte(line, '"') < 0 {
		for {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				s.fields = append(s.fields, line)
				return ""
			}
			s.fields = append(s.fields, line[:i])
			line = line[i+1:]
		}
	}
	s.unq = s.unq[:0]
	var bounds []int // start, end pairs in s.unq
	for {
		start := len(s.unq)
		if len(line) > 0 && line[0] == '"' {
			line = line[1:]
			for {
				i := bytes.IndexByte(line, '"')
				if i < 0 {
					return "a quoted field does not end on its line"
				}
				s.unq = append(s.unq, line[:i]...)
				line = line[i+1:]
				if len(line) > 0 && line[0] == '"' {
					s.unq = append(s.unq, '"')
					line = line[1:]
					continue
				}
				break
			}
			if len(line) > 0 && line[0] != ',' {
				return "text after a quoted field's closing quote"
			}
		} else {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				i = len(line)
			}
			if bytes.IndexByte(line[:i], '"') >= 0 {
				return "a quote inside an unquoted field"
			}
			s.unq = append(s.unq, line[:i]...)
			line = line[i:]
		}
		bounds = append(bounds, start, len(s.unq))
		if len(line) == 0 {
			break
		}
		line = line[1:] // the comma
		if len(line) == 0 {
			bounds = append(bounds, len(s.unq), len(s.unq))
			break
		}
	}
	for i := 0; i < len(bounds); i += 2 {
		s.fields = append(s.fields, s.unq[bounds[i]:bounds[i+1]])
	}
	return ""
}

// header reads the header line and maps its names to the table's columns.
func (s *csvSource) header(a *assembler) error {
	ok, err := s.readLine()
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("ingest: %s: empty input: a CSV tick file starts with a header line", s.name)
	}
	s.text = bytes.TrimPrefix(s.text, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if reason := s.split(); reason != "" {
		return fmt.Errorf("ingest: %s:1: header: %s", s.name, reason)
	}
	names := make([]string, len(s.fields))
	for i, f := range s.fields {
		names[i] = strings.TrimSpace(string(f))
	}
	index, err := mapColumns(a, names)
	if err != nil {
		return fmt.Errorf("ingest: %s:1: header: %w", s.name, err)
	}
	s.index, s.width = index, len(names)
	return nil
}

// mapColumns maps input names to table columns: index[i] is the column of
// input field i, or -1. Every required column must be there.
func mapColumns(a *assembler, names []string) ([]int, error) {
	index := make([]int, len(names))
	seen := map[string]bool{}
	for i, n := range names {
		index[i] = -1
		if seen[n] {
			return nil, fmt.Errorf("column %q twice", n)
		}
		seen[n] = true
		for c, col := range a.cols {
			if a.o.inputName(col.name) == n {
				index[i] = c
			}
		}
	}
	var missing []string
	for _, col := range a.cols {
		if col.required && !seen[a.o.inputName(col.name)] {
			missing = append(missing, a.o.inputName(col.name))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no column %s for %s (have %s; map one with --map %s=NAME)",
			strings.Join(missing, ", "), a.o.Table, strings.Join(names, ","), missing[0])
	}
	return index, nil
}

func (s *csvSource) next(a *assembler) (bool, error) {
	for {
		ok, err := s.readLine()
		if !ok || err != nil {
			return false, err
		}
		if len(s.text) > 0 {
			break
		}
	}
	a.line = s.ln
	if reason := s.split(); reason != "" {
		return true, a.bad(-1, nil, reason)
	}
	if len(s.fields) != s.width {
		return true, a.bad(-1, nil, fmt.Sprintf("%d fields, the header has %d", len(s.fields), s.width))
	}
	for i, f := range s.fields {
		if c := s.index[i]; c >= 0 {
			if err := a.setText(c, f); err != nil {
				return true, err
			}
		}
	}
	return true, nil
}
