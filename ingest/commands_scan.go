package ingest

import (
	"strings"
	"unicode/utf8"

	"github.com/tape-ledger/tape/ledgercore"
)

// JSON types, as errors name them.
const (
	typeString  = "a string"
	typeNumber  = "a JSON number"
	typeObject  = "an object"
	typeArray   = "an array"
	typeBoolean = "a boolean"
	typeNull    = "null"
)

// jsonTypeAt names the JSON type of a value starting with c, or "" when no
// value starts with c.
func jsonTypeAt(c byte) string {
	switch {
	case c == '"':
		return typeString
	case c == '-' || c >= '0' && c <= '9':
		return typeNumber
	case c == '{':
		return typeObject
	case c == '[':
		return typeArray
	case c == 't' || c == 'f':
		return typeBoolean
	case c == 'n':
		return typeNull
	}
	return ""
}

// describeByte names what starts with c, for errors: a JSON type or the
// byte itself.
func describeByte(c byte) string {
	if t := jsonTypeAt(c); t != "" {
		return t
	}
	if c > ' ' && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	const hex = "0123456789abcdef"
	return "byte 0x" + string([]byte{hex[c>>4], hex[c&15]})
}

func (p *parser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) expect(c byte) bool {
	if p.i >= len(p.s) {
		return p.syntax("unexpected end of input, expected '" + string(c) + "'")
	}
	if p.s[p.i] != c {
		return p.syntax("expected '" + string(c) + "'")
	}
	p.i++
	return true
}

// plainByte marks the bytes a JSON string holds as they are: ASCII other
// than controls, '"' and '\\'.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends the text of the JSON string at p.i to dst, checking
// escapes and UTF-8.
func (p *parser) appendString(dst []byte) ([]byte, bool) {
	p.i++ // the opening quote
	for {
		j := p.i
		for j < len(p.s) && plainByte[p.s[j]] {
			j++
		}
		dst = append(dst, p.s[p.i:j]...)
		p.i = j
		if j >= len(p.s) {
			return dst, p.syntax("unexpected end of input inside a string")
		}
		switch c := p.s[j]; {
		case c == '"':
			p.i++
			return dst, true
		case c == '\\':
			var ok bool
			if dst, ok = p.appendEscape(dst); !ok {
				return dst, false
			}
		case c < 0x20:
			return dst, p.syntax("control character in a string (escape it)")
		default:
			r, n := utf8.DecodeRune(p.s[j:])
			if r == utf8.RuneError && n <= 1 {
				return dst, p.syntax("invalid UTF-8 in a string")
			}
			dst = append(dst, p.s[j:j+n]...)
			p.i += n
		}
	}
}

// appendEscape appends the character of the escape at p.i.
func (p *parser) appendEscape(dst []byte) ([]byte, bool) {
	if p.i+1 >= len(p.s) {
		return dst, p.syntax("unexpected end of input inside a string")
	}
	c := p.s[p.i+1]
	p.i += 2
	switch c {
	case '"', '\\', '/':
		return append(dst, c), true
	case 'b':
		return append(dst, '\b'), true
	case 'f':
		return append(dst, '\f'), true
	case 'n':
		return append(dst, '\n'), true
	case 'r':
		return append(dst, '\r'), true
	case 't':
		return append(dst, '\t'), true
	case 'u':
		return p.appendUnicode(dst)
	}
	p.i -= 2
	return dst, p.syntax("invalid escape in a string")
}

// appendUnicode appends the character of a \uXXXX escape whose hex digits
// are at p.i, joining surrogate pairs.
func (p *parser) appendUnicode(dst []byte) ([]byte, bool) {
	r, ok := p.hex4()
	if !ok {
		return dst, false
	}
	if r >= 0xdc00 && r < 0xe000 {
		return dst, p.syntax("\\u escape is a lone low surrogate")
	}
	if r >= 0xd800 && r < 0xdc00 {
		if p.i+1 >= len(p.s) || p.s[p.i] != '\\' || p.s[p.i+1] != 'u' {
			return dst, p.syntax("\\u escape is a high surrogate without its low one")
		}
		p.i += 2
		lo, ok := p.hex4()
		if !ok {
			return dst, false
		}
		if lo < 0xdc00 || lo >= 0xe000 {
			return dst, p.syntax("\\u escape is a high surrogate without its low one")
		}
		r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
	}
	return utf8.AppendRune(dst, r), true
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, p.syntax("\\u escape needs 4 hex digits")
	}
	var r rune
	for _, c := range p.s[p.i : p.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, p.syntax("\\u escape needs 4 hex digits")
		}
	}
	p.i += 4
	return r, true
}

