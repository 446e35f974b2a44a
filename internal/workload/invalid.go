package workload

import "strconv"

// Each maker writes one line that the ledger must reject for exactly one
// reason, or reports false when the state offers no such line yet. Makers
// never change the model: a rejected command has no effect.
var invalidMakers = [InvalidKindCount]func(*gen) bool{
	InsufficientFunds:       (*gen).writeInsufficient,
	LinkedInsufficientFunds: (*gen).writeLinkedInsufficient,
	AccountNotFound:         (*gen).writeAccountNotFound,
	AssetMismatch:           (*gen).writeAssetMismatch,
	ScaleExceeded:           (*gen).writeScaleExceeded,
	AmountOverflow:          (*gen).writeAmountOverflow,
	DuplicateAccount:        (*gen).writeDuplicateAccount,
	PendingNotFound:         (*gen).writePendingNotFound,
	PendingAlreadyResolved:  (*gen).writePendingAlreadyResolved,
	SameAccount:             (*gen).writeSameAccount,
	InvalidAmount:           (*gen).writeInvalidAmount,
	DuplicateCommand:        (*gen).writeDuplicateCommand,
}

// invalid writes one line invalid on purpose, of a random kind that is
// possible now.
func (g *gen) invalid() bool {
	k := InvalidKind(g.rng.IntN(int(InvalidKindCount)))
	for range InvalidKindCount {
		if invalidMakers[k](g) {
			g.stats.Invalid++
			g.stats.ByInvalid[k]++
			return true
		}
		k = (k + 1) % InvalidKindCount
	}
	return false
}

// writeRaw writes a transfer or, one time in four, a pending transfer with
// the given fields; the amount is g.amt.
func (g *gen) writeRaw(debit, credit []byte, ai int) {
	t, prefix := Transfer, "t:"
	if g.rng.IntN(4) == 0 {
		t, prefix = PendingTransfer, "p:"
	}
	g.head(t, prefix)
	g.buf = g.appendTransfer(g.buf, debit, credit, ai, g.amt)
	g.finish(t)
}

// pickLimited returns a customer of asset ai with flagDebitsLimited.
func (g *gen) pickLimited(ai int) int32 {
	cs := g.cust[ai]
	for range pickTriesMax {
		i := cs[g.rng.IntN(len(cs))]
		if g.accts[i].flags&flagDebitsLimited != 0 {
			return i
		}
	}
	return cs[0]
}

// overdraw returns a leg from a debits_must_not_exceed_credits customer for
// more than it holds, counting its pending debits.
func (g *gen) overdraw(ai int) leg {
	d := g.pickLimited(ai)
	a := &g.accts[d]
	room := a.balance - a.debitsPending
	if room < 0 {
		panic("BUG: workload model overdrew a limited account")
	}
	c := g.ext[ai]
	if g.rng.IntN(2) == 0 {
		c = g.pickOpen(ai, d)
	}
	ex := &assetTable[ai]
	return leg{debit: d, credit: c, amount: room + g.amountIn(ex.expMin, ex.expMax-1)}
}

func (g *gen) writeInsufficient() bool {
	ai := g.pickAsset()
	l := g.overdraw(ai)
	g.amt = g.appendAmountRandom(g.amt[:0], ai, l.amount)
	g.writeRaw(g.accts[l.debit].id, g.accts[l.credit].id, ai)
	return true
}

func (g *gen) writeLinkedInsufficient() bool {
	ai := g.pickAsset()
	n := g.headLinked()
	bad := g.rng.IntN(n)
	for k := range n {
		if k == bad {
			g.appendLeg(k, ai, g.overdraw(ai))
		} else {
			g.appendLeg(k, ai, g.validLeg(ai))
		}
	}
	g.rollback()
	g.buf = append(g.buf, ']')
	g.finish(Linked)
	return true
}

func (g *gen) writeAccountNotFound() bool {
	ai := g.pickAsset()
	g.ghost = strconv.AppendInt(append(g.ghost[:0], "ghost:"...), g.line+1, 10)
	g.amt = g.appendAmountRandom(g.amt[:0], ai, g.depositAmount(ai))
	if g.rng.IntN(2) == 0 {
		g.writeRaw(g.ghost, g.accts[g.pickOpen(ai, -1)].id, ai)
	} else {
		g.writeRaw(g.accts[g.ext[ai]].id, g.ghost, ai)
	}
	return true
}

