package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tape-ledger/tape/ingest"
	"github.com/tape-ledger/tape/ingest/fix"
	"github.com/tape-ledger/tape/internal/server"
	"github.com/tape-ledger/tape/internal/tape"
)

func serve(args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	data := fs.String("data", "data", "data directory (tape, snapshots)")
	listen := fs.String("listen", "127.0.0.1:7070", "address to listen on")
	rate := fs.Float64("rate", server.RateDefault, "commands per second per client (0: no limit)")
	burst := fs.Float64("burst", server.BurstDefault, "commands a client may send at once")
	bodyMax := fs.Int64("body-max", server.BodyBytesMaxDefault, "largest request body in bytes")
	perRequest := fs.Int("commands-max", server.CommandsPerRequestMaxDefault, "most commands in one request")
	snapEvery := fs.Uint64("snapshot-every", tape.SnapshotEveryDefault, "commands between snapshots")
	storeURL := fs.String("store", "", storeFlagHelp+`; "none": no projection, no ticks`)
	tickWriters := fs.Int("tick-writers", server.TickWritersDefault, "tick bodies written at once; more get 429")
	fixListen := fs.String("fix-listen", "", "address of the FIX 4.4 market-data listener (off when empty)")
	fixCompID := fs.String("fix-comp-id", "TAPE", "Tape's CompID in FIX sessions (TargetCompID of a Logon)")
	fs.Parse(args)
	if *perRequest < 1 || *perRequest > tape.SubmitCommandsMax {
		return fmt.Errorf("--commands-max must be 1..%d", tape.SubmitCommandsMax)
	}

	metrics := server.NewMetrics()
	l, err := tape.Open(tape.Options{Dir: *data, Logger: log, Metrics: metrics, SnapshotEvery: *snapEvery, CloseIdleDays: true})
	if err != nil {
		return err
	}
	var ticks ingest.TickStore
	stopProjection := func() error { return nil }
	if *storeURL != "none" {
		if ticks, stopProjection, err = startProjection(*storeURL, *data, l, log, metrics); err != nil {
			return errors.Join(err, l.Close())
		}
	}
	stopFIX, err := startFIX(*fixListen, *fixCompID, ticks, log, metrics)
	if err != nil {
		return errors.Join(err, stopProjection(), l.Close())
	}
	stopStores := func() error { return errors.Join(stopFIX(), stopProjection()) }
	srv := server.New(server.Config{Token: os.Getenv("TAPE_TOKEN"), BodyBytesMax: *bodyMax,
		CommandsPerRequestMax: *perRequest, Rate: *rate, Burst: *burst, Ticks: ticks, TickWriters: *tickWriters}, l, log, metrics)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return errors.Join(err, stopStores(), l.Close())
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	log.Info("serving", "listen", ln.Addr().String(), "data", *data, "seq", l.Seq(), "auth", os.Getenv("TAPE_TOKEN") != "")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
		shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = hs.Shutdown(shutdown)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, stopStores(), l.Close())
}

// startFIX runs the FIX listener on addr, writing into the store; stop
// closes it after its sessions' rows are written.
func startFIX(addr, compID string, st ingest.TickStore, log *slog.Logger, metrics *server.Metrics) (stop func() error, err error) {
	if addr == "" {
		return func() error { return nil }, nil
	}
	if st == nil {
		return nil, errors.New("--fix-listen needs a column store (not --store none)")
	}
	fl, err := fix.NewListener(st, fix.Config{CompID: compID})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	log.Info("FIX market-data listener", "fix_listen", ln.Addr().String(), "comp_id", compID)
	metrics.WatchFIX(fl.Stats)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fl.Serve(ctx, ln) }()
	return func() error {
		err := fl.Close() // Logout to every session, their rows written
		cancel()
		s := fl.Stats()
		log.Info("FIX listener stopped", "messages", s.Messages, "trade_rows", s.TradeRows, "quote_rows", s.QuoteRows,
			"rejects", s.Rejects, "gaps", s.Gaps, "out_of_order", s.OutOfOrder, "out_of_order_by_symbol", len(s.OutOfOrderBySymbol),
			"write_errors", s.WriteErrors)
		return errors.Join(err, <-done)
	}, nil
}
