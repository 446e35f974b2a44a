package tape

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tape-ledger/tape/internal/journal"
	"github.com/tape-ledger/tape/ledgercore"
)

// Status is what became of one submitted command.
type Status uint8

// Statuses, as the API names them.
const (
	Accepted Status = iota + 1
	Rejected
	Duplicate
)

func (s Status) String() string {
	switch s {
	case Accepted:
		return "accepted"
	case Rejected:
		return "rejected"
	case Duplicate:
		return "duplicate"
	}
	return "unknown"
}

// CodeTsOutOfOrder rejects, at the edge, an offline command whose ts is not
// after the tape's last ts. It takes no seq.
const CodeTsOutOfOrder = "ts_out_of_order"

// Input is a command to sequence. Ts is kept only by SubmitOffline; zero
// means "now".
type Input struct {
	Cmd ledgercore.Command
	Ts  int64
}

// Result is the outcome of one command. Seq is its first seq (0 when it
// took none); Code is a ledgercore code name or CodeTsOutOfOrder; for a
// duplicate, Seq, Code and Events are the original command's.
type Result struct {
	ID     string
	Status Status
	Seq    uint64
	Code   string
	Detail string
	Events []ledgercore.Event
}

type request struct {
	inputs  []Input
	keepTs  bool
	results []Result
	err     error
	done    chan struct{}
}

// Submit sequences commands with the sequencer's clock: ts = max(now,
// last+1). It returns after every recorded command is on disk.
func (l *Ledger) Submit(ctx context.Context, inputs []Input) ([]Result, error) {
	return l.submit(ctx, inputs, false)
}

// SubmitOffline sequences commands keeping their own ts (a load of recorded
// commands); a ts that does not move forward is rejected with
// CodeTsOutOfOrder, unless the command is a duplicate.
func (l *Ledger) SubmitOffline(ctx context.Context, inputs []Input) ([]Result, error) {
	return l.submit(ctx, inputs, true)
}

func (l *Ledger) submit(ctx context.Context, inputs []Input, keepTs bool) ([]Result, error) {
	if l.opts.ReadOnly {
		return nil, ErrReadOnly
	}
	if len(inputs) > SubmitCommandsMax {
		return nil, fmt.Errorf("tape: %d commands in one submit, at most %d", len(inputs), SubmitCommandsMax)
	}
	req := &request{inputs: inputs, keepTs: keepTs, done: make(chan struct{})}
	select {
	case l.in <- req:
	case <-l.stop:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrOverloaded, ctx.Err())
	}
	select {
	case <-req.done:
	case <-l.done:
		select {
		case <-req.done:
		default:
			return nil, ErrClosed // never reached the sequencer: nothing was written
		}
	}
	if req.err != nil {
		return nil, req.err
	}
	for i := range req.results {
		if r := &req.results[i]; r.Status == Duplicate {
			if err := l.fillDuplicate(r); err != nil {
				return nil, err
			}
		}
	}
	return req.results, nil
}