// writeAssetMismatch moves a whole-number amount of asset ai from or to an
// account of another asset.
func (g *gen) writeAssetMismatch() bool {
	ai := g.pickAsset()
	bi := (ai + 1 + g.rng.IntN(len(assetTable)-1)) % len(assetTable)
	g.amt = strconv.AppendInt(g.amt[:0], 1+g.rng.Int64N(999), 10)
	if g.rng.IntN(2) == 0 {
		g.writeRaw(g.accts[g.ext[ai]].id, g.accts[g.pickOpen(bi, -1)].id, ai)
	} else {
		g.writeRaw(g.accts[g.ext[bi]].id, g.accts[g.pickOpen(ai, -1)].id, ai)
	}
	return true
}

// writeDeposit writes a deposit into asset ai with the amount g.amt.
func (g *gen) writeDeposit(ai int) {
	g.writeRaw(g.accts[g.ext[ai]].id, g.accts[g.pickOpen(ai, -1)].id, ai)
}

func (g *gen) writeScaleExceeded() bool {
	ai := g.pickAsset()
	g.amt = appendAmount(g.amt[:0], ai, g.depositAmount(ai), false)
	if assetTable[ai].scale == 0 {
		g.amt = append(g.amt, '.')
	}
	g.amt = append(g.amt, byte('1'+g.rng.IntN(9)))
	g.writeDeposit(ai)
	return true
}

func (g *gen) writeAmountOverflow() bool {
	ai := g.pickAsset()
	g.amt = append(g.amt[:0], byte('1'+g.rng.IntN(9)))
	for range overflowDigits - 1 {
		g.amt = append(g.amt, byte('0'+g.rng.IntN(10)))
	}
	g.writeDeposit(ai)
	return true
}

func (g *gen) writeDuplicateAccount() bool {
	g.writeOpen(int32(g.rng.IntN(len(g.accts))), "reopen:", nil)
	return true
}

// writeResolve writes a post (amount omitted) or a void of pending_id
// "p:<ref>", or "p:none:<line>" when ref is 0.
func (g *gen) writeResolve(ref int64) {
	t, prefix := PostPending, "pp:"
	if g.rng.IntN(2) == 0 {
		t, prefix = VoidPending, "v:"
	}
	g.head(t, prefix)
	if ref == 0 {
		g.buf = append(g.buf, `,"pending_id":"p:none:`...)
		g.buf = strconv.AppendInt(g.buf, g.line, 10)
		g.buf = append(g.buf, '"')
	} else {
		g.buf = appendPendingID(g.buf, ref)
	}
	g.finish(t)
}

func (g *gen) writePendingNotFound() bool {
	g.writeResolve(0)
	return true
}

func (g *gen) writePendingAlreadyResolved() bool {
	if g.resolvedN == 0 {
		return false
	}
	g.writeResolve(g.resolved[g.rng.Int64N(min(g.resolvedN, resolvedRingSize))])
	return true
}

func (g *gen) writeSameAccount() bool {
	ai := g.pickAsset()
	i := g.ext[ai]
	if g.rng.IntN(2) == 0 {
		if f := g.pickFunded(g.cust[ai]); f >= 0 {
			i = f
		}
	}
	g.amt = g.appendAmountRandom(g.amt[:0], ai, g.transferAmount(ai, g.debitRoom(i)))
	g.writeRaw(g.accts[i].id, g.accts[i].id, ai)
	return true
}

func (g *gen) writeInvalidAmount() bool {
	ai := g.pickAsset()
	switch g.rng.IntN(3) {
	case 0:
		g.amt = append(g.amt[:0], '0')
	case 1:
		g.amt = appendAmount(g.amt[:0], ai, 0, false) // "0.00", "0", ...
	default:
		g.amt = g.appendAmountRandom(append(g.amt[:0], '-'), ai, g.depositAmount(ai))
	}
	g.writeDeposit(ai)
	return true
}

// writeDuplicateCommand re-sends an accepted line byte for byte, old ts
// included. It still takes a slot of the clock so the spread stays even.
func (g *gen) writeDuplicateCommand() bool {
	if g.dupsN == 0 {
		return false
	}
	var line []byte
	for k := g.rng.IntN(dupRingSize); line == nil; k = (k + 1) % dupRingSize {
		if len(g.dups[k]) > 0 {
			line = g.dups[k]
		}
	}
	g.line++
	g.clk.next(g.rng)
	g.writeLine(Transfer, line)
	return true
}
