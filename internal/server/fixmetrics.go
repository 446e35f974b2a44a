package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tape-ledger/tape/ingest/fix"
)

// fixCollector exports a FIX listener's Stats, read once per scrape.
type fixCollector struct {
	stats func() fix.Stats
	descs map[string]*prometheus.Desc
}

var fixMetrics = []struct {
	name, help string
	labels     []string
	gauge      bool
}{
	{"tape_fix_sessions", "FIX sessions logged on.", nil, true},
	{"tape_fix_sessions_blocked", "FIX sessions waiting for the store (not reading their socket).", nil, true},
	{"tape_fix_queued_batches", "FIX batches waiting for the store.", nil, true},
	{"tape_fix_messages_total", "FIX messages processed in sequence.", nil, false},
	{"tape_fix_entries_total", "Bids, offers and trades of accepted FIX messages.", nil, false},
	{"tape_fix_rows_total", "Rows made from FIX entries, by table.", []string{"table"}, false},
	{"tape_fix_rejects_total", "FIX messages rejected (35=3 or 35=j sent).", nil, false},
	{"tape_fix_gaps_total", "ResendRequests sent for a sequence gap.", nil, false},
	{"tape_fix_duplicates_total", "PossDup messages already processed, ignored.", nil, false},
	{"tape_fix_garbled_total", "Bad bytes or messages skipped.", nil, false},
	{"tape_fix_logons_refused_total", "Connections closed before or at Logon.", nil, false},
	{"tape_fix_out_of_order_total", "Entries older than their symbol's latest (stored as sent).", nil, false},
	{"tape_fix_batches_total", "FIX batches by outcome: stored, skipped (stored before), dropped (after a failed write).", []string{"outcome"}, false},
	{"tape_fix_write_errors_total", "Failed writes of FIX batches.", nil, false},
}

// WatchFIX exports the FIX listener's counters and gauges.
func (m *Metrics) WatchFIX(stats func() fix.Stats) {
	c := &fixCollector{stats: stats, descs: map[string]*prometheus.Desc{}}
	for _, d := range fixMetrics {
		c.descs[d.name] = prometheus.NewDesc(d.name, d.help, d.labels, nil)
	}
	m.Registry.MustRegister(c)
}

func (c *fixCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *fixCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	gauge := func(name string, v int) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.GaugeValue, float64(v))
	}
	counter := func(name string, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.CounterValue, float64(v), labels...)
	}
	gauge("tape_fix_sessions", s.Sessions)
	gauge("tape_fix_sessions_blocked", s.SessionsBlocked)
	gauge("tape_fix_queued_batches", s.QueuedBatches)
	counter("tape_fix_messages_total", s.Messages)
	counter("tape_fix_entries_total", s.Entries)
	counter("tape_fix_rows_total", s.TradeRows, "trades")
	counter("tape_fix_rows_total", s.QuoteRows, "quotes")
	counter("tape_fix_rejects_total", s.Rejects)
	counter("tape_fix_gaps_total", s.Gaps)
	counter("tape_fix_duplicates_total", s.Duplicates)
	counter("tape_fix_garbled_total", s.Garbled)
	counter("tape_fix_logons_refused_total", s.LogonsRefused)
	counter("tape_fix_out_of_order_total", s.OutOfOrder)
	counter("tape_fix_batches_total", s.Batches, "stored")
	counter("tape_fix_batches_total", s.BatchesSkipped, "skipped")
	counter("tape_fix_batches_total", s.BatchesDropped, "dropped")
	counter("tape_fix_write_errors_total", s.WriteErrors)
}