// sequence is the one goroutine that writes the tape.
func (l *Ledger) sequence() {
	defer close(l.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	if !l.opts.CloseIdleDays {
		tick.Stop()
	}
	for {
		var first *request
		select {
		case first = <-l.in:
		case <-tick.C:
			l.closeIdleDay()
			continue
		case <-l.stop:
			for { // finish what is queued, then stop
				select {
				case r := <-l.in:
					l.commitGroup([]*request{r})
				default:
					return
				}
			}
		}
		group, n := []*request{first}, len(first.inputs)
	gather:
		for n < groupCommandsMax {
			select {
			case r := <-l.in:
				group = append(group, r)
				n += len(r.inputs)
			default:
				break gather
			}
		}
		l.commitGroup(group)
	}
}

// pendingRecord is a record decided in this group but not yet on disk.
type pendingRecord struct {
	firstSeq uint64
	hash     [32]byte
}

// group is the work of one group commit.
type group struct {
	payloads [][]byte
	records  []pendingRecord
	buf      []byte
	statuses map[Status]int
	closes   []dayClose
}

// dayClose is a day closed within a group: the state right after it, and
// which of the group's records closed it.
type dayClose struct {
	record int
	frozen *ledgercore.Frozen
}

func newGroup() *group { return &group{statuses: map[Status]int{}} }

// commitGroup decides every command of the group, writes their records in
// one append and one fsync, and answers the requests.
func (l *Ledger) commitGroup(reqs []*request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() {
		for _, r := range reqs {
			close(r.done)
		}
	}()
	if l.failed != nil {
		for _, r := range reqs {
			r.err = l.failed
		}
		return
	}
	g := newGroup()
	for _, r := range reqs {
		r.results = make([]Result, len(r.inputs))
		for i := range r.inputs {
			r.results[i] = l.decideInput(g, &r.inputs[i], r.keepTs)
			g.statuses[r.results[i].Status]++
		}
	}
	if err := l.writeGroup(g); err != nil {
		for _, r := range reqs {
			r.err = err
		}
	}
}

// writeGroup appends the group's records with one fsync. l.mu is held.
func (l *Ledger) writeGroup(g *group) error {
	if len(g.payloads) == 0 {
		return nil
	}
	start := time.Now()
	positions := make([]journal.Position, len(g.payloads))
	if _, err := l.j.AppendPositions(g.payloads, positions); err != nil {
		// The state already holds these events but the tape may not: stop
		// accepting anything. A restart recovers from what is on disk.
		l.failed = fmt.Errorf("tape: write failed, ledger stopped (restart to recover from disk): %w", err)
		l.log.Error("tape write failed", "err", err)
		return l.failed
	}
	fsync := time.Since(start)
	for i, rec := range g.records {
		l.noteRecord(rec.firstSeq, positions[i], rec.hash)
	}
	for i := range g.closes {
		c := &g.closes[i]
		end := l.j.End()
		if c.record+1 < len(positions) {
			end = positions[c.record+1]
		}
		l.snapshotDayClose(c, end, g.records[c.record].hash)
	}
	if m := l.opts.Metrics; m != nil {
		m.Committed(len(g.payloads), g.statuses, fsync)
	}
	l.maybeSnapshot()
	return nil
}

// decideInput assigns the envelope, closes the day when ts crossed into a
// new one, decides and applies the command, and adds its record to g.
func (l *Ledger) decideInput(g *group, in *Input, keepTs bool) Result {
	s := l.state
	ts := l.opts.Clock()
	if keepTs && in.Ts != 0 {
		ts = in.Ts
		if s.Seq > 0 && ts <= s.Ts {
			return l.outOfOrder(in)
		}
	}
	if s.Seq > 0 && ts <= s.Ts {
		ts = s.Ts + 1
	}
	if s.Seq > 0 {
		if day := ledgercore.DayOf(s.Ts); ledgercore.DayOf(ts) > day && day > s.ClosedDay {
			l.closeDay(g, day)
			if ts <= s.Ts {
				ts = s.Ts + 1
			}
		}
	}
	return l.decide(g, &in.Cmd, ts)
}

// outOfOrder answers an offline command whose ts goes backwards: a repeat
// of a known id still gets its duplicate answer.
func (l *Ledger) outOfOrder(in *Input) Result {
	s := l.state
	env := ledgercore.Envelope{Seq: s.Seq + 1, Ts: s.Ts + 1}
	events, rej := ledgercore.Decide(s, env, &in.Cmd)
	if len(events) == 0 && rej != nil {
		return rejection(in.Cmd.ID, rej)
	}
	return Result{ID: in.Cmd.ID, Status: Rejected, Code: CodeTsOutOfOrder,
		Detail: "ts " + strconv.FormatInt(in.Ts, 10) + " is not after the tape's last ts " + strconv.FormatInt(s.Ts, 10)}
}

func rejection(id string, rej *ledgercore.Rejection) Result {
	if rej.Code == ledgercore.CodeDuplicateCommand {
		return Result{ID: id, Status: Duplicate, Seq: rej.Seq}
	}
	return Result{ID: id, Status: Rejected, Code: rej.Code.String(), Detail: rej.Detail}
}

// decide runs one command at ts through the core and records it.
func (l *Ledger) decide(g *group, cmd *ledgercore.Command, ts int64) Result {
	s := l.state
	env := ledgercore.Envelope{Seq: s.Seq + 1, Ts: ts}
	events, rej := ledgercore.Decide(s, env, cmd)
	if len(events) == 0 {
		return rejection(cmd.ID, rej)
	}
	rec := Record{FirstSeq: env.Seq, Ts: ts, Prev: l.groupPrev(g), Command: *cmd, Events: events}
	start := len(g.buf)
	g.buf = appendRecord(g.buf, &rec)
	payload := g.buf[start:len(g.buf):len(g.buf)]
	g.payloads = append(g.payloads, payload)
	g.records = append(g.records, pendingRecord{firstSeq: env.Seq, hash: rec.hash(payload)})
	for i := range events {
		ledgercore.Apply(s, &events[i])
	}
	res := Result{ID: cmd.ID, Status: Accepted, Seq: env.Seq, Events: events}
	if rej != nil {
		res.Status, res.Code, res.Detail = Rejected, rej.Code.String(), rej.Detail
	}
	return res
}

// groupPrev is the hash of the record before the next one: the last one
// decided in this group, or the last one on disk.
func (l *Ledger) groupPrev(g *group) [32]byte {
	if n := len(g.records); n > 0 {
		return g.records[n-1].hash
	}
	return l.lastRecordHash
}

// closeDay sequences the close of day; the sequencer issues it, no client.
func (l *Ledger) closeDay(g *group, day int32) {
	cmd := ledgercore.CloseDayCommand(day)
	res := l.decide(g, &cmd, l.state.Ts+1)
	if res.Status == Accepted {
		g.closes = append(g.closes, dayClose{record: len(g.records) - 1, frozen: l.state.Freeze()})
	}
	l.log.Info("day closed", "day", ledgercore.FormatDay(day), "seq", res.Seq, "status", res.Status.String(), "code", res.Code)
}

// closeIdleDay closes the last active day once the clock has left it, when
// no command came to close it.
func (l *Ledger) closeIdleDay() {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state
	if l.failed != nil || s.Seq == 0 {
		return
	}
	day := ledgercore.DayOf(s.Ts)
	if ledgercore.DayOf(l.opts.Clock()) <= day || day <= s.ClosedDay {
		return
	}
	g := newGroup()
	l.closeDay(g, day)
	l.writeGroup(g) // a failure stops the ledger and is logged there
}