// skipValue skips the value of an unknown field. Its syntax is not checked:
// the unknown field is an error anyway, and a value so broken that it hides
// the end of the field makes the next token an error.
func (p *parser) skipValue() bool {
	if p.i >= len(p.s) || strings.IndexByte(",}] \t\r\n:", p.s[p.i]) >= 0 {
		return p.syntax("expected a value")
	}
	depth := 0
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '"':
			var ok bool
			if p.key, ok = p.appendString(p.key[:0]); !ok {
				return false
			}
			if depth == 0 {
				return true
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return true
			}
			depth--
			if depth == 0 {
				p.i++
				return true
			}
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 {
				return true
			}
		}
		p.i++
	}
	return true
}

// integer parses the JSON number at p.i as an integer of at most 19 digits.
func (p *parser) integer(f field) (v uint64, neg, ok bool) {
	if p.s[p.i] == '-' {
		neg = true
		p.i++
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if p.i-start == 19 {
			return 0, neg, p.failField(f, f.String()+" has too many digits")
		}
		v = v*10 + uint64(p.s[p.i]-'0')
		p.i++
	}
	switch {
	case p.i == start:
		return 0, neg, p.syntax("expected a digit")
	case p.s[start] == '0' && p.i-start > 1:
		p.i = start
		return 0, neg, p.syntax("a number may not start with 0")
	case p.i < len(p.s) && (p.s[p.i] == '.' || p.s[p.i] == 'e' || p.s[p.i] == 'E'):
		return 0, neg, p.failField(f, f.String()+" must be an integer")
	}
	return v, neg, true
}

// parseRFC3339 parses YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm) into
// ns since the Unix epoch, or returns why it cannot.
func parseRFC3339(b []byte) (int64, string) {
	const layout = `ts must be RFC 3339 text like "2026-01-05T09:30:00.000000001Z"`
	var ok [6]bool
	var year, month, dom, hour, minute, second int
	year, ok[0] = digits(b, 0, 4)
	month, ok[1] = digits(b, 5, 2)
	dom, ok[2] = digits(b, 8, 2)
	hour, ok[3] = digits(b, 11, 2)
	minute, ok[4] = digits(b, 14, 2)
	second, ok[5] = digits(b, 17, 2)
	if ok != [6]bool{true, true, true, true, true, true} || b[4] != '-' || b[7] != '-' ||
		(b[10] != 'T' && b[10] != 't') || b[13] != ':' || b[16] != ':' {
		return 0, layout
	}
	i, frac := 19, int64(0)
	if i < len(b) && b[i] == '.' {
		i++
		n := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if n == 9 {
				return 0, "ts has more than 9 fractional digits (ns)"
			}
			frac = frac*10 + int64(b[i]-'0')
			n++
		}
		if n == 0 {
			return 0, layout
		}
		for ; n < 9; n++ {
			frac *= 10
		}
	}
	offset, msg := zoneOffset(b[i:])
	if msg != "" {
		return 0, msg
	}
	day := ledgercore.DayFromCivil(year, month, dom)
	y, m, d := ledgercore.CivilDate(day)
	if month < 1 || month > 12 || y != year || m != month || d != dom || hour > 23 || minute > 59 || second > 59 {
		return 0, "ts is not a valid date and time"
	}
	sec := int64(day)*86400 + int64(hour*3600+minute*60+second) - offset
	if sec < 0 || sec > (1<<63-1)/1_000_000_000-1 || sec == 0 && frac == 0 {
		return 0, "ts must be after 1970-01-01T00:00:00Z and before 2262"
	}
	return sec*1e9 + frac, ""
}

// zoneOffset parses Z, +hh:mm or -hh:mm, the whole of b, into seconds east
// of UTC.
func zoneOffset(b []byte) (int64, string) {
	if len(b) == 1 && (b[0] == 'Z' || b[0] == 'z') {
		return 0, ""
	}
	if len(b) == 0 {
		return 0, "ts must have a time zone: Z or +hh:mm or -hh:mm"
	}
	hh, okH := digits(b, 1, 2)
	mm, okM := digits(b, 4, 2)
	if len(b) != 6 || (b[0] != '+' && b[0] != '-') || !okH || !okM || b[3] != ':' || hh > 23 || mm > 59 {
		return 0, "ts must end in a time zone: Z or +hh:mm or -hh:mm"
	}
	off := int64(hh*3600 + mm*60)
	if b[0] == '-' {
		off = -off
	}
	return off, ""
}

// digits parses b[i:i+n] as decimal digits.
func digits(b []byte, i, n int) (int, bool) {
	if i+n > len(b) {
		return 0, false
	}
	v := 0
	for _, c := range b[i : i+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}
