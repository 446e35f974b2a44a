package workload

import (
	"bufio"
	"math/rand/v2"
	"strconv"
)

const (
	customersMax      = 1000
	linesPerCustomer  = 20 // one customer per 20 lines up to customersMax
	customersPerAsset = 2  // at least, so that customer-to-customer transfers exist
	pickTriesMax      = 8  // random probes for an account that fits, before falling back
	pendingsOpenMax   = 1 << 16
	legsMin, legsMax  = 2, 5
	dupRingSize       = 16 // accepted lines kept for byte-identical re-sends
	resolvedRingSize  = 64 // posted or voided pending ids kept for re-resolves
	dupSamplePermille = 125
	roomUnlimited     = int64(1) << 60
)

type accountFlag uint8

const (
	flagDebitsLimited  accountFlag = 1 << iota // debits_must_not_exceed_credits
	flagCreditsLimited                         // credits_must_not_exceed_debits
)

// account is the generator's exact model of one ledger account.
type account struct {
	id             []byte
	asset          int
	flags          accountFlag
	balance        int64 // credits posted − debits posted, tracked units
	debitsPending  int64
	creditsPending int64
	// debitFloor is how far below zero this model lets balance − debitsPending
	// go: 0 where the ledger forbids it, a modest overdraft or credit line
	// elsewhere, unlimited for the external accounts.
	debitFloor int64
}

type pending struct {
	line          int64 // the pending transfer's id is "p:<line>"
	debit, credit int32
	amount        int64
}

type leg struct {
	debit, credit int32
	amount        int64
}

type gen struct {
	w     *bufio.Writer
	err   error
	rng   *rand.Rand
	clk   clock
	stats Stats
	n     int64 // lines to write
	line  int64 // 1-based number of the line being written

	invalidBelow uint64 // a line is invalid when rng.Uint64()>>11 < invalidBelow
	mixed        int64  // lines written after the setup
	customers    int
	weightTotal  int

	accts   []account
	ext     []int32   // per asset: its external account
	cust    [][]int32 // per asset: its customer accounts
	lenders [][]int32 // per asset: customers with flagCreditsLimited
	pend    []pending // open pending transfers

	resolved  [resolvedRingSize]int64 // lines of resolved pending transfers
	resolvedN int64
	dups      [dupRingSize][]byte
	dupsN     int64
	undo      [legsMax]leg
	undoN     int

	buf, amt, ghost []byte
}

func newGen(w *bufio.Writer, o Options) *gen {
	g := &gen{
		w:            w,
		rng:          newRand(o.Seed),
		clk:          newClock(o.Start, int64(o.N), int64(o.Days)),
		n:            int64(o.N),
		invalidBelow: uint64(o.InvalidShare * (1 << 53)),
		customers:    max(len(assetTable)*customersPerAsset, min(customersMax, o.N/linesPerCustomer)),
		buf:          make([]byte, 0, 1024),
	}
	for _, a := range assetTable {
		g.weightTotal += a.weight
	}
	g.cust = make([][]int32, len(assetTable))
	g.lenders = make([][]int32, len(assetTable))
	for ai, a := range assetTable {
		g.ext = append(g.ext, int32(len(g.accts)))
		g.accts = append(g.accts, account{id: []byte("ext:" + a.code), asset: ai, debitFloor: roomUnlimited})
	}
	for k := range g.customers {
		g.addCustomer(k)
	}
	return g
}

func (g *gen) addCustomer(k int) {
	ai := k % len(assetTable)
	if k >= len(assetTable)*customersPerAsset {
		ai = g.pickAsset()
	}
	a := &assetTable[ai]
	acc := account{asset: ai}
	acc.id = strconv.AppendInt([]byte("c:"), int64(k), 10)
	acc.id = append(append(acc.id, ':'), a.code...)
	switch r := g.rng.IntN(1000); {
	case k < len(assetTable) || r < 800: // each asset's first customer can always take deposits
		acc.flags = flagDebitsLimited
	case r < 860:
		acc.flags = flagCreditsLimited
		acc.debitFloor = pow10[a.expMax]
		g.lenders[ai] = append(g.lenders[ai], int32(len(g.accts)))
	default:
		acc.debitFloor = pow10[a.expMax-1]
	}
	g.cust[ai] = append(g.cust[ai], int32(len(g.accts)))
	g.accts = append(g.accts, acc)
}

func (g *gen) pickAsset() int {
	x := g.rng.IntN(g.weightTotal)
	for ai, a := range assetTable {
		x -= a.weight
		if x < 0 {
			return ai
		}
	}
	panic("BUG: workload asset weights")
}

