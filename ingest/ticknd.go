package ingest

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// NewNDJSONTicks reads a tick table as NDJSON: one flat JSON object a line,
// fields named like CSV columns. Decimals may be JSON strings or numbers
// (the number's text is parsed exactly, never through a float); null is an
// absent value; fields that are not columns are ignored, but must still be
// flat (no objects or arrays). Blank lines are skipped.
func NewNDJSONTicks(r io.Reader, name string, o TickOptions, mark Watermark) (*TickReader, error) {
	src := &ndjsonSource{csvSource: csvSource{r: bufio.NewReaderSize(r, 1<<20), name: name}}
	tr, err := newTickReader(name, o, src, mark)
	if err != nil {
		return nil, err
	}
	src.columns = map[string]int{}
	for c, col := range tr.a.cols {
		src.columns[tr.a.o.inputName(col.name)] = c
	}
	return tr, nil
}

type ndjsonSource struct {
	csvSource                // line reading
	columns   map[string]int // input field name -> table column
	strs      []byte         // unescaped strings of the current line
}

func (s *ndjsonSource) next(a *assembler) (bool, error) {
	for {
		ok, err := s.readLine()
		if !ok || err != nil {
			return false, err
		}
		if len(trimSpace(s.text)) > 0 {
			break
		}
	}
	a.line = s.ln
	p := jsonLine{b: s.text, strs: s.strs[:0]}
	err := p.object(func(key, val []byte, str bool) error {
		c, ok := s.columns[string(key)]
		if !ok || val == nil {
			return nil
		}
		if !str && !isJSONNumber(val) {
			return a.bad(c, val, "want a string or a number")
		}
		return a.setText(c, val)
	})
	s.strs = p.strs
	if err != nil {
		if re, ok := err.(*RowError); ok {
			return true, re
		}
		return true, a.bad(-1, nil, err.Error())
	}
	return true, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func isJSONNumber(b []byte) bool {
	_, err := strconv.ParseFloat(string(b), 64) // syntax only; the value is parsed exactly elsewhere
	return err == nil && b[0] != '+' && b[0] != '.' && b[len(b)-1] != '.'
}

// jsonLine parses one flat JSON object.
type jsonLine struct {
	b    []byte
	i    int
	strs []byte // unescaped strings; values handed out alias it
}

// object calls f for each member: val is nil for null, the unescaped text
// for a string (str true), the literal for a number or a boolean.
func (p *jsonLine) object(f func(key, val []byte, str bool) error) error {
	p.space()
	if !p.eat('{') {
		return p.fail("a line must be one JSON object")
	}
	p.space()
	if p.eat('}') {
		return p.end()
	}
	// Unescaped strings are appended to p.strs; reserve its final size so
	// earlier values stay valid while later ones are appended.
	if cap(p.strs) < len(p.b) {
		p.strs = make([]byte, 0, len(p.b))
	}
	for {
		p.space()
		key, err := p.str()
		if err != nil {
			return err
		}
		p.space()
		if !p.eat(':') {
			return p.fail("expected ':' after a field name")
		}
		p.space()
		val, str, err := p.value()
		if err != nil {
			return err
		}
		if err := f(key, val, str); err != nil {
			return err
		}
		p.space()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return p.end()
		}
		return p.fail("expected ',' or '}'")
	}
}

func (p *jsonLine) end() error {
	p.space()
	if p.i != len(p.b) {
		return p.fail("text after the object")
	}
	return nil
}

func (p *jsonLine) fail(msg string) error {
	return fmt.Errorf("byte %d: %s", p.i+1, msg)
}

func (p *jsonLine) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t') {
		p.i++
	}
}

func (p *jsonLine) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonLine) value() (val []byte, str bool, err error) {
	if p.i >= len(p.b) {
		return nil, false, p.fail("expected a value")
	}
	switch c := p.b[p.i]; {
	case c == '"':
		s, err := p.str()
		return s, true, err
	case c == '{' || c == '[':
		return nil, false, p.fail("nested objects and arrays are not tick fields")
	}
	start := p.i
	for p.i < len(p.b) && p.b[p.i] != ',' && p.b[p.i] != '}' && p.b[p.i] != ' ' && p.b[p.i] != '\t' {
		p.i++
	}
	lit := p.b[start:p.i]
	switch string(lit) {
	case "null":
		return nil, false, nil
	case "true", "false":
		return lit, false, nil
	}
	if len(lit) == 0 || !isJSONNumber(lit) {
		return nil, false, fmt.Errorf("byte %d: %q is not a JSON value", start+1, lit)
	}
	return lit, false, nil
}

// str parses a string at p.i; without escapes it aliases the line.
func (p *jsonLine) str() ([]byte, error) {
	if !p.eat('"') {
		return nil, p.fail("expected a string")
	}
	start := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if !utf8.Valid(s) {
				return nil, fmt.Errorf("byte %d: a string is not valid UTF-8", start+1)
			}
			return s, nil
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return nil, p.fail("a control character in a string")
		}
		p.i++
	}
	return nil, p.fail("a string does not end on its line")
}

// escaped finishes a string with escapes from start, unescaped into p.strs.
func (p *jsonLine) escaped(start int) ([]byte, error) {
	out := len(p.strs)
	p.strs = append(p.strs, p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			s := p.strs[out:]
			if !utf8.Valid(s) {
				return nil, fmt.Errorf("byte %d: a string is not valid UTF-8", start+1)
			}
			return s, nil
		case c < 0x20:
			return nil, p.fail("a control character in a string")
		case c != '\\':
			p.strs = append(p.strs, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			break
		}
		p.i += 2
		switch e := p.b[p.i-1]; e {
		case '"', '\\', '/':
			p.strs = append(p.strs, e)
		case 'b':
			p.strs = append(p.strs, '\b')
		case 'f':
			p.strs = append(p.strs, '\f')
		case 'n':
			p.strs = append(p.strs, '\n')
		case 'r':
			p.strs = append(p.strs, '\r')
		case 't':
			p.strs = append(p.strs, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return nil, p.fail(`a \u escape needs 4 hex digits`)
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
					p.i += 2
					if r2, ok = p.hex4(); !ok {
						return nil, p.fail(`a \u escape needs 4 hex digits`)
					}
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return nil, p.fail("a lone UTF-16 surrogate")
				}
			}
			p.strs = utf8.AppendRune(p.strs, r)
		default:
			return nil, p.fail(fmt.Sprintf("unknown escape \\%c", e))
		}
	}
	return nil, p.fail("a string does not end on its line")
}

func (p *jsonLine) hex4() (rune, bool) {
	if p.i+4 > len(p.b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}
