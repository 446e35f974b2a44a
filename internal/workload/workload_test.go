package workload

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/tape-ledger/tape/internal/testkit"
)

const testLines = 20_000

func generate(t testing.TB, o Options) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Generate(&buf, o)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", o, err)
	}
	return buf.Bytes(), st
}

func TestDeterministic(t *testing.T) {
	a, _ := generate(t, Options{Seed: 1, N: testLines})
	b, _ := generate(t, Options{Seed: 1, N: testLines})
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different bytes")
	}
	c, _ := generate(t, Options{Seed: 2, N: testLines})
	if bytes.Equal(a, c) {
		t.Fatal("seeds 1 and 2 gave the same bytes")
	}
}

func TestGolden(t *testing.T) {
	got, _ := generate(t, Options{Seed: 1, N: 40})
	testkit.Golden(t, filepath.Join("testdata", "seed1_n40.ndjson"), got)
}

// line is the union of all command fields; amounts decode into
// json.RawMessage so the test can tell strings from numbers.
type line struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Ts        *string         `json:"ts"`
	Asset     string          `json:"asset"`
	Scale     *int            `json:"scale"`
	Account   string          `json:"account"`
	Flags     []string        `json:"flags"`
	Debit     string          `json:"debit"`
	Credit    string          `json:"credit"`
	Amount    json.RawMessage `json:"amount"`
	PendingID string          `json:"pending_id"`
	Commands  []line          `json:"commands"`
}

func amountString(t *testing.T, n int, l *line) string {
	t.Helper()
	var s string
	if len(l.Amount) == 0 || l.Amount[0] != '"' || json.Unmarshal(l.Amount, &s) != nil {
		t.Fatalf("line %d: amount %s is not a string", n, l.Amount)
	}
	return s
}

func TestLines(t *testing.T) {
	data, st := generate(t, Options{Seed: 7, N: testLines})
	var byType [CommandTypeCount]int64
	typeOf := map[string]CommandType{}
	for ct := range CommandTypeCount {
		typeOf[ct.String()] = ct
	}
	seen := map[string][]byte{}
	var lastTs time.Time
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		var l line
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", n, err, raw)
		}
		ct, ok := typeOf[l.Type]
		if !ok {
			t.Fatalf("line %d: unknown type %q", n, l.Type)
		}
		byType[ct]++
		if prev, dup := seen[l.ID]; dup {
			if !bytes.Equal(prev, raw) {
				t.Fatalf("line %d: id %q reused with other content", n, l.ID)
			}
			continue // a re-send keeps its original ts
		}
		seen[l.ID] = bytes.Clone(raw)
		lastTs = checkTs(t, n, &l, lastTs)
		checkFields(t, n, &l)
	}
	if n != testLines || st.Lines != testLines {
		t.Fatalf("lines = %d, Stats.Lines = %d, want %d", n, st.Lines, testLines)
	}
	if byType != st.ByType {
		t.Fatalf("types counted %v, Stats.ByType %v", byType, st.ByType)
	}
}

func checkTs(t *testing.T, n int, l *line, last time.Time) time.Time {
	t.Helper()
	if l.Ts == nil {
		t.Fatalf("line %d: no ts", n)
	}
	ts, err := time.Parse("2006-01-02T15:04:05.000000000Z", *l.Ts)
	if err != nil {
		t.Fatalf("line %d: ts: %v", n, err)
	}
	if !ts.After(last) {
		t.Fatalf("line %d: ts %s not after %s", n, ts, last)
	}
	if wd := ts.Weekday(); wd == time.Saturday || wd == time.Sunday {
		t.Fatalf("line %d: ts %s on a %s", n, ts, wd)
	}
	if ts.Hour() < 8 || ts.Hour() >= 20 {
		t.Fatalf("line %d: ts %s outside 08:00-20:00", n, ts)
	}
	if ts.Before(time.Unix(0, StartDefault)) || ts.After(time.Unix(0, StartDefault+5*dayNs)) {
		t.Fatalf("line %d: ts %s outside the three default business days", n, ts)
	}
	return ts
}