func (g *gen) more() bool { return g.err == nil && g.line < g.n }

func (g *gen) run() {
	g.setup()
	for g.more() {
		g.step()
		g.mixed++
	}
}

func (g *gen) setup() {
	for ai := range assetTable {
		if !g.more() {
			return
		}
		g.writeDefineAsset(ai)
	}
	for i := range g.accts {
		if !g.more() {
			return
		}
		g.writeOpen(int32(i), "open:", g.accts[i].id)
	}
}

// Model of the ledger's balance rules.

func (g *gen) debitRoom(i int32) int64 {
	a := &g.accts[i]
	return a.balance - a.debitsPending + a.debitFloor
}

func (g *gen) creditRoom(i int32) int64 {
	a := &g.accts[i]
	if a.flags&flagCreditsLimited != 0 {
		return -a.balance - a.creditsPending
	}
	return roomUnlimited
}

func (g *gen) apply(l leg) {
	g.accts[l.debit].balance -= l.amount
	g.accts[l.credit].balance += l.amount
}

func (g *gen) reserve(p pending, sign int64) {
	g.accts[p.debit].debitsPending += sign * p.amount
	g.accts[p.credit].creditsPending += sign * p.amount
}

// Line encoding. Every value written is ASCII without quotes or
// backslashes, so nothing needs escaping.

func (g *gen) head(t CommandType, idPrefix string) {
	g.line++
	b := append(g.buf[:0], `{"type":"`...)
	b = append(b, t.String()...)
	b = append(b, `","id":"`...)
	b = append(b, idPrefix...)
	b = strconv.AppendInt(b, g.line, 10)
	g.buf = g.appendTs(b)
}

func (g *gen) headNamed(t CommandType, idPrefix string, name []byte) {
	g.line++
	b := append(g.buf[:0], `{"type":"`...)
	b = append(b, t.String()...)
	b = append(b, `","id":"`...)
	b = append(b, idPrefix...)
	b = append(b, name...)
	g.buf = g.appendTs(b)
}

func (g *gen) appendTs(b []byte) []byte {
	b = append(b, `","ts":"`...)
	b = g.clk.appendTs(b, g.clk.next(g.rng))
	return append(b, '"')
}

// appendField appends `key` (which starts with `,"` and ends with `":"`),
// the value and the closing quote.
func appendField[S ~string | ~[]byte](b []byte, key string, v S) []byte {
	b = append(b, key...)
	b = append(b, v...)
	return append(b, '"')
}

func (g *gen) appendTransfer(b []byte, debit, credit []byte, ai int, amount []byte) []byte {
	b = appendField(b, `,"debit":"`, debit)
	b = appendField(b, `,"credit":"`, credit)
	b = appendField(b, `,"asset":"`, assetTable[ai].code)
	return appendField(b, `,"amount":"`, amount)
}

func appendPendingID(b []byte, line int64) []byte {
	b = append(b, `,"pending_id":"p:`...)
	b = strconv.AppendInt(b, line, 10)
	return append(b, '"')
}

// finish closes the line in g.buf and writes it.
func (g *gen) finish(t CommandType) {
	g.buf = append(g.buf, "}\n"...)
	g.writeLine(t, g.buf)
}

func (g *gen) writeLine(t CommandType, line []byte) {
	if _, err := g.w.Write(line); err != nil {
		g.err = err
		return
	}
	g.stats.Lines++
	g.stats.ByType[t]++
}

func (g *gen) writeDefineAsset(ai int) {
	a := &assetTable[ai]
	g.headNamed(DefineAsset, "asset:", []byte(a.code))
	g.buf = appendField(g.buf, `,"asset":"`, a.code)
	g.buf = append(g.buf, `,"scale":`...)
	g.buf = strconv.AppendInt(g.buf, int64(a.scale), 10)
	g.finish(DefineAsset)
}

func (g *gen) writeOpen(i int32, idPrefix string, name []byte) {
	a := &g.accts[i]
	if name == nil {
		g.head(OpenAccount, idPrefix)
	} else {
		g.headNamed(OpenAccount, idPrefix, name)
	}
	g.buf = appendField(g.buf, `,"account":"`, a.id)
	g.buf = appendField(g.buf, `,"asset":"`, assetTable[a.asset].code)
	switch a.flags {
	case flagDebitsLimited:
		g.buf = append(g.buf, `,"flags":["debits_must_not_exceed_credits"]`...)
	case flagCreditsLimited:
		g.buf = append(g.buf, `,"flags":["credits_must_not_exceed_debits"]`...)
	default:
		g.buf = append(g.buf, `,"flags":[]`...)
	}
	g.finish(OpenAccount)
}
