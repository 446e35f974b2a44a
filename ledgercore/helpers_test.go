package ledgercore

import "testing"

// sequence plays the sequencer in tests: it assigns seq and ts and applies
// what Decide returns.
type sequence struct {
	s  *State
	tb testing.TB
}

// run decides and applies cmd and returns its events and rejection.
func (q *sequence) run(cmd Command) ([]Event, *Rejection) {
	env := Envelope{Seq: q.s.Seq + 1, Ts: q.s.Ts + 1_000}
	events, rej := Decide(q.s, env, &cmd)
	for i := range events {
		Apply(q.s, &events[i])
	}
	return events, rej
}

// must runs cmd and fails the test if it is rejected.
func (q *sequence) must(cmd Command) []Event {
	q.tb.Helper()
	events, rej := q.run(cmd)
	if rej != nil {
		q.tb.Fatalf("command %s %s rejected: %v", cmd.Kind, cmd.ID, rej)
	}
	return events
}
