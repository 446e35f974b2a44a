package fix

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chunkReader returns its input in reads of the sizes next gives.
type chunkReader struct {
	b    []byte
	next func() int
	err  error // returned after the input, instead of io.EOF
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.next())], r.b)
	r.b = r.b[n:]
	return n, nil
}

func fixed(n int) func() int { return func() int { return n } }

// scanAll reads s to io.EOF, recording each message as its readable bytes
// and stream offset, and each error as "error: ...".
func scanAll(t *testing.T, s *Scanner) []string {
	t.Helper()
	var got []string
	for range 10_000 {
		m, err := s.Next()
		switch {
		case err == io.EOF:
			return got
		case err != nil:
			got = append(got, "@"+strconv.FormatInt(s.Offset(), 10)+" error: "+err.Error())
		default:
			got = append(got, "@"+strconv.FormatInt(s.Offset(), 10)+" "+bar(m.Bytes()))
		}
	}
	t.Fatal("Scanner did not reach io.EOF")
	return nil
}

func TestScannerChunks(t *testing.T) {
	msgs := sessionMessages(t)
	stream := sessionStream(t)
	var want []string
	off := 0
	for _, m := range msgs {
		want = append(want, "@"+strconv.Itoa(off)+" "+bar(m))
		off += len(m)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	sizes := map[string]func() int{
		"1 byte":    fixed(1),
		"2 bytes":   fixed(2),
		"7 bytes":   fixed(7),
		"whole":     fixed(len(stream)),
		"random":    func() int { return 1 + rng.IntN(300) },
		"random 1k": func() int { return 1 + rng.IntN(1024) },
	}
	for name, next := range sizes {
		t.Run(name, func(t *testing.T) {
			s := NewScanner(&chunkReader{b: stream, next: next})
			got := scanAll(t, s)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("seed %d: messages\n got %s\nwant %s", seed, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if _, err := s.Next(); err != io.EOF {
				t.Errorf("Next after io.EOF: %v", err)
			}
		})
	}
}

func TestScannerRecovers(t *testing.T) {
	hb := func(seq int) string { return framed("35=0|34=" + strconv.Itoa(seq) + "|") }
	badSum := hb(3)[:len(hb(3))-4] + "999|"
	badLen := strings.Replace(hb(5), "9=10", "9=11", 1)
	badTag := framed("35=0|034=7|")
	parts := []string{"junk|junk", hb(1), hb(2), badSum, hb(4), badLen, hb(6), badTag, hb(8), "8=FIX.4.4|9=20|35=0|"}
	at := func(i int) string { return "@" + strconv.Itoa(len(strings.Join(parts[:i], ""))) + " " }
	want := []string{
		at(0) + "error: fix: byte 0: message must start with 8=FIX.4.4<SOH>, found 'j'",
		at(1) + hb(1),
		at(2) + hb(2),
		at(3) + "error: fix: byte 25, tag 10: CheckSum 999 does not match computed " + hb(3)[len(hb(3))-4:len(hb(3))-1],
		at(4) + hb(4),
		at(5) + "error: fix: byte 12, tag 9: BodyLength 11 does not match the 10 bytes before the CheckSum field at byte 25",
		at(6) + hb(6),
		at(7) + `error: fix: byte 20: tag "034" has a leading zero`,
		at(8) + hb(8),
		at(9) + "error: fix: byte 20, tag 9: message ends after 20 bytes; BodyLength 20 makes it 42",
	}
	stream := soh(strings.Join(parts, ""))
	for _, size := range []int{1, 3, 1000} {
		got := scanAll(t, NewScanner(&chunkReader{b: stream, next: fixed(size)}))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("reads of %d bytes\n got %s\nwant %s", size, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestScannerReportsWrongBodyLengthEarly(t *testing.T) {
	// BodyLength claims more than the stream holds before it blocks: the
	// error comes from the CheckSum field seen early, not from waiting.
	errBlocked := errors.New("blocked")
	in := strings.Replace(framed("35=0|34=1|"), "9=10", "9=500", 1) + framed("35=0|34=2|")
	s := NewScanner(&chunkReader{b: soh(in), next: fixed(1), err: errBlocked})
	_, err := s.Next()
	if !errors.Is(err, ErrGarbled) || !strings.Contains(err.Error(), "BodyLength 500 does not match the 10 bytes") {
		t.Fatalf("first Next: %v", err)
	}
	if m, err := s.Next(); err != nil || string(m.MsgType()) != "0" {
		t.Fatalf("second Next: %v", err)
	}
	if _, err := s.Next(); !errors.Is(err, errBlocked) {
		t.Fatalf("third Next: %v, want the read error", err)
	}
	if _, err := s.Next(); err != io.EOF {
		t.Fatalf("after the read error: %v, want io.EOF", err)
	}
}

func TestScannerLongMessages(t *testing.T) {
	// The longest message, read a byte at a time, between short ones.
	text := strings.Repeat("x", MessageBytesMax-len(framed("35=0|58=|"))-4) // BodyLength gets 4 more digits
	long := framed("35=0|58=" + text + "|")
	if len(long) != MessageBytesMax {
		t.Fatalf("long message has %d bytes", len(long))
	}
	hb := framed("35=0|")
	stream := soh(hb + long + hb + long)
	s := NewScanner(&chunkReader{b: stream, next: fixed(1)})
	got := scanAll(t, s)
	want := []string{"@0 " + hb, "@" + strconv.Itoa(len(hb)) + " " + long, "@" + strconv.Itoa(len(hb)+len(long)) + " " + hb,
		"@" + strconv.Itoa(2*len(hb)+len(long)) + " " + long}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %d messages, want 4 (%.200s)", len(got), strings.Join(got, "\n"))
	}
	if len(s.buf) > scanBufferBytesMax {
		t.Errorf("buffer grew to %d bytes", len(s.buf))
	}
}

func TestScannerJunkIsBounded(t *testing.T) {
	junk := bytes.Repeat(soh("8=FIX.4.2|9=5|"), 3*junkBytesMax/14+1)
	stream := append(append(junk, soh(framed("35=0|"))...), "8=FIX"...)
	junkReport := " error: fix: byte 0: no BeginString 8=FIX.4.4<SOH> in 65536 bytes"
	want := []string{
		`@0 error: fix: byte 2, tag 8: BeginString "FIX.4.2" is not FIX.4.4`,
		"@1" + junkReport,
		"@65537" + junkReport,
		"@131073" + junkReport, // the 7 bytes after these are not reported
		"@" + strconv.Itoa(len(junk)) + " " + framed("35=0|"),
		"@" + strconv.Itoa(len(stream)-5) + " error: fix: byte 5, tag 8: message ends after 5 bytes, inside BeginString",
	}
	for _, size := range []int{1, 4096, len(stream)} {
		s := NewScanner(&chunkReader{b: stream, next: fixed(size)})
		if got := scanAll(t, s); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("reads of %d bytes\n got %s\nwant %s", size, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if len(s.buf) > scanBufferBytesMin {
			t.Errorf("buffer grew to %d bytes on junk", len(s.buf))
		}
	}
}

func TestScannerNoProgress(t *testing.T) {
	s := NewScanner(&chunkReader{b: []byte("8=FIX"), next: fixed(0)})
	if _, err := s.Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("Next = %v, want io.ErrNoProgress", err)
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("Next after the error = %v, want io.EOF", err)
	}
}

func TestScannerDoesNotAllocate(t *testing.T) {
	// Long enough for messages to span reads.
	stream := bytes.Repeat(sessionStream(t), 2*scanBufferBytesMax/len(sessionStream(t)))
	r := bytes.NewReader(stream)
	s := NewScanner(r)
	allocs := testing.AllocsPerRun(50, func() {
		r.Reset(stream)
		s.Reset(r)
		for {
			if _, err := s.Next(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("Scanner allocates %v times per session", allocs)
	}
}
