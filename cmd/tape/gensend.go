package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tape-ledger/tape/columnar"
	"github.com/tape-ledger/tape/ingest/fix"
	"github.com/tape-ledger/tape/internal/workload"
)

// genTicksHTTP posts every generated batch as an Arrow IPC stream body to
// a running server's POST /v1/ticks/{table}, waiting out 429 and 503 as
// their Retry-After says. Sending again stores nothing twice.
func genTicksHTTP(opts workload.TickOptions, base string) error {
	client := &http.Client{Timeout: 5 * time.Minute}
	var stored, before int64
	var body bytes.Buffer
	stats, err := workload.GenerateTickBatches(opts, func(b workload.TickBatch) error {
		defer b.Rec.Release()
		body.Reset()
		w := ipc.NewWriter(&body, ipc.WithSchema(b.Rec.Schema()))
		if err := w.Write(b.Rec); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		res, err := postTicks(client, strings.TrimSuffix(base, "/")+"/v1/ticks/"+b.Table, body.Bytes())
		stored, before = stored+res.Stored, before+res.StoredBefore
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "sent %d trades and %d quotes to %s: %d stored, %d stored before\n",
		stats.Trades, stats.Quotes, base, stored, before)
	return nil
}

type postResult struct {
	Stored       int64 `json:"stored"`
	StoredBefore int64 `json:"stored_before"`
}

func postTicks(client *http.Client, url string, body []byte) (postResult, error) {
	for {
		resp, err := client.Post(url, "application/vnd.apache.arrow.stream", bytes.NewReader(body))
		if err != nil {
			return postResult{}, err
		}
		answer, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return postResult{}, err
		}
		switch resp.StatusCode {
		case http.StatusOK:
			var res postResult
			return res, json.Unmarshal(answer, &res)
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(wait, 1)) * time.Second)
		default:
			return postResult{}, fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(answer))
		}
	}
}

// fixSender is a minimal FIX 4.4 initiator: Logon, 35=X market data,
// Heartbeats answering TestRequests, Logout.
type fixSender struct {
	conn           net.Conn
	w              *bufio.Writer
	sender, target string
	seq            int
	buf            []byte
	body           []fix.Field
	readErr        chan error
}

// genTicksFIX sends every generated tick to a FIX listener as 35=X: a quote
// as a bid and an offer entry, a trade as a trade entry with its side (54).
func genTicksFIX(opts workload.TickOptions, addr, sender, target string) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	s := &fixSender{conn: conn, w: bufio.NewWriterSize(conn, 1<<20), sender: sender, target: target, readErr: make(chan error, 1)}
	logon := make(chan struct{})
	go s.read(logon)
	s.send(fix.MsgTypeLogon, time.Now().UnixNano(), fix.Field{Tag: fix.TagEncryptMethod, Value: "0"},
		fix.Field{Tag: fix.TagHeartBtInt, Value: "30"})
	if err := s.w.Flush(); err != nil {
		return err
	}
	select {
	case <-logon:
	case err := <-s.readErr:
		return fmt.Errorf("FIX logon to %s: %w", addr, err)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("FIX logon to %s: no answer in 10 s", addr)
	}
	stats, err := workload.GenerateTickBatches(opts, func(b workload.TickBatch) error {
		defer b.Rec.Release()
		s.sendBatch(b.Table, b.Rec)
		select {
		case err := <-s.readErr:
			return fmt.Errorf("FIX session: %w", err)
		default:
			return nil
		}
	})
	if err != nil {
		return err
	}
	s.send(fix.MsgTypeLogout, time.Now().UnixNano())
	if err := s.w.Flush(); err != nil {
		return err
	}
	if err := <-s.readErr; err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("FIX logout: %w", err)
	}
	fmt.Fprintf(os.Stderr, "sent %d trades and %d quotes to %s over FIX (%d messages)\n", stats.Trades, stats.Quotes, addr, s.seq)
	return nil
}

// send appends one message to the buffered connection; only the
// generator's goroutine sends.
func (s *fixSender) send(msgType string, ts int64, body ...fix.Field) {
	s.seq++
	s.buf = fix.Append(s.buf[:0], fix.Header{MsgType: msgType, SenderCompID: s.sender, TargetCompID: s.target,
		MsgSeqNum: s.seq, SendingTs: ts}, body)
	s.w.Write(s.buf)
}

