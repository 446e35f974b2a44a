package fix

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// peer is one connection of a Listener: a FIX session from Logon to Logout.
// One goroutine runs it; it alone reads and writes the connection, the
// source's book and its builders.
//
// The session rules:
//   - The first message must be a Logon (35=A) to Config.CompID with
//     EncryptMethod 0 and a HeartBtInt of 0 to 3600 s, within 10 s; else
//     the connection closes (after a Logout when the sender is known).
//   - At Logon the session waits for the writer to store what earlier
//     sessions of the source sent, reads the watermarks of its two streams,
//     and expects MsgSeqNum resumeSeq(lower watermark): on a reconnect, even
//     after a crash, the sender resends (PossDup) what is not stored, and
//     rows at or below a stream's watermark are dropped, so nothing is
//     stored twice. ResetSeqNumFlag=Y is refused unless nothing is stored.
//   - Every message then goes through Session: a gap is asked for with a
//     ResendRequest (7=expected, 16=0), PossDup messages already processed
//     are ignored, SequenceReset moves the expected MsgSeqNum, a MsgSeqNum
//     too low without PossDup ends the session.
//   - Heartbeat after HeartBtInt s without output, TestRequest after
//     HeartBtInt*1.2 s without input, and the connection closes after one
//     HeartBtInt more; TestRequest is answered with a Heartbeat, Logout with
//     a Logout, and a ResendRequest with a SequenceReset-GapFill: Tape sends
//     only session messages, which are never resent.
//   - 35=W and 35=X map to rows (rowMapper); a message that does not map is
//     rejected whole with a Reject (35=3), another application message with
//     a BusinessMessageReject (35=j, 380=3): either way nothing of it is
//     stored and its MsgSeqNum is consumed.
//   - Bytes that are not a message are skipped (Stats.Garbled): the gap they
//     leave is asked for with the next message.
//   - The connection ending mid-message drops the partial message; rows of
//     the whole messages before it are written.
type peer struct {
	l      *Listener
	conn   net.Conn
	sc     *Scanner
	src    *source    // nil before Logon
	seq    *Session   // nil before Logon
	rows   *rowMapper // nil before Logon
	sender string     // SenderCompID of the Logon

	heartBt      time.Duration // 0: no heartbeats
	started      time.Time
	lastSent     time.Time
	lastRecv     time.Time
	testReqSent  bool
	testReqs     int
	deadline     time.Time // the read deadline set last
	pending      bool      // messages processed whose rows are not queued
	pendingSince time.Time
	mark         uint64 // MessageMark of the last application message processed
	out          []byte
	// inflight counts the session's batches queued or being written. Past
	// Linger, rows wait while one is: a busy store then gets larger
	// batches, which it writes faster, and an idle one rows within Linger.
	inflight atomic.Int32
}

// lingerPolls: while rows wait past Linger for a batch in flight, the
// session looks again every Linger/lingerPolls.
const lingerPolls = 8

func newPeer(l *Listener, conn net.Conn) *peer {
	p := &peer{l: l, conn: conn, started: time.Now()}
	p.lastRecv, p.lastSent = p.started, p.started
	p.sc = NewScanner(p)
	return p
}

// Errors that end a peer.
var (
	errClosing = errors.New("fix: listener closing")
	errLogout  = errors.New("fix: logged out")
)

// serve runs p until its connection ends.
func (l *Listener) serve(ctx context.Context, p *peer) {
	defer l.remove(p)
	defer p.conn.Close()
	if !p.logon(ctx) {
		l.stats.logonsRefused.Add(1)
		return
	}
	l.stats.sessions.Add(1)
	defer l.stats.sessions.Add(-1)
	defer l.release(p.src)
	defer p.rows.release()
	err := p.run()
	if errors.Is(err, errClosing) {
		p.logout("Tape is shutting down")
	}
	p.flush()
}

// run reads and handles messages until the session ends.
func (p *peer) run() error {
	for {
		m, err := p.sc.Next()
		var pe *ParseError
		if errors.As(err, &pe) && !errors.Is(err, ErrTruncated) {
			p.l.stats.garbled.Add(1)
			continue
		}
		if err != nil {
			return err
		}
		if err := p.handle(m); err != nil {
			return err
		}
		if p.rows.full(p.l.cfg.BatchRows) {
			p.flush()
		}
	}
}

