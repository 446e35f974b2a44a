package ingest

import (
	"bytes"
	"testing"

	"github.com/tape-ledger/tape/internal/workload"
)

// benchBody is a generated workload: mostly transfers with ts, some linked
// batches and pending transfers, a few invalid commands (valid JSON).
func benchBody(b *testing.B, array bool) ([]byte, int) {
	var body bytes.Buffer
	st, err := workload.Generate(&body, workload.Options{Seed: 1, N: 20000})
	if err != nil {
		b.Fatal(err)
	}
	if !array {
		return body.Bytes(), int(st.Lines)
	}
	elems := bytes.ReplaceAll(bytes.TrimSpace(body.Bytes()), []byte("\n"), []byte(","))
	return append(append([]byte{'['}, elems...), ']'), int(st.Lines)
}

func benchDecode(b *testing.B, array bool) {
	body, n := benchBody(b, array)
	r := bytes.NewReader(body)
	d := NewCommandDecoder(r)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r.Reset(body)
		d.Reset(r)
		got := 0
		for {
			_, err := d.Next()
			if err != nil {
				break
			}
			got++
		}
		if got != n {
			b.Fatalf("decoded %d commands, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
}

func BenchmarkDecodeNDJSON(b *testing.B) { benchDecode(b, false) }
func BenchmarkDecodeArray(b *testing.B)  { benchDecode(b, true) }
