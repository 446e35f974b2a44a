package workload

import "strconv"

// op is one kind of valid activity after the setup.
type op uint8

const (
	opDeposit  op = iota // ext → customer
	opTransfer           // customer → customer
	opWithdraw           // customer → ext
	opLinked             // 2-5 transfers that apply together
	opPending            // customer → customer, reserved
	opPost               // post an open pending, fully or partly
	opVoid               // void an open pending
	opLend               // debit a credits_must_not_exceed_debits account
	opRepay              // credit it back
	opCount
)

var opWeights = [opCount]int{18, 38, 5, 7, 12, 9, 4, 3, 2}

var opWeightTotal = func() (t int) {
	for _, w := range opWeights {
		t += w
	}
	return t
}()

const (
	rampDepositPermille = 500 // deposits' share while the first customers get funded
	rampCustomerLines   = 2   // the ramp lasts this many lines per customer
)

// step writes one line after the setup.
func (g *gen) step() {
	if g.rng.Uint64()>>11 < g.invalidBelow && g.invalid() {
		return
	}
	o := opDeposit
	if g.mixed >= int64(rampCustomerLines*g.customers) || g.rng.IntN(1000) >= rampDepositPermille {
		o = g.pickOp()
	}
	if !g.valid(o) {
		g.deposit()
	}
}

func (g *gen) pickOp() op {
	x := g.rng.IntN(opWeightTotal)
	for o, w := range opWeights {
		x -= w
		if x < 0 {
			return op(o)
		}
	}
	panic("BUG: workload op weights")
}

// valid writes one valid command of kind o, or reports false if the state
// offers none right now.
func (g *gen) valid(o op) bool {
	switch o {
	case opDeposit:
		g.deposit()
		return true
	case opTransfer, opWithdraw, opLend, opRepay:
		l, ok := g.pickTransfer(o, g.pickAsset())
		if ok {
			g.writeTransfer(l)
		}
		return ok
	case opLinked:
		g.writeLinked()
		return true
	case opPending:
		return g.writePending()
	case opPost:
		return g.writePost()
	case opVoid:
		return g.writeVoid()
	}
	panic("BUG: workload unknown op")
}

func (g *gen) deposit() {
	g.writeTransfer(g.depositLeg(g.pickAsset()))
}

func (g *gen) depositLeg(ai int) leg {
	c := g.pickOpen(ai, -1)
	return leg{debit: g.ext[ai], credit: c, amount: g.depositAmount(ai)}
}

// pickTransfer chooses a leg for a transfer op that the model accepts.
func (g *gen) pickTransfer(o op, ai int) (leg, bool) {
	var l leg
	switch o {
	case opTransfer:
		l.debit = g.pickFunded(g.cust[ai])
		l.credit = g.pickOpen(ai, l.debit)
	case opWithdraw:
		l.debit = g.pickFunded(g.cust[ai])
		l.credit = g.ext[ai]
	case opLend:
		l.debit = g.pickFunded(g.lenders[ai])
		l.credit = g.pickOpen(ai, l.debit)
	case opRepay:
		l.credit = g.pickRepayable(ai)
		l.debit = g.pickFunded(g.cust[ai])
	}
	if l.debit < 0 || l.credit < 0 || l.debit == l.credit {
		return l, false
	}
	room := min(g.debitRoom(l.debit), g.creditRoom(l.credit))
	if room <= 0 {
		return l, false
	}
	l.amount = g.transferAmount(ai, room)
	return l, true
}

// pickFunded returns one of accts that can be debited by at least the asset's
// smallest amount, or -1.
func (g *gen) pickFunded(accts []int32) int32 {
	if len(accts) == 0 {
		return -1
	}
	for range pickTriesMax {
		i := accts[g.rng.IntN(len(accts))]
		if g.debitRoom(i) >= pow10[assetTable[g.accts[i].asset].expMin] {
			return i
		}
	}
	return -1
}

// pickOpen returns a customer of asset ai whose credits are unlimited, other
// than not; it falls back to the asset's first customer and then its
// external account.
func (g *gen) pickOpen(ai int, not int32) int32 {
	cs := g.cust[ai]
	for range pickTriesMax {
		i := cs[g.rng.IntN(len(cs))]
		if i != not && g.accts[i].flags&flagCreditsLimited == 0 {
			return i
		}
	}
	if cs[0] != not {
		return cs[0]
	}
	return g.ext[ai]
}

func (g *gen) pickRepayable(ai int) int32 {
	ls := g.lenders[ai]
	if len(ls) == 0 {
		return -1
	}
	for range pickTriesMax {
		i := ls[g.rng.IntN(len(ls))]
		if g.creditRoom(i) > 0 {
			return i
		}
	}
	return -1
}