// logon reads and answers the Logon, reporting whether the session is on.
func (p *peer) logon(ctx context.Context) bool {
	m, err := p.sc.Next()
	if err != nil || string(m.MsgType()) != MsgTypeLogon {
		return false // FIX: a first message other than Logon is answered by a disconnect
	}
	sender, _ := m.Get(TagSenderCompID)
	if len(sender) == 0 {
		return false
	}
	p.sender = string(sender)
	if err := p.checkLogon(m); err != nil {
		p.logout(err.Error())
		return false
	}
	reset, _ := m.Bool(TagResetSeqNumFlag) // checked
	src, err := p.l.claim(ctx, p, p.sender)
	if err != nil {
		p.logout(err.Error())
		return false
	}
	p.src = src
	r, err := p.resume(ctx)
	if err != nil {
		p.logout(err.Error())
		p.l.release(src)
		return false
	}
	expected := resumeSeq(min(r.marks[0], r.marks[1]))
	switch {
	case expected > SeqNumMax:
		err = fmt.Errorf("source %q: every MsgSeqNum is stored; use a new source", src.name)
	case reset && expected > 1:
		err = fmt.Errorf("ResetSeqNumFlag: source %q has messages stored up to MsgSeqNum %d; use a new source", src.name, expected-1)
	}
	if err != nil {
		p.logout(err.Error())
		p.l.release(src)
		return false
	}
	if r.lost {
		src.book.reset()
	}
	if reset {
		src.outSeq = 1
	}
	p.seq = NewSession(expected)
	p.rows = newRowMapper(src.name, src.book, &p.l.stats)
	p.rows.floorQuotes, p.rows.floorTrades = r.marks[0], r.marks[1]
	act, err := p.seq.ReceiveMessage(m)
	if err == nil && act != ActionProcess && act != ActionGap {
		err = fmt.Errorf("MsgSeqNum too low, expecting %d", expected)
	}
	if err != nil {
		p.rows.release()
		p.logout(err.Error())
		p.l.release(src)
		return false
	}
	p.l.stats.messages.Add(1)
	body := []Field{{TagEncryptMethod, "0"}, {TagHeartBtInt, strconv.Itoa(int(p.heartBt / time.Second))}}
	if reset {
		body = append(body, Field{TagResetSeqNumFlag, "Y"})
	}
	p.send(MsgTypeLogon, body)
	if act == ActionGap {
		p.resendRequest()
	}
	return true
}

// checkLogon checks a Logon's fields and sets the heartbeat interval.
func (p *peer) checkLogon(m *Message) error {
	if target, _ := m.Get(TagTargetCompID); string(target) != p.l.cfg.CompID {
		return fmt.Errorf("TargetCompID %s is not %q", quote(target), p.l.cfg.CompID)
	}
	if enc, err := m.Int(TagEncryptMethod); err != nil || enc != 0 {
		return errors.New("EncryptMethod (98) must be 0")
	}
	hb, err := m.Int(TagHeartBtInt)
	if err != nil || hb < 0 || hb > heartBtIntMax {
		return fmt.Errorf("HeartBtInt (108) must be 0 to %d", heartBtIntMax)
	}
	if _, err := m.Bool(TagResetSeqNumFlag); err != nil {
		return err
	}
	p.heartBt = time.Duration(hb) * time.Second
	return nil
}

// resume asks the writer, behind every batch queued before, for the
// source's watermarks.
func (p *peer) resume(ctx context.Context) (resumed, error) {
	ch := make(chan resumed, 1)
	p.enqueue(job{src: p.src, peer: p, resume: ch})
	select {
	case r := <-ch:
		return r, r.err
	case <-ctx.Done():
		return resumed{}, ctx.Err()
	}
}

// handle applies the session rules to m and handles it.
func (p *peer) handle(m *Message) error {
	if sender, _ := m.Get(TagSenderCompID); string(sender) != p.sender {
		p.logout("SenderCompID " + quote(sender) + " is not the Logon's " + strconv.Quote(p.sender))
		return errLogout
	}
	act, err := p.seq.ReceiveMessage(m)
	if err != nil {
		p.logout(err.Error())
		return errLogout
	}
	seq, _ := m.SeqNum() // checked by ReceiveMessage
	switch act {
	case ActionProcess:
		p.l.stats.messages.Add(1)
		return p.process(m, seq)
	case ActionDuplicate:
		p.l.stats.duplicates.Add(1)
	case ActionGap:
		p.l.stats.messages.Add(1)
		if string(m.MsgType()) == MsgTypeResendRequest {
			p.answerResend(m, seq)
		}
		p.resendRequest()
	case ActionGapPending:
	case ActionTooLow:
		p.logout(fmt.Sprintf("MsgSeqNum too low, expecting %d but received %d", p.seq.Expected(), seq))
		return errLogout
	case ActionReject:
		p.reject(m, seq, &rejection{tag: TagNewSeqNo, reason: rejectValueIncorrect,
			text: "fix: NewSeqNo would move the expected MsgSeqNum " + strconv.Itoa(p.seq.Expected()) + " back"})
	}
	return nil
}

