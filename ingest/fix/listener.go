package fix

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Defaults and limits of a Listener.
const (
	// DefaultLinger is how long processed messages may wait for more before
	// their rows are written: live data lands within about this much.
	DefaultLinger = 50 * time.Millisecond
	lingerMin     = time.Millisecond
	// DefaultBatchRows is how many rows (trades and quotes) a session holds
	// before it writes them; BatchRowsMax is the most Config may ask for.
	DefaultBatchRows = 1 << 16
	BatchRowsMax     = 1 << 17
	// DefaultQueueBatches is how many batches may wait for the store;
	// QueueBatchesMax is the most Config may ask for. With BatchRows, it
	// bounds the memory a slow store makes the Listener hold.
	DefaultQueueBatches = 4
	QueueBatchesMax     = 64

	sessionsMax      = 256              // connections at once; more are closed on accept
	sourcesMax       = 4096             // sources remembered (their books)
	sourceBytesMax   = 200              // of a source name: streams are "<table>/<source>"
	heartBtIntMax    = 3600             // seconds, of a Logon's HeartBtInt
	logonTimeout     = 10 * time.Second // from accept to Logon
	writeTimeout     = 10 * time.Second // of one message sent
	testRequestSlack = 5                // TestRequest after HeartBtInt*(1+1/slack) without input
)

// Config configures a Listener.
type Config struct {
	// CompID is Tape's CompID: the TargetCompID (56) a Logon must carry and
	// the SenderCompID of what the Listener sends. Required.
	CompID string
	// Source names the source of a session's rows from the Logon's
	// SenderCompID (49); nil uses the SenderCompID. A venue that starts its
	// MsgSeqNums again every day needs a source per day ("venue-20250314"):
	// keys are MsgSeqNum-based (see SourceSeq).
	Source func(senderCompID string) (string, error)
	// Linger, BatchRows and QueueBatches: 0 means the default.
	Linger       time.Duration
	BatchRows    int
	QueueBatches int
}

// Listener accepts FIX 4.4 market-data sessions over TCP and writes their
// trades and quotes to a Store, exactly once per source: see rowMapper for
// the rows and session for the FIX rules.
//
// Each connection has a goroutine that reads, parses and maps messages into
// Arrow batches; one writer goroutine writes them, in order, through a
// queue of QueueBatches batches. When the store falls behind the queue
// fills, the sessions stop reading their sockets, and TCP tells the senders
// to wait: memory stays bounded by (QueueBatches + 2 per session) batches.
type Listener struct {
	store     Store
	cfg       Config
	stats     counters
	queue     chan job
	closing   atomic.Bool
	sessionWG sync.WaitGroup
	served    chan struct{} // closed when Serve returns

	mu       sync.Mutex
	ln       net.Listener
	sessions map[*peer]struct{} // connections
	sources  map[string]*source
	lastErr  string
}

// source is what a Listener keeps of a source between its sessions.
type source struct {
	name    string
	streams [2]string // quotes, trades, as tables
	book    *book
	outSeq  int           // the next MsgSeqNum the Listener sends it; used by the live session only
	live    *peer         // the session logged on, nil when none; guarded by Listener.mu
	free    chan struct{} // closed when live lets go; guarded by Listener.mu
	failed  bool          // a write failed since the last logon; the writer's alone
}

