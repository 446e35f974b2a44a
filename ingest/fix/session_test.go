package fix

import (
	"strings"
	"testing"
)

// step is one inbound message to a Session: kind "msg" (Receive), "gapfill"
// (GapFill) or "reset" (Reset).
type step struct {
	kind    string
	seq     int
	possDup bool
	newSeq  int
	want    Action
	next    int  // Expected() after the step
	pending bool // ResendOutstanding() after the step
}

func TestSession(t *testing.T) {
	tests := []struct {
		name  string
		start int
		steps []step
	}{
		{"in order", 1, []step{
			{kind: "msg", seq: 1, want: ActionProcess, next: 2},
			{kind: "msg", seq: 2, want: ActionProcess, next: 3},
		}},
		{"resumed session", 500, []step{
			{kind: "msg", seq: 500, want: ActionProcess, next: 501},
		}},
		{"duplicate with PossDup is ignored", 5, []step{
			{kind: "msg", seq: 3, possDup: true, want: ActionDuplicate, next: 5},
			{kind: "msg", seq: 5, possDup: true, want: ActionProcess, next: 6}, // resent, and expected
		}},
		{"too low without PossDup is fatal", 5, []step{
			{kind: "msg", seq: 4, want: ActionTooLow, next: 5},
		}},
		{"gap, resend, filled", 3, []step{
			{kind: "msg", seq: 6, want: ActionGap, next: 3, pending: true},        // ResendRequest 7=3 16=0
			{kind: "msg", seq: 7, want: ActionGapPending, next: 3, pending: true}, // no second request
			{kind: "msg", seq: 3, possDup: true, want: ActionProcess, next: 4, pending: true},
			{kind: "gapfill", seq: 4, possDup: true, newSeq: 6, want: ActionProcess, next: 6, pending: true},
			{kind: "msg", seq: 6, possDup: true, want: ActionProcess, next: 7, pending: true},
			{kind: "msg", seq: 7, possDup: true, want: ActionProcess, next: 8},
			{kind: "msg", seq: 9, want: ActionGap, next: 8, pending: true}, // a new gap asks again
		}},
		{"gap fill over the whole gap", 3, []step{
			{kind: "msg", seq: 10, want: ActionGap, next: 3, pending: true},
			{kind: "gapfill", seq: 3, possDup: true, newSeq: 11, want: ActionProcess, next: 11},
		}},
		{"gap fill sequenced like a message", 3, []step{
			{kind: "gapfill", seq: 2, possDup: true, newSeq: 9, want: ActionDuplicate, next: 3},
			{kind: "gapfill", seq: 2, newSeq: 9, want: ActionTooLow, next: 3},
			{kind: "gapfill", seq: 4, newSeq: 9, want: ActionGap, next: 3, pending: true},
		}},
		{"gap fill must move forward", 3, []step{
			{kind: "gapfill", seq: 3, newSeq: 3, want: ActionReject, next: 3},
			{kind: "gapfill", seq: 3, newSeq: 2, want: ActionReject, next: 3},
		}},
		{"reset ignores MsgSeqNum", 3, []step{
			{kind: "msg", seq: 8, want: ActionGap, next: 3, pending: true},
			{kind: "reset", newSeq: 20, want: ActionProcess, next: 20},
			{kind: "reset", newSeq: 20, want: ActionProcess, next: 20}, // equal: no change
			{kind: "reset", newSeq: 19, want: ActionReject, next: 20},
		}},
		{"reset inside an outstanding gap keeps it", 3, []step{
			{kind: "msg", seq: 8, want: ActionGap, next: 3, pending: true},
			{kind: "reset", newSeq: 5, want: ActionProcess, next: 5, pending: true},
			{kind: "msg", seq: 8, want: ActionGapPending, next: 5, pending: true},
		}},
		{"last MsgSeqNum", SeqNumMax, []step{
			{kind: "msg", seq: SeqNumMax, want: ActionProcess, next: SeqNumMax + 1},
			{kind: "msg", seq: SeqNumMax, possDup: true, want: ActionDuplicate, next: SeqNumMax + 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSession(tt.start)
			for i, st := range tt.steps {
				var got Action
				switch st.kind {
				case "msg":
					got = s.Receive(st.seq, st.possDup)
				case "gapfill":
					got = s.GapFill(st.seq, st.possDup, st.newSeq)
				case "reset":
					got = s.Reset(st.newSeq)
				}
				if got != st.want || s.Expected() != st.next || s.ResendOutstanding() != st.pending {
					t.Fatalf("step %d %+v: got %v, expected %d, outstanding %v", i+1, st, got, s.Expected(), s.ResendOutstanding())
				}
			}
		})
	}
}

func TestSessionZeroValueExpectsOne(t *testing.T) {
	var s Session
	if s.Expected() != 1 || s.Receive(1, false) != ActionProcess {
		t.Errorf("zero Session: expected %d", s.Expected())
	}
}

func TestSessionReceiveMessage(t *testing.T) {
	tests := []struct {
		body string
		want Action
		err  string
		next int
	}{
		{"35=0|34=3|", ActionProcess, "", 4},
		{"35=0|34=2|43=Y|", ActionDuplicate, "", 3},
		{"35=0|34=2|43=N|", ActionTooLow, "", 3},
		{"35=0|34=9|", ActionGap, "", 3},
		{"35=4|34=3|123=Y|36=7|", ActionProcess, "", 7},
		{"35=4|34=1|36=7|", ActionProcess, "", 7},
		{"35=4|34=1|123=N|36=2|", ActionReject, "", 3},
		{"35=0|", 0, "fix: tag 34: MsgSeqNum is missing", 3},
		{"35=0|34=0|", 0, `fix: byte 23, tag 34: MsgSeqNum "0" is not between 1 and SeqNumMax 2147483647`, 3},
		{"35=0|34=3|43=y|", 0, `fix: byte 28, tag 43: PossDupFlag "y" is not Y or N`, 3},
		{"35=4|34=3|123=Y|", 0, "fix: tag 36: NewSeqNo is missing", 3},
		{"35=4|34=3|123=Y|36=2147483648|", 0, `fix: byte 34, tag 36: NewSeqNo "2147483648" is not between 1 and SeqNumMax 2147483647`, 3},
		{"35=4|34=3|123=x|36=5|", 0, `fix: byte 29, tag 123: GapFillFlag "x" is not Y or N`, 3},
	}
	for _, tt := range tests {
		s := NewSession(3)
		m, _, err := Parse(soh(framed(tt.body)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ReceiveMessage(&m)
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		if got != tt.want || errText != tt.err || s.Expected() != tt.next {
			t.Errorf("%s: got %v, %q, expected %d; want %v, %q, %d", tt.body, got, errText, s.Expected(), tt.want, tt.err, tt.next)
		}
	}
}

func TestSessionPanicsOnBadSeq(t *testing.T) {
	for _, f := range []func(){
		func() { NewSession(0) },
		func() { new(Session).Receive(0, false) },
		func() { new(Session).Receive(SeqNumMax+1, false) },
		func() { new(Session).GapFill(1, false, -1) },
		func() { new(Session).Reset(0) },
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "BUG: fix: MsgSeqNum") {
					t.Errorf("panic %q", s)
				}
			}()
			f()
		}()
	}
}

func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{ActionProcess: "process", ActionGapPending: "gap-pending", ActionReject: "reject", 0: "Action(0)"} {
		if a.String() != want {
			t.Errorf("%d.String() = %s", a, a.String())
		}
	}
}
