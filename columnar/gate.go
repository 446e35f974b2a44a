package columnar

import "sync"

// Gate is a store's lifecycle: calls and open readers enter it, Close
// shuts it and waits for them to leave. The zero Gate is open.
type Gate struct {
	mu     sync.Mutex // guards closed and in.Add
	closed bool
	in     sync.WaitGroup
}

// Enter registers a call or reader; false once the gate is shut. Every
// true is matched by one Leave.
func (g *Gate) Enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.in.Add(1)
	return true
}

// Leave ends what Enter began.
func (g *Gate) Leave() { g.in.Done() }

// Shut refuses new Enters and waits for those in to leave; false if the
// gate was shut already.
func (g *Gate) Shut() bool {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return false
	}
	g.closed = true
	g.mu.Unlock()
	g.in.Wait()
	return true
}