// NewListener returns a Listener writing to store. Serve starts it.
func NewListener(store Store, cfg Config) (*Listener, error) {
	if cfg.CompID == "" || strings.IndexByte(cfg.CompID, SOH) >= 0 {
		return nil, fmt.Errorf("fix: listener: CompID %q must be non-empty without SOH", cfg.CompID)
	}
	cfg.Linger = orDefault(cfg.Linger, DefaultLinger)
	cfg.BatchRows = orDefault(cfg.BatchRows, DefaultBatchRows)
	cfg.QueueBatches = orDefault(cfg.QueueBatches, DefaultQueueBatches)
	if cfg.Linger < lingerMin || cfg.BatchRows < 1 || cfg.BatchRows > BatchRowsMax || cfg.QueueBatches < 1 || cfg.QueueBatches > QueueBatchesMax {
		return nil, fmt.Errorf("fix: listener: Linger %v must be >= %v, BatchRows %d 1 to %d, QueueBatches %d 1 to %d",
			cfg.Linger, lingerMin, cfg.BatchRows, BatchRowsMax, cfg.QueueBatches, QueueBatchesMax)
	}
	return &Listener{store: store, cfg: cfg, queue: make(chan job, cfg.QueueBatches), served: make(chan struct{}),
		sessions: make(map[*peer]struct{}), sources: make(map[string]*source)}, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ErrListenerClosed is what Serve returns when called after Close, or twice.
var ErrListenerClosed = errors.New("fix: listener closed")

// Serve accepts sessions on ln until Close, ctx's end or an accept error,
// then ends every session (Logout), writes what they processed, and returns:
// nil after Close, else the error. ctx bounds every store call: cancelling
// it aborts writes in flight (what they held is then asked for again at
// the next Logon). Serve closes ln.
func (l *Listener) Serve(ctx context.Context, ln net.Listener) error {
	l.mu.Lock()
	if l.ln != nil || l.closing.Load() {
		l.mu.Unlock()
		ln.Close()
		return ErrListenerClosed
	}
	l.ln = ln
	l.mu.Unlock()
	defer close(l.served)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		l.write(ctx)
	}()
	stop := context.AfterFunc(ctx, l.stop)
	defer stop()
	var err error
	for {
		conn, aerr := ln.Accept()
		if aerr != nil {
			if !l.closing.Load() {
				err = fmt.Errorf("fix: listener: accept on %s: %w", ln.Addr(), aerr)
			} else if ctx.Err() != nil {
				err = ctx.Err()
			}
			break
		}
		if s := l.add(conn); s != nil {
			go l.serve(ctx, s)
		}
	}
	l.stop()
	l.sessionWG.Wait()
	close(l.queue)
	<-writerDone
	return err
}

// Close ends the Listener gracefully: no more sessions, a Logout to each,
// their processed messages written, and waits for Serve to return.
func (l *Listener) Close() error {
	l.stop()
	l.mu.Lock()
	started := l.ln != nil
	l.mu.Unlock()
	if started {
		<-l.served
	}
	return nil
}

// stop stops accepting and wakes every session to end.
func (l *Listener) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closing.Store(true)
	if l.ln != nil {
		l.ln.Close()
	}
	for s := range l.sessions {
		s.conn.SetReadDeadline(time.Now()) // see peer.Read
	}
}

// add registers a new connection, or closes it when the Listener is closing
// or full.
func (l *Listener) add(conn net.Conn) *peer {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing.Load() || len(l.sessions) >= sessionsMax {
		conn.Close()
		l.stats.logonsRefused.Add(1)
		return nil
	}
	s := newPeer(l, conn)
	l.sessions[s] = struct{}{}
	l.sessionWG.Add(1)
	return s
}

// remove forgets an ended session.
func (l *Listener) remove(s *peer) {
	l.mu.Lock()
	delete(l.sessions, s)
	l.mu.Unlock()
	l.sessionWG.Done()
}

// claim returns the source named by a Logon from senderCompID, marked live
// for peer s, or an error to send in a Logout. A source already live is
// taken over: its connection is closed and claim waits until that session
// has queued its rows and let go (a venue reconnecting before Tape saw the
// old connection end, or a half-open one).
func (l *Listener) claim(ctx context.Context, s *peer, senderCompID string) (*source, error) {
	name := senderCompID
	if l.cfg.Source != nil {
		var err error
		if name, err = l.cfg.Source(senderCompID); err != nil {
			return nil, fmt.Errorf("no source for SenderCompID %q: %w", senderCompID, err)
		}
	}
	if name == "" || len(name) > sourceBytesMax || !utf8.ValidString(name) || strings.IndexByte(name, SOH) >= 0 {
		return nil, fmt.Errorf("source %q of SenderCompID %q must be 1 to %d bytes of UTF-8", name, senderCompID, sourceBytesMax)
	}
	for {
		l.mu.Lock()
		src := l.sources[name]
		if src == nil {
			if len(l.sources) >= sourcesMax {
				l.mu.Unlock()
				return nil, fmt.Errorf("source %q: the listener already knows %d sources", name, sourcesMax)
			}
			src = &source{name: name, streams: [2]string{QuotesStream(name), TradesStream(name)}, book: newBook(), outSeq: 1}
			l.sources[name] = src
		}
		old, free := src.live, src.free
		if old == nil {
			src.live, src.free = s, make(chan struct{})
			l.mu.Unlock()
			return src, nil
		}
		l.mu.Unlock()
		old.conn.Close()
		select {
		case <-free:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// release ends s's claim on its source.
func (l *Listener) release(src *source) {
	l.mu.Lock()
	src.live = nil
	close(src.free)
	l.mu.Unlock()
}

// setLastErr keeps the last store error for Stats.
func (l *Listener) setLastErr(err error) {
	l.mu.Lock()
	l.lastErr = err.Error()
	l.mu.Unlock()
}