func checkFields(t *testing.T, n int, l *line) {
	t.Helper()
	switch l.Type {
	case "transfer", "pending_transfer":
		amountString(t, n, l)
	case "post_pending":
		if len(l.Amount) > 0 {
			amountString(t, n, l)
		}
	case "linked":
		if len(l.Commands) < legsMin || len(l.Commands) > legsMax {
			t.Fatalf("line %d: %d legs", n, len(l.Commands))
		}
		for k := range l.Commands {
			c := &l.Commands[k]
			if c.Type != "transfer" || c.Ts != nil {
				t.Fatalf("line %d: bad leg %+v", n, c)
			}
			amountString(t, n, c)
		}
	}
	if len(l.ID) > 128 {
		t.Fatalf("line %d: id of %d bytes", n, len(l.ID))
	}
}

func TestStatsAndInvalidKinds(t *testing.T) {
	_, st := generate(t, Options{Seed: 1, N: testLines})
	var types, kinds int64
	for _, v := range st.ByType {
		types += v
	}
	for k, v := range st.ByInvalid {
		kinds += v
		if v == 0 {
			t.Errorf("invalid kind %s never generated", InvalidKind(k))
		}
	}
	if types != st.Lines || kinds != st.Invalid {
		t.Fatalf("ByType sums to %d of %d lines, ByInvalid to %d of %d", types, st.Lines, kinds, st.Invalid)
	}
	share := float64(st.Invalid) / float64(st.Lines)
	if share < 0.02 || share > 0.04 {
		t.Errorf("invalid share %.4f, want about %.2f", share, InvalidShareDefault)
	}
	for ct := range CommandTypeCount {
		if st.ByType[ct] == 0 {
			t.Errorf("no %s lines", ct)
		}
	}
	t.Logf("%+v", st)
}

func TestNoInvalid(t *testing.T) {
	_, st := generate(t, Options{Seed: 3, N: 5000, InvalidShare: -1})
	if st.Invalid != 0 {
		t.Fatalf("Invalid = %d with InvalidShare < 0", st.Invalid)
	}
}

func TestSmallN(t *testing.T) {
	for n := 1; n <= 60; n++ {
		data, st := generate(t, Options{Seed: int64(n), N: n, Days: 5})
		if got := bytes.Count(data, []byte{'\n'}); got != n || st.Lines != int64(n) {
			t.Fatalf("N = %d: %d lines, Stats.Lines = %d", n, got, st.Lines)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"zero N", Options{}},
		{"negative N", Options{N: -1}},
		{"negative days", Options{N: 1, Days: -1}},
		{"too many days", Options{N: 1, Days: daysMax + 1}},
		{"start not midnight", Options{N: 1, Start: StartDefault + 1}},
		{"negative start", Options{N: 1, Start: -dayNs}},
		{"share above one", Options{N: 1, InvalidShare: 1.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Generate(io.Discard, tc.o); !errors.Is(err, ErrOptions) {
				t.Fatalf("err = %v, want ErrOptions", err)
			}
		})
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	if _, err := Generate(&failWriter{n: 100_000}, Options{Seed: 1, N: testLines}); err == nil {
		t.Fatal("no error from a failing writer")
	}
}

func TestWeekendStart(t *testing.T) {
	sat := StartDefault - 2*dayNs // 2026-01-03, a Saturday
	a, _ := generate(t, Options{Seed: 1, N: 500, Start: sat})
	b, _ := generate(t, Options{Seed: 1, N: 500})
	if !bytes.Equal(a, b) {
		t.Fatal("a Saturday start should move to the Monday")
	}
}

func BenchmarkGenerate(b *testing.B) {
	const n = 200_000
	o := Options{Seed: 1, N: n}
	st, err := Generate(io.Discard, o)
	if err != nil {
		b.Fatal(err)
	}
	var cw countWriter
	if _, err := Generate(&cw, o); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(cw.n)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := Generate(io.Discard, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
