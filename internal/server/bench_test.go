package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tape-ledger/tape/internal/tape"
)

// benchClients is how many concurrent HTTP clients the benchmark runs; each
// sends batches of benchBatch transfers.
const (
	benchClients  = 8
	benchBatch    = 1000
	benchAccounts = 1000
)

// BenchmarkPostCommands measures durable throughput through
// POST /v1/commands over loopback TCP: batches of 1000 transfers, several
// clients, group commit, fsync on. One op is one request of 1000 transfers.
func BenchmarkPostCommands(b *testing.B) {
	m := NewMetrics()
	l, err := tape.Open(tape.Options{Dir: b.TempDir(), Logger: slog.New(slog.DiscardHandler), Metrics: m})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	srv := httptest.NewServer(New(Config{Rate: 0}, l, slog.New(slog.DiscardHandler), m))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
	mustPost(b, client, srv.URL, benchSetup())
	bodies := make([]string, b.N)
	for i := range bodies {
		bodies[i] = benchBody(i)
	}
	latencies := make([]time.Duration, b.N)
	var next sync.Mutex
	n := 0
	b.SetBytes(int64(len(bodies[0])))
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				i := n
				n++
				next.Unlock()
				if i >= b.N {
					return
				}
				start := time.Now()
				mustPost(b, client, srv.URL, bodies[i])
				latencies[i] = time.Since(start)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "transfers/s")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
}

func benchSetup() string {
	var s strings.Builder
	s.WriteString(`{"type":"define_asset","id":"asset","asset":"USD","scale":2}` + "\n")
	s.WriteString(`{"type":"open_account","id":"open-ext","account":"ext","asset":"USD"}` + "\n")
	for i := range benchAccounts {
		fmt.Fprintf(&s, `{"type":"open_account","id":"open-%d","account":"acct-%d","asset":"USD","flags":["debits_must_not_exceed_credits"]}`+"\n", i, i)
		fmt.Fprintf(&s, `{"type":"transfer","id":"fund-%d","debit":"ext","credit":"acct-%d","asset":"USD","amount":"100000000.00"}`+"\n", i, i)
	}
	return s.String()
}

func benchBody(req int) string {
	var s strings.Builder
	for k := range benchBatch {
		i := req*benchBatch + k
		d, c := (i*7919)%benchAccounts, (i*104729+1)%benchAccounts
		if d == c {
			c = (c + 1) % benchAccounts
		}
		fmt.Fprintf(&s, `{"type":"transfer","id":"t-%d","debit":"acct-%d","credit":"acct-%d","asset":"USD","amount":"1.25"}`+"\n", i, d, c)
	}
	return s.String()
}

func mustPost(b *testing.B, client *http.Client, url, body string) {
	resp, err := client.Post(url+"/v1/commands", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(out), `"rejected"`) {
		b.Errorf("status %d: %.300s", resp.StatusCode, out)
	}
}
