package columnar

import "testing"

// Shut waits for what entered, refuses new entries, and reports a second Shut.
func TestGate(t *testing.T) {
	var g Gate
	if !g.Enter() {
		t.Fatal("a new gate refused Enter")
	}
	shut := make(chan bool)
	go func() { shut <- g.Shut() }()
	select {
	case <-shut:
		t.Fatal("Shut returned while a call was in")
	default:
	}
	g.Leave()
	if !<-shut {
		t.Fatal("first Shut reported the gate shut already")
	}
	if g.Enter() || g.Shut() {
		t.Fatal("a shut gate let a call in or shut again")
	}
}