// sendBatch sends a batch's rows, one 35=X each.
func (s *fixSender) sendBatch(table string, rec arrow.RecordBatch) {
	ts := rec.Column(0).(*array.Timestamp)
	sym := rec.Column(1).(*array.String)
	dec := func(c, i int) string { return columnar.DecimalText(rec.Column(c).(*array.Decimal128).Value(i), 8) }
	for i := range int(rec.NumRows()) {
		t := int64(ts.Value(i))
		clock := time.Unix(0, t).UTC().Format("15:04:05.000000000")
		day := time.Unix(0, t).UTC().Format("20060102")
		entry := func(typ, px, size string) {
			s.body = append(s.body, fix.Field{Tag: fix.TagMDUpdateAction, Value: "0"}, fix.Field{Tag: fix.TagMDEntryType, Value: typ},
				fix.Field{Tag: fix.TagSymbol, Value: sym.Value(i)}, fix.Field{Tag: fix.TagMDEntryPx, Value: px},
				fix.Field{Tag: fix.TagMDEntrySize, Value: size}, fix.Field{Tag: fix.TagMDEntryDate, Value: day},
				fix.Field{Tag: fix.TagMDEntryTime, Value: clock})
		}
		s.body = append(s.body[:0], fix.Field{Tag: fix.TagMDReqID, Value: "gen"})
		if table == "quotes" {
			s.body = append(s.body, fix.Field{Tag: fix.TagNoMDEntries, Value: "2"})
			entry("0", dec(2, i), dec(4, i))
			entry("1", dec(3, i), dec(5, i))
		} else {
			s.body = append(s.body, fix.Field{Tag: fix.TagNoMDEntries, Value: "1"})
			entry("2", dec(2, i), dec(3, i))
			side := "1"
			if rec.Column(4).(*array.String).Value(i) == "S" {
				side = "2"
			}
			s.body = append(s.body, fix.Field{Tag: fix.TagSide, Value: side},
				fix.Field{Tag: fix.TagTradeID, Value: rec.Column(5).(*array.String).Value(i)},
				fix.Field{Tag: fix.TagMDMkt, Value: rec.Column(6).(*array.String).Value(i)})
		}
		s.send(fix.MsgTypeMarketDataIncremental, t, s.body...)
	}
}

// read watches the listener's messages: the Logon answer, then anything
// that ends the session (Logout, Reject, ResendRequest, an error). A
// TestRequest while the generator runs is left unanswered: the generator
// sends market data continuously, which keeps the session alive.
func (s *fixSender) read(logon chan<- struct{}) {
	sc := fix.NewScanner(s.conn)
	loggedOn := false
	for {
		m, err := sc.Next()
		if err != nil {
			s.readErr <- err
			return
		}
		switch string(m.MsgType()) {
		case fix.MsgTypeLogon:
			if !loggedOn {
				loggedOn = true
				close(logon)
			}
		case fix.MsgTypeLogout:
			s.readErr <- nil
			return
		case fix.MsgTypeReject, fix.MsgTypeBusinessMessageReject, fix.MsgTypeResendRequest:
			text, _ := m.Get(fix.TagText)
			s.readErr <- fmt.Errorf("the listener answered 35=%s: %s", m.MsgType(), text)
			return
		}
	}
}

// genTicksArrowFiles writes PREFIX.trades.EXT and PREFIX.quotes.EXT as
// Parquet or Arrow IPC files, one row group or record batch per generated
// batch.
func genTicksArrowFiles(opts workload.TickOptions, prefix, format string) error {
	type tableFile struct {
		f     *os.File // nil when close closes it
		write func(arrow.RecordBatch) error
		close func() error
	}
	files := map[string]*tableFile{}
	open := func(table string, schema *arrow.Schema) (*tableFile, error) {
		f, err := os.Create(prefix + "." + table + "." + format)
		if err != nil {
			return nil, err
		}
		tf := &tableFile{f: f}
		if format == "parquet" {
			w, err := pqarrow.NewFileWriter(schema, f, parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd),
				parquet.WithMaxRowGroupLength(columnar.BatchRowsMax)),
				pqarrow.DefaultWriterProps())
			if err != nil {
				f.Close()
				return nil, err
			}
			tf.write, tf.close = w.Write, w.Close // closes f too
			tf.f = nil
		} else {
			w, err := ipc.NewFileWriter(f, ipc.WithSchema(schema))
			if err != nil {
				f.Close()
				return nil, err
			}
			tf.write, tf.close = w.Write, w.Close
		}
		return tf, nil
	}
	stats, err := workload.GenerateTickBatches(opts, func(b workload.TickBatch) error {
		defer b.Rec.Release()
		tf := files[b.Table]
		if tf == nil {
			var err error
			if tf, err = open(b.Table, b.Rec.Schema()); err != nil {
				return err
			}
			files[b.Table] = tf
		}
		return tf.write(b.Rec)
	})
	for _, tf := range files {
		err = errors.Join(err, tf.close())
		if tf.f != nil {
			err = errors.Join(err, tf.f.Close())
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %d trades and %d quotes to %s.{trades,quotes}.%s\n", stats.Trades, stats.Quotes, prefix, format)
	return nil
}
