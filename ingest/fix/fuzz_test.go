package fix

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"testing"
)

// FuzzParseFIX checks that no input panics Parse, the Scanner,
// AppendEntries or Session.ReceiveMessage, that every error is a
// *ParseError of a known kind, and that whatever parses re-encodes to the
// same bytes. With frame set the input is a body that the fuzzer frames
// with a right BodyLength and CheckSum, so that mutations reach the fields.
func FuzzParseFIX(f *testing.F) {
	for _, m := range sessionMessages(f) {
		f.Add(m, false)
		body := m[bytes.Index(m, []byte("\x0135="))+1 : bytes.LastIndex(m, []byte("\x0110="))+1]
		f.Add(body, true)
	}
	for _, s := range []string{
		"", "8=FIX.4.4|9=5|35=0|", "8=FIX.4.4|9=052|35=0|10=000|", "8=FIX.4.2|9=5|35=0|10=000|",
		framed("35=0|049=A|"), framed("35=0|49=|"), framed("49=A|35=0|"), framed("35=0|10=000|"),
		framed(xHeader + "268=2|279=0|269=0|55=A|270=1.5|271=1|279=2|269=1|55=A|"),
	} {
		f.Add(soh(s), false)
	}
	f.Add(soh("35=X|52=20250315-00:00:00.100|268=1|279=0|269=2|55=A|270=1|271=1|272=20250313|273=23:59:59.9|"), true)
	f.Fuzz(func(t *testing.T, data []byte, frame bool) {
		b := data
		if frame {
			if len(data) > MessageBytesMax {
				return
			}
			b = append(append([]byte("8=FIX.4.4\x019="), strconv.Itoa(len(data))...), SOH)
			b = append(b, data...)
			b = append(appendDigits(append(b, "10="...), checksum(b), 3), SOH)
		}
		m, n, err := Parse(b)
		checkError(t, err)
		if err == nil {
			checkMessage(t, b, &m, n)
		} else if n < 0 || n > len(b) {
			t.Fatalf("n = %d of %d bytes with error %v", n, len(b), err)
		}
		checkScanner(t, b, m, err)
	})
}

func checkError(t *testing.T, err error) {
	if err == nil {
		return
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Reason == "" || pe.Offset < -1 || pe.Offset > MessageBytesMax+1 {
		t.Fatalf("error %#v", err)
	}
	if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrGarbled) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v of no known kind", err)
	}
}

// checkMessage checks a message parsed from b, n bytes long.
func checkMessage(t *testing.T, b []byte, m *Message, n int) {
	if n < len("8=FIX.4.4|9=5|35=0|10=000|") || n > len(b) || n > MessageBytesMax || !bytes.Equal(m.Bytes(), b[:n]) {
		t.Fatalf("n = %d of %d bytes", n, len(b))
	}
	fields := fieldsOf(m)
	if len(fields) < 4 || len(fields) > FieldsMax {
		t.Fatalf("%d fields", len(fields))
	}
	again := AppendFrame(nil, fields[2:len(fields)-1])
	if !bytes.Equal(again, b[:n]) {
		t.Fatalf("re-encoded\n%q\nparsed from\n%q", again, b[:n])
	}
	m2, _, err := Parse(again)
	if err != nil || !slices.Equal(fieldsOf(&m2), fields) {
		t.Fatalf("re-encoded message parses to %v, %v", fieldsOf(&m2), err)
	}
	entries, err := AppendEntries(nil, m)
	if err != nil {
		var ee *EntryError
		if !errors.As(err, &ee) || entries != nil {
			t.Fatalf("AppendEntries: %v, %d entries", err, len(entries))
		}
	}
	for _, e := range entries {
		for _, v := range []string{e.Px, e.Size} {
			if (v != "" || e.Update != UpdateDelete) && decimalReason([]byte(v)) != "" {
				t.Fatalf("entry %+v has a bad decimal", e)
			}
		}
	}
	var s Session
	if _, err := s.ReceiveMessage(m); err != nil {
		checkError(t, err)
	}
}

// checkScanner scans b in small reads and whole: the results must be the
// same, end, and agree with Parse about the first message.
func checkScanner(t *testing.T, b []byte, first Message, firstErr error) {
	small := scanResults(t, b, len(b)%7+1)
	whole := scanResults(t, b, len(b)+1)
	if len(small) != len(whole) {
		t.Fatalf("Scanner gives %d results in small reads, %d whole", len(small), len(whole))
	}
	for i := range small {
		if small[i] != whole[i] {
			t.Fatalf("result %d: %s in small reads, %s whole", i, small[i], whole[i])
		}
	}
	if firstErr == nil && (len(whole) == 0 || whole[0] != "@0 "+string(first.Bytes())) {
		t.Fatalf("Scanner's results %q, Parse's first message %q", whole, first.Bytes())
	}
}

// scanResults scans b in reads of size bytes.
func scanResults(t *testing.T, b []byte, size int) []string {
	var results []string
	s := NewScanner(&chunkReader{b: b, next: fixed(size)})
	for i := 0; ; i++ {
		if i > len(b)+2 {
			t.Fatalf("Scanner returned %d results from %d bytes", i, len(b))
		}
		m, err := s.Next()
		if err == io.EOF {
			return results
		}
		checkError(t, err)
		at := "@" + strconv.FormatInt(s.Offset(), 10) + " "
		if err != nil {
			results = append(results, at+err.Error())
			continue
		}
		if _, _, err := Parse(m.Bytes()); err != nil {
			t.Fatalf("Scanner returned %q, which Parse rejects: %v", m.Bytes(), err)
		}
		results = append(results, at+string(m.Bytes()))
	}
}