// writeTransfer writes and applies l, and may keep the line for a re-send.
func (g *gen) writeTransfer(l leg) {
	ai := g.accts[l.debit].asset
	g.head(Transfer, "t:")
	g.amt = g.appendAmountRandom(g.amt[:0], ai, l.amount)
	g.buf = g.appendTransfer(g.buf, g.accts[l.debit].id, g.accts[l.credit].id, ai, g.amt)
	g.finish(Transfer)
	g.apply(l)
	if g.rng.IntN(1000) < dupSamplePermille {
		slot := &g.dups[g.rng.IntN(dupRingSize)]
		if len(*slot) == 0 {
			g.dupsN++
		}
		*slot = append((*slot)[:0], g.buf...)
	}
}

func (g *gen) writePending() bool {
	if len(g.pend) >= pendingsOpenMax {
		return false
	}
	o := opTransfer
	if g.rng.IntN(10) == 0 {
		o = opWithdraw
	}
	ai := g.pickAsset()
	l, ok := g.pickTransfer(o, ai)
	if !ok {
		return false
	}
	g.head(PendingTransfer, "p:")
	g.amt = g.appendAmountRandom(g.amt[:0], ai, l.amount)
	g.buf = g.appendTransfer(g.buf, g.accts[l.debit].id, g.accts[l.credit].id, ai, g.amt)
	g.finish(PendingTransfer)
	p := pending{line: g.line, debit: l.debit, credit: l.credit, amount: l.amount}
	g.reserve(p, +1)
	g.pend = append(g.pend, p)
	return true
}

// takePending removes a random open pending transfer.
func (g *gen) takePending() (pending, bool) {
	if len(g.pend) == 0 {
		return pending{}, false
	}
	k := g.rng.IntN(len(g.pend))
	p := g.pend[k]
	g.pend[k] = g.pend[len(g.pend)-1]
	g.pend = g.pend[:len(g.pend)-1]
	g.reserve(p, -1)
	g.resolved[g.resolvedN%resolvedRingSize] = p.line
	g.resolvedN++
	return p, true
}

func (g *gen) writePost() bool {
	p, ok := g.takePending()
	if !ok {
		return false
	}
	ai := g.accts[p.debit].asset
	g.head(PostPending, "pp:")
	g.buf = appendPendingID(g.buf, p.line)
	posted := p.amount
	switch r := g.rng.IntN(10); {
	case r < 5: // amount omitted: the full pending amount
	case r < 6:
		g.amt = g.appendAmountRandom(g.amt[:0], ai, posted)
		g.buf = appendField(g.buf, `,"amount":"`, g.amt)
	default:
		posted = 1 + g.rng.Int64N(p.amount)
		g.amt = g.appendAmountRandom(g.amt[:0], ai, posted)
		g.buf = appendField(g.buf, `,"amount":"`, g.amt)
	}
	g.finish(PostPending)
	g.apply(leg{debit: p.debit, credit: p.credit, amount: posted})
	return true
}

func (g *gen) writeVoid() bool {
	p, ok := g.takePending()
	if !ok {
		return false
	}
	g.head(VoidPending, "v:")
	g.buf = appendPendingID(g.buf, p.line)
	g.finish(VoidPending)
	return true
}

// validLeg picks and applies a leg of asset ai that the model accepts,
// recording it for undo.
func (g *gen) validLeg(ai int) leg {
	o := opTransfer
	switch r := g.rng.IntN(10); {
	case r < 3:
		o = opDeposit
	case r < 4:
		o = opWithdraw
	}
	l, ok := g.pickTransfer(o, ai)
	if o == opDeposit || !ok {
		l = g.depositLeg(ai)
	}
	g.apply(l)
	g.undo[g.undoN] = l
	g.undoN++
	return l
}

func (g *gen) rollback() {
	for ; g.undoN > 0; g.undoN-- {
		l := g.undo[g.undoN-1]
		g.apply(leg{debit: l.credit, credit: l.debit, amount: l.amount})
	}
}

// headLinked starts a linked line and returns its number of legs.
func (g *gen) headLinked() int {
	g.head(Linked, "l:")
	g.buf = append(g.buf, `,"commands":[`...)
	g.undoN = 0
	return legsMin + g.rng.IntN(legsMax-legsMin+1)
}

func (g *gen) appendLeg(k int, ai int, l leg) {
	if k > 0 {
		g.buf = append(g.buf, ',')
	}
	g.buf = append(g.buf, `{"type":"transfer","id":"l:`...)
	g.buf = strconv.AppendInt(g.buf, g.line, 10)
	g.buf = append(g.buf, '.')
	g.buf = strconv.AppendInt(g.buf, int64(k), 10)
	g.buf = append(g.buf, '"')
	g.amt = g.appendAmountRandom(g.amt[:0], ai, l.amount)
	g.buf = g.appendTransfer(g.buf, g.accts[l.debit].id, g.accts[l.credit].id, ai, g.amt)
	g.buf = append(g.buf, '}')
	g.stats.LinkedLegs++
}

func (g *gen) writeLinked() {
	ai := g.pickAsset()
	n := g.headLinked()
	for k := range n {
		g.appendLeg(k, ai, g.validLeg(ai))
	}
	g.buf = append(g.buf, ']')
	g.finish(Linked)
	g.undoN = 0
}
