package server

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tape-ledger/tape/ingest"
)

// Tick ingest over HTTP: POST /v1/ticks/{trades|quotes} with an Arrow IPC
// stream, NDJSON or CSV body, read as it arrives (one batch ahead of the
// store), never held whole.
const (
	// TickWritersDefault is how many tick bodies are written at once; more
	// wait for a slot up to tickSlotWait, then get 429.
	TickWritersDefault = 2
	tickSlotWait       = time.Second
)

// tickResult is the answer to a tick body.
type tickResult struct {
	Table      string `json:"table"`
	Stream     string `json:"stream,omitempty"`
	Rows       int64  `json:"rows"`
	Stored     int64  `json:"stored"`
	Skipped    int64  `json:"stored_before"`
	Bad        int64  `json:"bad"`
	OutOfOrder int64  `json:"out_of_order"`
}

func (s *Server) postTicks(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	table := r.PathValue("table")
	if table != "trades" && table != "quotes" {
		writeError(w, http.StatusNotFound, apiError{Error: "no tick table " + strconv.Quote(table) + ": trades or quotes", Code: "not_found"})
		return
	}
	if s.cfg.Ticks == nil {
		writeError(w, http.StatusServiceUnavailable, apiError{Error: "this server has no column store (--store none)", Code: "no_store"})
		return
	}
	o, err := tickOptions(r, table)
	if err != nil {
		writeError(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "bad_request"})
		return
	}
	// Backpressure: a body is written only with a slot; when the store
	// falls behind the slots stay taken and new bodies are turned away.
	select {
	case s.tickSlots <- struct{}{}:
		defer func() { <-s.tickSlots }()
	case <-time.After(tickSlotWait):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, apiError{Error: "the column store is behind: retry later", Code: "store_busy"})
		return
	case <-r.Context().Done():
		return
	}
	ctx := r.Context()
	mark := ingest.StoreWatermark(ctx, s.cfg.Ticks)
	body := http.MaxBytesReader(w, r.Body, s.cfg.TickBodyBytesMax)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var reader *ingest.TickReader
	switch ct {
	case "application/vnd.apache.arrow.stream":
		rr, err := ipc.NewReader(body, ipc.WithAllocator(memory.DefaultAllocator))
		if err != nil {
			writeError(w, http.StatusBadRequest, apiError{Error: "Arrow IPC stream: " + err.Error(), Code: "bad_body"})
			return
		}
		defer rr.Release()
		reader, err = ingest.NewArrowTicks(rr, "body", o, mark)
	case "application/x-ndjson", "application/jsonl", "application/json":
		reader, err = ingest.NewNDJSONTicks(body, "body", o, mark)
	case "text/csv":
		reader, err = ingest.NewCSVTicks(body, "body", o, mark)
	default:
		writeError(w, http.StatusUnsupportedMediaType, apiError{Error: "Content-Type " + strconv.Quote(ct) +
			": want application/vnd.apache.arrow.stream, application/x-ndjson or text/csv", Code: "unsupported_media_type"})
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "bad_body"})
		return
	}
	defer reader.Release()
	var last ingest.TickStats
	count := func(st ingest.TickStats) { // after each stored batch
		s.metrics.ticks.WithLabelValues(table, "stored").Add(float64(st.Stored - last.Stored))
		s.metrics.ticks.WithLabelValues(table, "stored_before").Add(float64(st.Skipped - last.Skipped))
		s.metrics.ticks.WithLabelValues(table, "bad").Add(float64(st.Bad - last.Bad))
		last = st
	}
	stats, err := ingest.WriteTicks(ctx, reader, s.cfg.Ticks, count)
	res := tickResult{Table: table, Rows: stats.Rows, Stored: stats.Stored, Skipped: stats.Skipped,
		Bad: stats.Bad, OutOfOrder: stats.OutOfOrder}
	var rowErr *ingest.RowError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &rowErr):
		writeError(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "bad_row", Line: int(rowErr.Line),
			Field: rowErr.Column, Detail: fmt.Sprintf("nothing of row %d's batch is stored; the %d rows before it are",
				rowErr.Row, stats.Stored)})
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, apiError{Error: fmt.Sprintf("body over %d bytes; the %d rows before are stored",
			tooBig.Limit, stats.Stored), Code: "too_large"})
	case err != nil && ctx.Err() != nil:
		// The client went away; what was stored stays, and a re-send skips it.
	case err != nil:
		s.log.Error("tick ingest", "table", table, "err", err)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, apiError{Error: err.Error(), Code: "store_error"})
	default:
		writeJSON(w, res)
	}
}

// tickOptions reads the query: source, first_seq, time and map.
func tickOptions(r *http.Request, table string) (ingest.TickOptions, error) {
	q := r.URL.Query()
	o := ingest.TickOptions{Table: table, Source: q.Get("source"), RequireSeq: true}
	var err error
	if o.Columns, err = ingest.ParseColumnMap(q.Get("map")); err != nil {
		return o, err
	}
	if v := q.Get("first_seq"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return o, fmt.Errorf("first_seq %q: want an integer from 1", v)
		}
		o.FirstSeq, o.RequireSeq = n, false
	}
	if v := q.Get("time"); v != "" {
		f, err := ingest.ParseTimeFormat(v)
		if err != nil {
			return o, err
		}
		o.Time = f
	}
	return o, nil
}