// process handles a message in sequence.
func (p *peer) process(m *Message, seq int) error {
	switch mt := string(m.MsgType()); mt {
	case MsgTypeHeartbeat, MsgTypeSequenceReset, MsgTypeReject:
	case MsgTypeTestRequest:
		id, ok := m.Get(TagTestReqID)
		if !ok || len(id) == 0 {
			p.reject(m, seq, &rejection{tag: TagTestReqID, reason: rejectOther, text: "fix: TestReqID (112) is missing"})
			return nil
		}
		p.send(MsgTypeHeartbeat, []Field{{TagTestReqID, string(id)}})
	case MsgTypeResendRequest:
		p.answerResend(m, seq)
	case MsgTypeLogout:
		p.send(MsgTypeLogout, nil)
		return errLogout
	case MsgTypeLogon:
		p.logout("Logon within a session")
		return errLogout
	case MsgTypeMarketDataSnapshot, MsgTypeMarketDataIncremental:
		if rej := p.rows.mapMessage(m, seq); rej != nil {
			p.reject(m, seq, rej)
		}
		p.markPending(seq)
	default:
		p.l.stats.rejects.Add(1)
		p.send(MsgTypeBusinessMessageReject, []Field{{TagRefSeqNum, strconv.Itoa(seq)}, {TagRefMsgType, mt},
			{TagBusinessRejectReason, "3"}, {TagText, "Tape takes market data: 35=W and 35=X"}})
		p.markPending(seq)
	}
	return nil
}

// markPending notes that the message with MsgSeqNum seq is processed and
// its rows (if any) wait in the builders.
func (p *peer) markPending(seq int) {
	p.mark = MessageMark(seq)
	if !p.pending {
		p.pending, p.pendingSince = true, time.Now()
	}
}

// flush queues the rows of the messages processed, blocking while the
// queue is full.
func (p *peer) flush() {
	if !p.pending {
		return
	}
	p.pending = false
	p.inflight.Add(1)
	p.enqueue(job{src: p.src, peer: p, upTo: p.mark,
		rows: [2]arrow.RecordBatch{p.rows.quotes.NewRecord(), p.rows.trades.NewRecord()}})
}

// enqueue puts j on the writer's queue, waiting for room: the wait is the
// backpressure that stops the session reading its socket.
func (p *peer) enqueue(j job) {
	select {
	case p.l.queue <- j:
	default:
		p.l.stats.blocked.Add(1)
		p.l.queue <- j
		p.l.stats.blocked.Add(-1)
	}
}

// answerResend answers a ResendRequest for what Tape sent: a
// SequenceReset-GapFill over it, since Tape resends no session message.
func (p *peer) answerResend(m *Message, seq int) {
	begin, err := m.seqNum(TagBeginSeqNo, 1)
	if err != nil {
		p.reject(m, seq, &rejection{tag: TagBeginSeqNo, reason: rejectOther, text: err.Error()})
		return
	}
	if begin >= p.src.outSeq {
		return
	}
	now := time.Now().UnixNano()
	p.write(Header{MsgType: MsgTypeSequenceReset, SenderCompID: p.l.cfg.CompID, TargetCompID: p.sender,
		MsgSeqNum: begin, SendingTs: now, PossDup: true, OrigSendingTs: now},
		[]Field{{TagGapFillFlag, "Y"}, {TagNewSeqNo, strconv.Itoa(p.src.outSeq)}})
}

// resendRequest asks for every message from the expected one on.
func (p *peer) resendRequest() {
	p.l.stats.gaps.Add(1)
	p.send(MsgTypeResendRequest, []Field{{TagBeginSeqNo, strconv.Itoa(p.seq.Expected())}, {TagEndSeqNo, "0"}})
}

// reject sends a Reject (35=3) of the message with MsgSeqNum seq.
func (p *peer) reject(m *Message, seq int, r *rejection) {
	p.l.stats.rejects.Add(1)
	body := []Field{{TagRefSeqNum, strconv.Itoa(seq)}}
	if r.tag > 0 && r.tag <= TagMax {
		body = append(body, Field{TagRefTagID, strconv.Itoa(r.tag)})
	}
	body = append(body, Field{TagRefMsgType, string(m.MsgType())},
		Field{TagSessionRejectReason, strconv.Itoa(r.reason)}, Field{TagText, r.text})
	p.send(MsgTypeReject, body)
}

