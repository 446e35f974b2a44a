package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tape-ledger/tape/internal/tape"
)

// Metrics are the server's Prometheus collectors. It implements
// tape.Metrics.
type Metrics struct {
	Registry *prometheus.Registry
	commands *prometheus.CounterVec
	fsync    prometheus.Histogram
	batch    prometheus.Histogram
	requests *prometheus.HistogramVec

	projectedSeq       prometheus.Gauge
	projectionFailures prometheus.Counter
	ticks              *prometheus.CounterVec
}

// NewMetrics registers Tape's collectors in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tape_commands_total", Help: "Commands sequenced, by outcome.",
		}, []string{"status"}),
		fsync: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tape_fsync_seconds", Help: "Time to write and fsync one group commit.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tape_group_commit_records", Help: "Records written per group commit (one fsync).",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tape_http_request_seconds", Help: "HTTP request latency by route and status code.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16),
		}, []string{"route", "code"}),
		projectedSeq: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tape_store_projected_seq", Help: "Highest seq the column store holds (all its tables).",
		}),
		projectionFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tape_store_projection_failures_total", Help: "Projection passes that failed (store unreachable, ...) and were retried.",
		}),
		ticks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tape_ticks_total", Help: "Tick rows taken over HTTP, by table and outcome (stored, stored_before, bad).",
		}, []string{"table", "outcome"}),
	}
	m.Registry.MustRegister(m.commands, m.fsync, m.batch, m.requests, m.projectedSeq, m.projectionFailures, m.ticks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, s := range []tape.Status{tape.Accepted, tape.Rejected, tape.Duplicate} {
		m.commands.WithLabelValues(s.String())
	}
	return m
}

// Committed implements tape.Metrics.
func (m *Metrics) Committed(records int, commands map[tape.Status]int, fsync time.Duration) {
	for s, n := range commands {
		m.commands.WithLabelValues(s.String()).Add(float64(n))
	}
	m.fsync.Observe(fsync.Seconds())
	m.batch.Observe(float64(records))
}

// Projected records that the column store holds every event up to seq.
func (m *Metrics) Projected(seq uint64) { m.projectedSeq.Set(float64(seq)) }

// ProjectionFailed counts a failed projection pass.
func (m *Metrics) ProjectionFailed() { m.projectionFailures.Inc() }

// watchLedger adds gauges that read the ledger when scraped.
func (m *Metrics) watchLedger(l *tape.Ledger) {
	m.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tape_tape_bytes", Help: "Size of the tape on disk."},
			func() float64 { return float64(l.TapeBytes()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tape_seq", Help: "Last durable seq."},
			func() float64 { return float64(l.Seq()) }),
	)
}
