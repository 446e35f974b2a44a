package fix

import "strconv"

// Action is what a session's inbound MsgSeqNum rules tell the caller to do
// with a message.
type Action uint8

const (
	// ActionProcess: the message is the one expected (or a SequenceReset
	// was applied); handle it. The expected MsgSeqNum has advanced.
	ActionProcess Action = iota + 1
	// ActionDuplicate: MsgSeqNum is below the expected one and PossDupFlag
	// is Y, a message resent that was already handled; ignore it.
	ActionDuplicate
	// ActionGap: MsgSeqNum is above the expected one. Send a ResendRequest
	// (35=2) with BeginSeqNo (7) = Expected() and EndSeqNo (16) = 0 ("all
	// after"), and drop the message: the resend brings it again. A Logon or
	// a ResendRequest that opens a gap is still handled before the
	// ResendRequest is sent.
	ActionGap
	// ActionGapPending: MsgSeqNum is above the expected one while a
	// ResendRequest is outstanding; drop the message without asking again.
	ActionGapPending
	// ActionTooLow: MsgSeqNum is below the expected one without PossDupFlag:
	// messages were lost on the sender's side. Send Logout (35=5) with Text
	// (58) "MsgSeqNum too low, expecting E but received S" and disconnect.
	ActionTooLow
	// ActionReject: a SequenceReset would move the expected MsgSeqNum back
	// (or a GapFill not forward). Send Reject (35=3) naming NewSeqNo (36);
	// the expected MsgSeqNum is unchanged.
	ActionReject
)

func (a Action) String() string {
	switch a {
	case ActionProcess:
		return "process"
	case ActionDuplicate:
		return "duplicate"
	case ActionGap:
		return "gap"
	case ActionGapPending:
		return "gap-pending"
	case ActionTooLow:
		return "too-low"
	case ActionReject:
		return "reject"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Session applies FIX's rules for inbound sequence numbers. It does no I/O:
// the caller parses each message, asks the Session, and sends what the
// Action says. The zero Session expects MsgSeqNum 1.
//
// Rules, for a message with MsgSeqNum S when E is expected:
//   - S == E: process; expect S+1.
//   - S > E: a gap. The first time, ActionGap (send ResendRequest E..0);
//     while that request is outstanding, ActionGapPending. The request is
//     done once E passes the highest S seen during the gap.
//   - S < E with PossDupFlag=Y: a duplicate, ignored.
//   - S < E without PossDupFlag: too low, fatal: Logout.
//
// SequenceReset (35=4) with GapFillFlag=Y is sequenced like any message;
// when S == E it moves E to NewSeqNo, which must exceed S. Without
// GapFillFlag (Reset mode) its MsgSeqNum is not checked: E moves to
// NewSeqNo, which must not be below E.
//
// Left to the caller: Logon's ResetSeqNumFlag (141=Y: start a new Session
// expecting the Logon's MsgSeqNum), PossDup's OrigSendingTime check, and
// timeouts while a resend is outstanding.
type Session struct {
	processed     int // the last MsgSeqNum processed: E-1
	resendThrough int // the highest MsgSeqNum seen above E while a ResendRequest is outstanding; 0 when none is
}

// NewSession returns a Session that expects MsgSeqNum expected, 1 to
// SeqNumMax (a session resumed after a restart).
func NewSession(expected int) *Session {
	checkSeq(expected)
	return &Session{processed: expected - 1}
}

// Expected returns the MsgSeqNum the next message should carry: BeginSeqNo
// of the ResendRequest that ActionGap asks for.
func (s *Session) Expected() int { return s.processed + 1 }

// ResendOutstanding reports whether a ResendRequest is outstanding.
func (s *Session) ResendOutstanding() bool { return s.resendThrough != 0 }

// Receive applies the rules to a message other than SequenceReset, with
// MsgSeqNum seq (1 to SeqNumMax, as Message.SeqNum returns it) and
// PossDupFlag possDup.
func (s *Session) Receive(seq int, possDup bool) Action {
	checkSeq(seq)
	if a, ok := s.order(seq, possDup); !ok {
		return a
	}
	s.advance(seq + 1)
	return ActionProcess
}

// GapFill applies the rules to a SequenceReset with GapFillFlag=Y,
// MsgSeqNum seq, PossDupFlag possDup and NewSeqNo newSeq.
func (s *Session) GapFill(seq int, possDup bool, newSeq int) Action {
	checkSeq(seq)
	checkSeq(newSeq)
	if a, ok := s.order(seq, possDup); !ok {
		return a
	}
	if newSeq <= seq {
		return ActionReject
	}
	s.advance(newSeq)
	return ActionProcess
}

// Reset applies a SequenceReset without GapFillFlag (Reset mode): the
// next MsgSeqNum expected becomes newSeq, whatever the message's own.
func (s *Session) Reset(newSeq int) Action {
	checkSeq(newSeq)
	if newSeq < s.Expected() {
		return ActionReject
	}
	s.advance(newSeq)
	return ActionProcess
}

// ReceiveMessage reads MsgSeqNum, PossDupFlag and, for a SequenceReset,
// GapFillFlag and NewSeqNo from m, and calls Receive, GapFill or Reset.
// A field missing or malformed is an error, and the Session is unchanged.
func (s *Session) ReceiveMessage(m *Message) (Action, error) {
	seq, err := m.SeqNum()
	if err != nil {
		return 0, err
	}
	possDup, err := m.Bool(TagPossDupFlag)
	if err != nil {
		return 0, err
	}
	if string(m.MsgType()) != MsgTypeSequenceReset {
		return s.Receive(seq, possDup), nil
	}
	newSeq, err := m.seqNum(TagNewSeqNo, 1)
	if err != nil {
		return 0, err
	}
	gapFill, err := m.Bool(TagGapFillFlag)
	if err != nil {
		return 0, err
	}
	if gapFill {
		return s.GapFill(seq, possDup, newSeq), nil
	}
	return s.Reset(newSeq), nil
}

// order sorts seq against the expected MsgSeqNum; ok when they are equal.
func (s *Session) order(seq int, possDup bool) (a Action, ok bool) {
	switch expected := s.Expected(); {
	case seq == expected:
		return 0, true
	case seq > expected:
		outstanding := s.resendThrough != 0
		s.resendThrough = max(s.resendThrough, seq)
		if outstanding {
			return ActionGapPending, false
		}
		return ActionGap, false
	case possDup:
		return ActionDuplicate, false
	default:
		return ActionTooLow, false
	}
}

// advance makes next the expected MsgSeqNum, next >= Expected(), and ends
// an outstanding resend that it completes.
func (s *Session) advance(next int) {
	if next < s.Expected() || next > SeqNumMax+1 {
		panic("BUG: fix: session moves from " + strconv.Itoa(s.Expected()) + " to " + strconv.Itoa(next))
	}
	s.processed = next - 1
	if s.processed >= s.resendThrough {
		s.resendThrough = 0
	}
}

// checkSeq panics on a MsgSeqNum outside 1 to SeqNumMax: callers read them
// with Message.SeqNum, which rejects those with an error.
func checkSeq(seq int) {
	if seq < 1 || seq > SeqNumMax {
		panic("BUG: fix: MsgSeqNum " + strconv.Itoa(seq) + " is not between 1 and SeqNumMax")
	}
}