// logout sends a Logout with text; the caller then closes the connection.
func (p *peer) logout(text string) {
	p.send(MsgTypeLogout, []Field{{TagText, text}})
}

// send sends a message with the next outbound MsgSeqNum (1 before Logon).
func (p *peer) send(msgType string, body []Field) {
	seq := 1
	if p.src != nil {
		seq = p.src.outSeq
		p.src.outSeq = min(p.src.outSeq+1, SeqNumMax)
	}
	p.write(Header{MsgType: msgType, SenderCompID: p.l.cfg.CompID, TargetCompID: p.sender,
		MsgSeqNum: seq, SendingTs: time.Now().UnixNano()}, body)
}

// write writes one message. An error closes the connection, which ends
// the session at its next read.
func (p *peer) write(h Header, body []Field) {
	for i := range body {
		body[i].Value = cleanValue(body[i].Value)
	}
	p.out = Append(p.out[:0], h, body)
	p.lastSent = time.Now()
	p.conn.SetWriteDeadline(p.lastSent.Add(writeTimeout))
	if _, err := p.conn.Write(p.out); err != nil {
		p.conn.Close()
	}
}

// cleanValue makes text fit a field: not empty, no SOH.
func cleanValue(v string) string {
	if v == "" {
		return "-"
	}
	b := []byte(v)
	for i, c := range b {
		if c == SOH {
			b[i] = ' '
		}
	}
	return string(b)
}

// Read reads the connection for the Scanner, and does what is due while
// it waits: write the rows of messages processed Linger ago (the Scanner
// only reads between messages), send Heartbeat and TestRequest, end a
// silent session, and end the session when the Listener closes.
func (p *peer) Read(b []byte) (int, error) {
	for {
		now := time.Now()
		if err := p.due(now); err != nil {
			return 0, err
		}
		if d := p.nextDue(now); !d.Equal(p.deadline) {
			p.conn.SetReadDeadline(d)
			p.deadline = d
		}
		if p.l.closing.Load() { // after the deadline is set: Listener.stop sets it after closing
			return 0, errClosing
		}
		n, err := p.conn.Read(b)
		if n > 0 {
			p.lastRecv, p.testReqSent = time.Now(), false
		}
		if n == 0 && errors.Is(err, os.ErrDeadlineExceeded) {
			p.deadline = time.Time{} // Listener.stop may have set another
			continue
		}
		return n, err
	}
}

// due does what is due at now: rows pending for Linger are queued once the
// session's previous batch is written.
func (p *peer) due(now time.Time) error {
	if p.pending && now.Sub(p.pendingSince) >= p.l.cfg.Linger && p.inflight.Load() == 0 {
		p.flush()
	}
	if p.seq == nil {
		if now.Sub(p.started) >= logonTimeout {
			return fmt.Errorf("fix: no Logon within %v", logonTimeout)
		}
		return nil
	}
	if p.heartBt == 0 {
		return nil
	}
	if now.Sub(p.lastSent) >= p.heartBt {
		p.send(MsgTypeHeartbeat, nil)
	}
	switch silent := now.Sub(p.lastRecv); {
	case p.testReqSent && silent >= p.testRequestAfter()+p.heartBt:
		p.logout("no message for " + silent.Truncate(time.Second).String())
		return fmt.Errorf("fix: %s sent nothing for %v", p.sender, silent)
	case !p.testReqSent && silent >= p.testRequestAfter():
		p.testReqs++
		p.testReqSent = true
		p.send(MsgTypeTestRequest, []Field{{TagTestReqID, "tape-" + strconv.Itoa(p.testReqs)}})
	}
	return nil
}

func (p *peer) testRequestAfter() time.Duration { return p.heartBt + p.heartBt/testRequestSlack }

// nextDue returns when due may have something to do next; zero for never.
func (p *peer) nextDue(now time.Time) time.Time {
	var t time.Time
	earliest := func(d time.Time) {
		if t.IsZero() || d.Before(t) {
			t = d
		}
	}
	if p.pending {
		d := p.pendingSince.Add(p.l.cfg.Linger)
		if poll := now.Add(p.l.cfg.Linger / lingerPolls); d.Before(poll) { // waiting for the batch in flight
			d = poll
		}
		earliest(d)
	}
	switch {
	case p.seq == nil:
		earliest(p.started.Add(logonTimeout))
	case p.heartBt > 0:
		earliest(p.lastSent.Add(p.heartBt))
		if p.testReqSent {
			earliest(p.lastRecv.Add(p.testRequestAfter() + p.heartBt))
		} else {
			earliest(p.lastRecv.Add(p.testRequestAfter()))
		}
	}
	return t
}
