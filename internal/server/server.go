// Package server is Tape's HTTP API: commands in, balances, events and
// state out, with limits, auth, metrics and structured logs.
package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tape-ledger/tape/ingest"
	"github.com/tape-ledger/tape/internal/tape"
)

// Defaults of Config.
const (
	BodyBytesMaxDefault          = 64 << 20
	CommandsPerRequestMaxDefault = 10_000
	RateDefault                  = 500_000 // commands per second per client
	BurstDefault                 = 1_000_000
	submitWaitMax                = 5 * time.Second // a full sequencer queue answers 503 after this
)

// Config is the server's settings.
type Config struct {
	Token                 string // if set, writes need "Authorization: Bearer <Token>"
	BodyBytesMax          int64
	CommandsPerRequestMax int
	Rate, Burst           float64 // per-client token bucket in commands; Rate 0 turns it off
	// Ticks is the column store POST /v1/ticks writes into; nil answers 503.
	Ticks ingest.TickStore
	// TickWriters is how many tick bodies are written at once (0:
	// TickWritersDefault); TickBodyBytesMax bounds one (0: no bound).
	TickWriters      int
	TickBodyBytesMax int64
}

// Server serves one ledger.
type Server struct {
	cfg     Config
	ledger  *tape.Ledger
	log     *slog.Logger
	metrics *Metrics
	limiter *rateLimiter
	mux     *http.ServeMux

	tickSlots chan struct{} // a token per tick body being written
}

// New returns the API for a ledger. metrics may be the same collectors the
// ledger reports to.
func New(cfg Config, l *tape.Ledger, log *slog.Logger, metrics *Metrics) *Server {
	if cfg.BodyBytesMax == 0 {
		cfg.BodyBytesMax = BodyBytesMaxDefault
	}
	if cfg.CommandsPerRequestMax == 0 {
		cfg.CommandsPerRequestMax = CommandsPerRequestMaxDefault
	}
	if cfg.TickWriters == 0 {
		cfg.TickWriters = TickWritersDefault
	}
	if cfg.TickBodyBytesMax == 0 {
		cfg.TickBodyBytesMax = 1<<63 - 1
	}
	s := &Server{cfg: cfg, ledger: l, log: log, metrics: metrics, limiter: newRateLimiter(cfg.Rate, cfg.Burst), mux: http.NewServeMux(),
		tickSlots: make(chan struct{}, cfg.TickWriters)}
	metrics.watchLedger(l)
	s.route("POST /v1/commands", s.postCommands)
	s.route("GET /v1/accounts/{id}", s.getAccount)
	s.route("GET /v1/accounts/{id}/balance", s.getBalance)
	s.route("GET /v1/events", s.getEvents)
	s.route("GET /v1/state", s.getState)
	s.route("POST /v1/ticks/{table}", s.postTicks)
	s.route("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// route registers a handler with latency metrics and an access log.
func (s *Server) route(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
	name := pattern[strings.IndexByte(pattern, ' ')+1:]
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h(rec, r)
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(name, strconv.Itoa(rec.code)).Observe(d.Seconds())
		level := slog.LevelDebug
		if rec.code >= 500 {
			level = slog.LevelError
		} else if rec.code >= 400 {
			level = slog.LevelInfo
		}
		s.log.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "code", rec.code,
			"ms", float64(d.Microseconds())/1000, "client", clientKey(r, ""))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// apiError is the body of every error answer.
type apiError struct {
	Error  string `json:"error"`
	Code   string `json:"code"`
	Line   int    `json:"line,omitempty"`
	Field  string `json:"field,omitempty"`
	Detail string `json:"detail,omitempty"`
}

func writeError(w http.ResponseWriter, status int, e apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(e)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// authorized checks the bearer token for writes, in constant time.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) == 1 {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="tape"`)
	writeError(w, http.StatusUnauthorized, apiError{Error: "writes need Authorization: Bearer <token> (TAPE_TOKEN is set)", Code: "unauthorized"})
	return false
}

// clientKey names a client for the rate limiter: its token when auth is
// on, else its address.
func clientKey(r *http.Request, token string) string {
	if token != "" {
		return "token"
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.ledger.Failed(); err != nil {
		writeError(w, http.StatusServiceUnavailable, apiError{Error: err.Error(), Code: "ledger_failed"})
		return
	}
	writeJSON(w, map[string]any{"status": "ok", "seq": s.ledger.Seq()})
}

// statusFor maps a submit error to an HTTP status.
func statusFor(err error) (int, string) {
	switch {
	case errors.Is(err, tape.ErrClosed):
		return http.StatusServiceUnavailable, "shutting_down"
	case errors.Is(err, tape.ErrOverloaded):
		return http.StatusServiceUnavailable, "overloaded"
	}
	return http.StatusInternalServerError, "internal"
}
